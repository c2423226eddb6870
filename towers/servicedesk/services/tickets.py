"""Raising and working tickets: create, update, move through states, assign within a team's organisation, comment."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import Organisation, OrganisationKind, Person, Team
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import (
    Category,
    PendingReason,
    State,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketParty,
)
from towers.servicedesk.models.tickets import PREFIXES
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.config import desk_settings, priority_for, route
from towers.servicedesk.services.references import next_reference
from towers.servicedesk.services.timeline import record_event

TICKET_FIELDS = ["reference", "kind", "title", "state", "priority", "impact", "urgency", "team", "organisation"]
EDITABLE = {"title", "description", "impact", "urgency", "category", "service", "assignee", "problem", "caused_by"}
TRANSITIONS: dict[str, set[str]] = {
    State.NEW: {State.ASSIGNED, State.IN_PROGRESS, State.PENDING, State.RESOLVED, State.CANCELLED},
    State.ASSIGNED: {State.IN_PROGRESS, State.PENDING, State.RESOLVED, State.CANCELLED},
    State.IN_PROGRESS: {State.PENDING, State.RESOLVED, State.CANCELLED},
    State.PENDING: {State.IN_PROGRESS, State.RESOLVED, State.CANCELLED},
    State.RESOLVED: {State.CLOSED, State.IN_PROGRESS},
    State.CLOSED: set(),
    State.CANCELLED: set(),
}


def _authority() -> Organisation:
    return Organisation.objects.get(kind=OrganisationKind.AUTHORITY)


def add_parties(ticket: Ticket, organisation_ids: Iterable[UUID | None]) -> None:
    ids = {i for i in organisation_ids if i is not None}
    have = set(
        TicketParty.objects.filter(ticket=ticket, organisation_id__in=ids).values_list("organisation_id", flat=True)
    )
    TicketParty.objects.bulk_create([TicketParty(ticket=ticket, organisation_id=i) for i in ids - have])


def ticket_create(
    *,
    actor: Actor,
    title: str,
    kind: str = TicketKind.INCIDENT,
    description: str = "",
    impact: int = 3,
    urgency: int = 3,
    category: Category | None = None,
    service: Service | None = None,
    cis: Iterable[ConfigurationItem] = (),
    requester: Person | None = None,
    requester_email: str = "",
    channel: str = "portal",
    team: Team | None = None,
    parent: Ticket | None = None,
    opened_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> Ticket:
    """Log a ticket; route it to a team by the rules, and hand it off when that team is another organisation's."""
    from towers.servicedesk.services.handoffs import hand_off_in_transaction

    settings = desk_settings()
    cis = list(cis)
    if requester is None and actor.person_id and is_requester_only(actor):
        requester = Person.objects.get(pk=actor.person_id)
    requester_org = (
        actor.organisation_id
        if actor.organisation_id and not actor.scope.everything and not is_requester_only(actor)
        else _authority().id
    )
    if impact not in (1, 2, 3) or urgency not in (1, 2, 3):
        raise ValidationFailed.one("impact" if impact not in (1, 2, 3) else "urgency", "must be 1 (high), 2 or 3 (low)")
    ticket = Ticket(
        kind=kind,
        title=title.strip(),
        description=description,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
        category=category,
        service=service,
        channel=channel,
        requester=requester,
        requester_email=requester_email or (requester.email if requester else ""),
        requester_organisation_id=requester_org,
        parent=parent,
        opened_at=opened_at or timezone.now(),
        **(extra or {}),
    )
    ensure_can(actor, "ticket.raise", ticket)
    routed, why = (team, "chosen when raised") if team else route(service=service, category=category, cis=cis)
    first_holder = (
        routed if routed and routed.organisation_id == settings.desk_organisation_id else settings.triage_team
    )
    ticket.reference = "PENDING"
    validate(ticket, exclude=["reference"])
    with transaction.atomic():
        ticket.reference = next_reference(PREFIXES[TicketKind(kind)])
        if first_holder is not None:
            ticket.team, ticket.organisation_id, ticket.state = (
                first_holder,
                first_holder.organisation_id,
                State.ASSIGNED,
            )
        ticket.save(force_insert=True)
        if cis:
            ticket.cis.set(cis)
        add_parties(ticket, {requester_org, settings.desk_organisation_id, ticket.organisation_id})
        record_event(ticket, TicketEvent.Kind.CREATED, actor, body=description, public=True, at=ticket.opened_at)
        events.emit("servicedesk.ticket.created", key=str(ticket.id), ticket_id=str(ticket.id), kind=kind)
        audit_later: list[Callable[[], object]] = []
        if routed is not None and routed.organisation_id != ticket.organisation_id:
            hand_off_in_transaction(
                ticket=ticket, to_team=routed, reason=f"Routed by {why}.", actor=actor, audit_later=audit_later
            )
        ticket_clocks_recompute(ticket=ticket, actor=actor, settings=settings)
        # Last, so the audit chain's lock (every writer's serialisation point) is held for the least time.
        audit.record(actor, "ticket.created", ticket, after=audit.snapshot(ticket, TICKET_FIELDS))
        for entry in audit_later:
            entry()
    return ticket


def _ensure_worker(actor: Actor, ticket: Ticket, action: str = "ticket.work") -> None:
    ensure_can(actor, action, ticket)
    if is_requester_only(actor):
        raise Forbidden("Only the service desk and resolvers work tickets.")


def ticket_update(
    *, actor: Actor, ticket: Ticket, changes: dict[str, Any], expected_version: int | None = None
) -> Ticket:
    """Change what the ticket is about; impact or urgency re-prioritise it by the matrix."""
    _ensure_worker(actor, ticket)
    unknown = set(changes) - EDITABLE - {"cis"}
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    cis = changes.pop("cis", None)
    if "assignee" in changes and changes["assignee"] is not None:
        assignee = changes["assignee"]
        if not ticket.team or not ticket.team.members.filter(person=assignee).exists():
            raise ValidationFailed.one("assignee", f"{assignee} is not a member of {ticket.team}")
    impact, urgency = changes.get("impact", ticket.impact), changes.get("urgency", ticket.urgency)
    if impact not in (1, 2, 3) or urgency not in (1, 2, 3):
        raise ValidationFailed.one("impact", "impact and urgency must be 1 (high), 2 or 3 (low)")
    changes["priority"] = priority_for(impact, urgency)
    with transaction.atomic():
        before, after = apply_changes(ticket, changes, expected_version=expected_version)
        if cis is not None:
            old = {str(c) for c in ticket.cis.values_list("id", flat=True)}
            ticket.cis.set(cis)
            new = {str(c.id) for c in cis}
            if old != new:
                before["cis"], after["cis"] = sorted(old), sorted(new)
        if not after:
            return ticket
        kind = TicketEvent.Kind.PRIORITY if "priority" in after else TicketEvent.Kind.UPDATE
        record_event(ticket, kind, actor, data={"changed": sorted(after)})
        audit.record(actor, "ticket.updated", ticket, before=before, after=after)
        events.emit("servicedesk.ticket.updated", key=str(ticket.id), ticket_id=str(ticket.id), fields=sorted(after))
        ticket_clocks_recompute(ticket=ticket, actor=actor)
    return ticket


def ticket_transition(
    *,
    actor: Actor,
    ticket: Ticket,
    state: str,
    pending_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket to `state` if its state model allows; pending needs a reason, resolving a code."""
    reopening = ticket.state == State.RESOLVED and state == State.IN_PROGRESS
    # A requester may answer a resolution: reopen it, or confirm it (which closes the ticket).
    answering_resolution = ticket.state == State.RESOLVED and state in (State.IN_PROGRESS, State.CLOSED)
    if answering_resolution and is_requester_only(actor):
        ensure_can(actor, "ticket.comment", ticket)
        if ticket.requester_id != actor.person_id:
            raise Forbidden("Only the requester or the desk can reopen or close this ticket.")
    else:
        _ensure_worker(actor, ticket)
    if ticket.kind == TicketKind.CHANGE and state != State.CANCELLED:
        # Otherwise a change could start without its CAB: changes move through the change services' steps.
        raise ValidationFailed.one("state", "a change moves through its own steps: submit, implement, complete")
    if state not in TRANSITIONS.get(ticket.state, set()):
        raise ValidationFailed.one("state", f"a {ticket.get_state_display().lower()} ticket cannot become {state}")
    settings = desk_settings()
    changes: dict[str, Any] = {"state": state, "pending_reason": ""}
    now = timezone.now()
    kind = TicketEvent.Kind.STATE
    if state == State.PENDING:
        if pending_reason not in PendingReason.values:
            raise ValidationFailed.one("pending_reason", f"choose one of {', '.join(PendingReason.values)}")
        changes["pending_reason"] = pending_reason
    if state == State.RESOLVED:
        codes = settings.resolution_codes or []
        if not resolution_code or (codes and resolution_code not in codes):
            raise ValidationFailed.one("resolution_code", f"choose one of {', '.join(codes)}")
        changes |= {"resolution_code": resolution_code, "resolution_notes": resolution_notes, "resolved_at": now}
        kind = TicketEvent.Kind.RESOLVED
    if reopening:
        if ticket.resolved_at and now - ticket.resolved_at > settings.reopen_window:
            raise ValidationFailed.one("state", "the reopening window has passed: raise a new ticket instead")
        changes |= {"resolved_at": None, "reopen_count": ticket.reopen_count + 1}
        kind = TicketEvent.Kind.REOPENED
    if state == State.CLOSED:
        changes["closed_at"] = now
        kind = TicketEvent.Kind.CLOSED
    if state == State.IN_PROGRESS and ticket.responded_at is None:
        changes["responded_at"] = now
    with transaction.atomic():
        before, after = apply_changes(ticket, changes, expected_version=expected_version)
        record_event(ticket, kind, actor, body=note or resolution_notes, public=kind != TicketEvent.Kind.STATE)
        audit.record(
            actor, f"ticket.{kind}" if kind != "state" else "ticket.state_changed", ticket, before=before, after=after
        )
        events.emit(
            f"servicedesk.ticket.{kind}" if kind != "state" else "servicedesk.ticket.state_changed",
            key=str(ticket.id),
            ticket_id=str(ticket.id),
            state=state,
        )
        if state in (State.RESOLVED, State.CLOSED, State.CANCELLED):
            from towers.servicedesk.services.handoffs import release_holder

            release_holder(ticket, now)
        ticket_clocks_recompute(ticket=ticket, actor=actor)
    return ticket


def ticket_assign(*, actor: Actor, ticket: Ticket, team: Team, assignee: Person | None = None) -> Ticket:
    """Give the ticket to another team of the same organisation (other organisations need a hand-off)."""
    _ensure_worker(actor, ticket)
    if ticket.organisation_id is not None and team.organisation_id != ticket.organisation_id:
        raise ValidationFailed.one("team", f"{team} is another organisation's team: hand the ticket off instead")
    if assignee is not None and not team.members.filter(person=assignee).exists():
        raise ValidationFailed.one("assignee", f"{assignee} is not a member of {team}")
    changes: dict[str, Any] = {"team": team, "organisation": team.organisation, "assignee": assignee}
    if ticket.state == State.NEW:
        changes["state"] = State.ASSIGNED
    with transaction.atomic():
        before, after = apply_changes(ticket, changes)
        if not after:
            return ticket
        add_parties(ticket, [team.organisation_id])
        record_event(ticket, TicketEvent.Kind.ASSIGNED, actor, body=f"Assigned to {team}")
        audit.record(actor, "ticket.assigned", ticket, before=before, after=after)
        events.emit("servicedesk.ticket.assigned", key=str(ticket.id), ticket_id=str(ticket.id), team_id=str(team.id))
        ticket_clocks_recompute(ticket=ticket, actor=actor)
    return ticket


def ticket_comment(*, actor: Actor, ticket: Ticket, body: str, public: bool = True) -> TicketEvent:
    """Add a comment; requesters' comments are always public, and they comment only on their own tickets."""
    ensure_can(actor, "ticket.comment", ticket)
    if not body.strip():
        raise ValidationFailed.one("body", "a comment needs some text")
    if is_requester_only(actor):
        if ticket.requester_id != actor.person_id:
            raise Forbidden("You can comment only on tickets you raised.")
        public = True
    with transaction.atomic():
        event = record_event(ticket, TicketEvent.Kind.COMMENT, actor, body=body.strip(), public=public)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=event.at)
        audit.record(actor, "ticket.commented", ticket, after={"public": public, "event": event.id})
        events.emit(
            "servicedesk.ticket.commented",
            key=str(ticket.id),
            ticket_id=str(ticket.id),
            event_id=event.id,
            public=public,
            by_requester=ticket.requester_id is not None and ticket.requester_id == actor.person_id,
        )
        # A requester answering a ticket pending on them starts its clock again.
        if (
            ticket.state == State.PENDING
            and ticket.pending_reason == PendingReason.REQUESTER
            and is_requester_only(actor)
        ):
            before, after = apply_changes(ticket, {"state": State.IN_PROGRESS, "pending_reason": ""})
            record_event(ticket, TicketEvent.Kind.STATE, actor, body="The requester replied.")
            audit.record(actor, "ticket.state_changed", ticket, before=before, after=after)
            ticket_clocks_recompute(ticket=ticket, actor=actor)
    return event


def tickets_close_resolved(*, actor: Actor, now: datetime | None = None) -> int:
    """Close tickets resolved longer ago than the desk's close-after period (the requester did not reopen)."""
    now = now or timezone.now()
    cutoff = now - desk_settings().close_after
    closed = 0
    # Changes close through their review, never by the passage of time.
    resolved = Ticket.objects.filter(state=State.RESOLVED, resolved_at__lt=cutoff).exclude(kind=TicketKind.CHANGE)
    for ticket in resolved[:1000]:
        ticket_transition(actor=actor, ticket=ticket, state=State.CLOSED, note="Closed automatically after resolution.")
        closed += 1
    return closed
