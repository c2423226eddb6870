"""What an event is about, and whether an organisation may see it: webhooks never widen anyone's view.

An event names its subject in its payload. Only subjects resolved here are sent to organisations that do
not see everything; an event whose subject cannot be resolved goes to the authority's subscriptions alone.
"""

from __future__ import annotations

from uuid import UUID

from towers.core.actor import Actor, Channel
from towers.organisations.models import Organisation
from towers.organisations.selectors import scope_for
from towers.servicedesk.selectors import tickets_visible

# Payload fields that hold the id of a service desk ticket (problems and changes are tickets too).
TICKET_FIELDS = ("ticket_id", "incident_id", "problem_id", "change_id")


def subscriber_actor(organisation: Organisation) -> Actor:
    """The view a subscription's organisation has: its segregation scope, acting as the webhook job."""
    return Actor(
        label=f"webhooks:{organisation.name}",
        channel=Channel.JOB,
        scope=scope_for(organisation),
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        job="webhooks",
    )


def ticket_ids(payload: dict[str, object]) -> set[UUID] | None:
    """The ticket ids an event's payload refers to; None when a field is there but is not an id."""
    ids: set[UUID] = set()
    for field in TICKET_FIELDS:
        value = payload.get(field)
        if value is None:
            continue
        try:
            ids.add(UUID(str(value)))
        except ValueError:
            return None
    return ids


def subject_visible(actor: Actor, payload: dict[str, object]) -> bool:
    """Whether `actor` may see everything the event is about (False when its subject is unknown)."""
    if actor.scope.everything:
        return True
    ids = ticket_ids(payload)
    if not ids:  # nothing we can check against the actor's scope: refuse rather than leak
        return False
    return tickets_visible(actor).filter(pk__in=ids).count() == len(ids)
