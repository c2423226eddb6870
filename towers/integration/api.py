"""REST routes of the integration hub (thin): webhook subscriptions and the dead-letter queue."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page
from towers.core.errors import Forbidden
from towers.integration import selectors
from towers.integration.schemas import (
    WebhookMessageOut,
    WebhookReplayOut,
    WebhookSubscriptionCreatedOut,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
)
from towers.integration.services.subscriptions import webhook_messages_replay, webhook_subscription_create
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
