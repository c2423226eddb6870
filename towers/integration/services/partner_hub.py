"""Registering Towers' listener at a partner's TMF621 /hub, and taking it away again.

The callback carries a fresh secret (the listener's only credential); Towers keeps its digest, so the
listener can check a call without the secret being readable from the database. Registering again replaces
the secret and unregisters the old listener first.
"""

from __future__ import annotations

import hashlib
import secrets

import httpx
from django.conf import settings
from django.db import transaction

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.integration.models_partners import PartnerIntegration
from towers.integration.policies_partners import MANAGE_PARTNERS

TIMEOUT = 10.0


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def listener_url(integration: PartnerIntegration, secret: str) -> str:
    return f"{settings.TOWERS_PUBLIC_URL.rstrip('/')}/api/partners/{integration.id}/listener/{secret}"


def _headers(integration: PartnerIntegration) -> dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "Towers-Partners/1"}
    if integration.auth_token:
        headers["Authorization"] = f"Bearer {integration.auth_token}"
    return headers


def _hub(integration: PartnerIntegration) -> str:
    return f"{integration.base_url.rstrip('/')}/hub"


def _refused(response: httpx.Response) -> ValidationFailed:
    return ValidationFailed.one(
        "base_url", f"the partner's hub answered HTTP {response.status_code}: {response.text[:300]}"
    )


def _delete_remote(client: httpx.Client, integration: PartnerIntegration) -> None:
    response = client.delete(f"{_hub(integration)}/{integration.hub_subscription_id}", headers=_headers(integration))
    if response.status_code not in (200, 202, 204, 404):  # 404: already gone there
        raise _refused(response)


def partner_hub_register(
    *, actor: Actor, integration: PartnerIntegration, client: httpx.Client | None = None
) -> PartnerIntegration:
    """Register a new listener at the partner's hub (unregistering the old one); keep its id and secret's digest."""
    ensure_can(actor, MANAGE_PARTNERS, integration)
    secret = secrets.token_urlsafe(32)
    body = {"callback": listener_url(integration, secret), "query": ""}
    with client or httpx.Client(timeout=TIMEOUT) as http:
        try:
            if integration.hub_subscription_id:
                _delete_remote(http, integration)
            response = http.post(_hub(integration), json=body, headers=_headers(integration))
        except httpx.HTTPError as exc:
            raise ValidationFailed.one("base_url", f"the partner's hub cannot be reached: {exc}") from exc
    if response.status_code not in (200, 201):
        raise _refused(response)
    try:
        hub_id = str(response.json()["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed.one("base_url", "the partner's hub answered without an id") from exc
    before = {"hub_subscription_id": integration.hub_subscription_id}
    with transaction.atomic():
        apply_changes(integration, {"hub_subscription_id": hub_id[:200], "listener_digest": secret_digest(secret)})
        audit.record(
            actor,
            "integration.partner.hub_registered",
            integration,
            before=before,
            after={"hub_subscription_id": hub_id},
        )
    return integration


def partner_hub_unregister(
    *, actor: Actor, integration: PartnerIntegration, client: httpx.Client | None = None
) -> PartnerIntegration:
    """Take the listener away at the partner's hub; the listener URL stops working here at once."""
    ensure_can(actor, MANAGE_PARTNERS, integration)
    if integration.hub_subscription_id:
        with client or httpx.Client(timeout=TIMEOUT) as http:
            try:
                _delete_remote(http, integration)
            except httpx.HTTPError as exc:
                raise ValidationFailed.one("base_url", f"the partner's hub cannot be reached: {exc}") from exc
    before = {"hub_subscription_id": integration.hub_subscription_id}
    with transaction.atomic():
        apply_changes(integration, {"hub_subscription_id": "", "listener_digest": ""})
        audit.record(
            actor, "integration.partner.hub_unregistered", integration, before=before, after={"hub_subscription_id": ""}
        )
    return integration
