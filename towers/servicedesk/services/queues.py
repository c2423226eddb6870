"""Working a queue: a person's saved views, and one change applied to many tickets at once.

A bulk update applies the single-ticket services to each ticket in turn, each ticket in its own
savepoint: what one ticket refuses (a state it cannot reach, an assignee outside its team) is
reported against it and rolled back for it alone, and the rest are still changed and audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.organisations.models import Person, Team
from towers.servicedesk.models import SavedView, Ticket
from towers.servicedesk.services.tickets import ticket_assign, ticket_transition, ticket_update

BULK_LIMIT = 200  # tickets in one bulk update: a page of the queue is 50
VIEW_NAME_LENGTH = 100


def _own_person(actor: Actor) -> Person:
    if actor.person_id is None or actor.read_only:
        raise Forbidden("Only a signed-in person can keep saved views.")
    return Person.objects.get(pk=actor.person_id)


def saved_view_save(*, actor: Actor, name: str, filters: dict[str, Any]) -> SavedView:
    """Keep the actor's queue filters under a name; saving an existing name replaces its filters."""
    person = _own_person(actor)
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed.one("name", "give the view a name")
    if len(name) > VIEW_NAME_LENGTH:
        raise ValidationFailed.one("name", f"at most {VIEW_NAME_LENGTH} characters")
    with transaction.atomic():
        view, created = SavedView.objects.select_for_update().get_or_create(
            person=person, name=name, defaults={"filters": filters}
        )
        before = None if created else {"filters": view.filters}
        if not created and view.filters != filters:
            view.filters = filters
            view.version += 1
            view.save(update_fields=["filters", "version", "updated_at"])
        audit.record(actor, "saved_view.saved", view, before=before, after={"name": name, "filters": filters})
        events.emit("servicedesk.saved_view.saved", key=str(view.id), saved_view_id=str(view.id))
    return view


def saved_view_delete(*, actor: Actor, view: SavedView) -> None:
    """Delete one of the actor's own saved views; another person's is not theirs to see."""
    person = _own_person(actor)
    if view.person_id != person.pk:
        raise NotFound("No such saved view.")
    with transaction.atomic():
        audit.record(actor, "saved_view.deleted", view, before={"name": view.name, "filters": view.filters})
        events.emit("servicedesk.saved_view.deleted", key=str(view.id), saved_view_id=str(view.id))
        view.delete()


@dataclass
class BulkOutcome:
    """What a bulk update did: the references changed, and why each of the others was not."""

    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{name}: {problem}" for name, problems in exc.fields.items() for problem in problems)
    if isinstance(exc, NotFound):
        return "not found"
    return str(exc) or "refused"


def _apply(
    actor: Actor,
    ticket: Ticket,
    *,
    state: str,
    pending_reason: str,
    resolution_code: str,
    resolution_notes: str,
    team: Team | None,
    assignee: Person | None,
    priority: dict[str, int],
) -> bool:
    """Apply the requested changes to one ticket through the single-ticket services; True if any changed it."""
    version = ticket.version
    if team is not None and team.pk != ticket.team_id:
        ticket_assign(actor=actor, ticket=ticket, team=team, assignee=assignee)
    elif assignee is not None and assignee.pk != ticket.assignee_id:
        ticket_update(actor=actor, ticket=ticket, changes={"assignee": assignee})
    if any(priority.get(name) not in (None, getattr(ticket, name)) for name in ("impact", "urgency")):
        ticket_update(actor=actor, ticket=ticket, changes=dict(priority))
    if state and state != ticket.state:
        ticket_transition(
            actor=actor,
            ticket=ticket,
            state=state,
            pending_reason=pending_reason,
            resolution_code=resolution_code,
            resolution_notes=resolution_notes,
        )
    return ticket.version != version


def tickets_bulk_update(
    *,
    actor: Actor,
    tickets: Iterable[Ticket],
    state: str = "",
    pending_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    team: Team | None = None,
    assignee: Person | None = None,
    impact: int | None = None,
    urgency: int | None = None,
) -> BulkOutcome:
    """Change many tickets the same way; each is changed (and audited) or reported, never half-changed."""
    tickets = list(tickets)
    if not tickets:
        raise ValidationFailed.one("tickets", "choose at least one ticket")
    if len(tickets) > BULK_LIMIT:
        raise ValidationFailed.one("tickets", f"at most {BULK_LIMIT} tickets at a time")
    priority = {name: value for name, value in (("impact", impact), ("urgency", urgency)) if value is not None}
    if not (state or team or assignee or priority):
        raise ValidationFailed.one("state", "choose what to change: a state, a team, an assignee or the priority")
    outcome = BulkOutcome()
    for ticket in tickets:
        try:
            with transaction.atomic():
                changed = _apply(
                    actor,
                    ticket,
                    state=state,
                    pending_reason=pending_reason,
                    resolution_code=resolution_code,
                    resolution_notes=resolution_notes,
                    team=team,
                    assignee=assignee,
                    priority=priority,
                )
        except (ValidationFailed, Forbidden, NotFound, StaleVersion) as exc:
            outcome.failed[ticket.reference] = _why(exc)
            continue
        (outcome.updated if changed else outcome.unchanged).append(ticket.reference)
    return outcome
