"""TMF621's /hub: an organisation's listener registered as a webhook subscription of the "tmf621" flavour.

The listener hears about the tickets its organisation may see (the fan-out checks each event's subject against
the organisation's scope), as TroubleTicket…Event notifications POSTed to its callback exactly as registered.
Registering one is managing the organisation's webhooks, so it takes the same permission as in the UI.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.integration.models import WebhookSubscription
from towers.integration.services.subscriptions import MANAGE, SUBSCRIPTION_FIELDS
from towers.integration.services.tmf_notifications import EVENT_TYPES, hub_event_types
from towers.integration.targets import target_refusal
from towers.organisations.models import Organisation

FLAVOUR = "tmf621"
MAX_URL = 500  # WebhookSubscription.target_url


def hub_register(*, actor: Actor, organisation: Organisation, callback: str, query: str = "") -> WebhookSubscription:
    """Register `callback` for the organisation's ticket notifications that `query` admits."""
    url = urlsplit(callback)
    if url.scheme not in ("http", "https") or not url.netloc or len(callback) > MAX_URL:
        raise ValidationFailed.one("callback", f"must be an http or https URL of at most {MAX_URL} characters")
    if refused := target_refusal(callback):  # refused now rather than only at each send
        raise ValidationFailed.one("callback", refused)
    hub_event_types(query)
    subscription = WebhookSubscription(
        organisation=organisation,
        name=f"TMF621 listener {callback}"[:200],
        target_url=callback,
        secret=f"whsec_{secrets.token_urlsafe(32)}",  # signs each POST; a TMF listener may ignore the headers
        event_patterns=sorted(EVENT_TYPES),
        flavour=FLAVOUR,
        query=query,
    )
    ensure_can(actor, MANAGE, subscription)
    with transaction.atomic():
        subscription.save()
        after = audit.snapshot(subscription, [*SUBSCRIPTION_FIELDS, "flavour", "query"])
        audit.record(actor, "integration.tmf_hub.registered", subscription, after=after)
    return subscription


def hub_unregister(*, actor: Actor, subscription: WebhookSubscription) -> None:
    """Stop notifying the listener; the subscription and its message log stay (deactivated) for the record."""
    ensure_can(actor, MANAGE, subscription)
    with transaction.atomic():
        subscription.active, subscription.updated_at = False, timezone.now()
        subscription.save(update_fields=["active", "updated_at"])
        before, after = {"active": True}, {"active": False}
        audit.record(actor, "integration.tmf_hub.unregistered", subscription, before=before, after=after)
