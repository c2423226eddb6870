"""REST routes of the integration hub (thin): webhook subscriptions and the dead-letter queue."""

from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page, expected_version, set_etag
from towers.core.errors import Forbidden
from towers.integration import selectors
from towers.integration.schemas import (
    WebhookMessageOut,
    WebhookReplayOut,
    WebhookSecretOut,
    WebhookSecretRotateIn,
    WebhookSubscriptionCreatedOut,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
    WebhookSubscriptionPatch,
)
from towers.integration.services.subscriptions import (
    webhook_messages_replay,
    webhook_subscription_create,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)
from towers.organisations.models import Organisation

router = Router(tags=["Integration"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.get("/webhook-subscriptions", response=list[WebhookSubscriptionOut])
@paginate(Page)
def webhook_subscription_list(request: HttpRequest) -> Any:
    return selectors.webhook_subscription_list(actor=_actor(request))


@router.post("/webhook-subscriptions", response={201: WebhookSubscriptionCreatedOut})
def webhook_subscription_create_route(request: HttpRequest, body: WebhookSubscriptionIn) -> Any:
    """Subscribe your organisation to domain events; the signing secret is in this response only."""
    actor = _actor(request)
    if actor.organisation_id is None:
        raise Forbidden("Webhooks belong to an organisation; act for one.")
    subscription, secret = webhook_subscription_create(
        actor=actor,
        organisation=Organisation.objects.get(pk=actor.organisation_id),
        name=body.name,
        target_url=body.target_url,
        event_patterns=body.event_patterns,
    )
    return Status(201, WebhookSubscriptionCreatedOut.model_validate(subscription).model_copy(update={"secret": secret}))


@router.get("/webhook-subscriptions/{id}", response=WebhookSubscriptionOut)
def webhook_subscription_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    subscription = selectors.webhook_subscription_get(actor=_actor(request), id=id)
    set_etag(response, subscription)
    return subscription


@router.patch("/webhook-subscriptions/{id}", response=WebhookSubscriptionOut)
def webhook_subscription_update_route(
    request: HttpRequest, response: HttpResponse, id: UUID, body: WebhookSubscriptionPatch
) -> Any:
    """Rename, re-target, change patterns, or pause (`active: false`) and resume; honours If-Match."""
    actor = _actor(request)
    subscription = selectors.webhook_subscription_get(actor=actor, id=id)
    webhook_subscription_update(
        actor=actor,
        subscription=subscription,
        changes=body.dict(exclude_unset=True),
        expected_version=expected_version(request),
    )
    set_etag(response, subscription)
    return subscription


@router.post("/webhook-subscriptions/{id}/rotate-secret", response=WebhookSecretOut)
def webhook_subscription_rotate_route(request: HttpRequest, id: UUID, body: WebhookSecretRotateIn) -> Any:
    """A new signing secret (shown once); the old one also signs for `overlap_hours` so receivers can switch."""
    actor = _actor(request)
    subscription = selectors.webhook_subscription_get(actor=actor, id=id)
    secret = webhook_subscription_rotate_secret(
        actor=actor, subscription=subscription, overlap=timedelta(hours=body.overlap_hours)
    )
    return {"secret": secret, "old_secret_valid_until": subscription.previous_secret_expires_at}


@router.get("/webhook-messages", response=list[WebhookMessageOut])
@paginate(Page)
def webhook_message_list(request: HttpRequest, status: Literal["pending", "delivered", "dead", ""] = "") -> Any:
    return selectors.webhook_message_list(actor=_actor(request), status=status)


@router.post("/webhook-messages/{id}/replay", response=WebhookReplayOut)
def webhook_message_replay(request: HttpRequest, id: int) -> Any:
    """Send a dead message again (from a fresh attempt count); a message that is not dead is left alone."""
    actor = _actor(request)
    message = selectors.webhook_message_get(actor=actor, id=id)
    return {"replayed": webhook_messages_replay(actor=actor, messages=[message])}
