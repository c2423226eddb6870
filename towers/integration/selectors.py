"""Reads of the integration hub, each already restricted to what the actor may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Q, QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.integration.models import WebhookMessage, WebhookSubscription


def webhook_subscription_list(*, actor: Actor) -> QuerySet[WebhookSubscription]:
    return visible_to(actor, WebhookSubscription.objects).select_related("organisation").order_by("name", "id")


def webhook_subscription_list_with_counts(*, actor: Actor) -> QuerySet[WebhookSubscription]:
    """The subscriptions with how many messages each is owed and how many are dead (one query)."""
    return webhook_subscription_list(actor=actor).annotate(
        pending=Count("messages", filter=Q(messages__status=WebhookMessage.Status.PENDING)),
        dead=Count("messages", filter=Q(messages__status=WebhookMessage.Status.DEAD)),
    )


def webhook_subscription_get(*, actor: Actor, id: UUID | str) -> WebhookSubscription:
    return get_visible(actor, WebhookSubscription.objects.select_related("organisation"), pk=id)


def webhook_message_list(
    *, actor: Actor, status: str = "", subscription: UUID | None = None
) -> QuerySet[WebhookMessage]:
    qs = visible_to(actor, WebhookMessage.objects).select_related("subscription__organisation").order_by("-id")
    if status:
        qs = qs.filter(status=status)
    if subscription:
        qs = qs.filter(subscription_id=subscription)
    return qs


def webhook_message_get(*, actor: Actor, id: int | str) -> WebhookMessage:
    return get_visible(actor, WebhookMessage.objects.select_related("subscription__organisation"), pk=id)
