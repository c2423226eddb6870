"""Fan-out of domain events to webhook subscriptions, inside the outbox handler's transaction."""

from __future__ import annotations

from uuid import UUID

from towers.core.actor import Actor
from towers.core.models import OutboxEvent
from towers.integration.models import WebhookMessage, WebhookSubscription
from towers.integration.services.subjects import subject_visible, subscriber_actor
from towers.integration.services.tmf_notifications import tmf_notification
from towers.integration.signing import matches


def event_fan_out(*, event: OutboxEvent) -> list[WebhookMessage]:
    """Owe `event` to every active subscription that wants it and whose organisation may see its subject.

    Idempotent: the (subscription, event uuid) constraint makes a re-run after a crash create nothing new.
    """
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(active=True).select_related("organisation")
        if matches(list(subscription.event_patterns), event.name)
    ]
    if not subscriptions:
        return []
    actors: dict[UUID, Actor] = {}
    owed: list[WebhookMessage] = []
    for subscription in subscriptions:
        organisation = subscription.organisation
        if organisation.id not in actors:
            actors[organisation.id] = subscriber_actor(organisation)
        if not subject_visible(actors[organisation.id], event.payload):
            continue
        payload: dict[str, object] | None = event.payload
        if subscription.flavour == "tmf621":  # a TMF621 hub listener gets the TMF notification, or nothing
            payload = tmf_notification(subscription=subscription, event=event, actor=actors[organisation.id])
            if payload is None:
                continue
        owed.append(
            WebhookMessage(
                subscription=subscription,
                idempotency_key=event.uuid,
                event_name=event.name,
                ordering_key=event.key,
                payload=payload,
                created_at=event.created_at,
            )
        )
    WebhookMessage.objects.bulk_create(owed, ignore_conflicts=True)
    return owed
