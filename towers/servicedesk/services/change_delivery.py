"""Carrying a change out: implement (the scheduling rules), complete with an outcome, review, close; and the
incidents a change caused.

Scheduling rules, checked when implementation starts:
- only an approved change starts (a standard one is approved when raised; the others by the CAB);
- normal and standard changes start inside their approved window and outside any freeze that covers them;
  an emergency change is exempt from both, which is what makes it an emergency.

A post-implementation review is required before closing an emergency change and any change that failed or
was backed out; the others may be closed without one (a review is still welcome and closes them too).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.records import apply_changes
from towers.servicedesk.changecalendar import freezes_at
from towers.servicedesk.models import ChangeDetail, State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.models.changes import ApprovalState, ChangeType, Outcome
from towers.servicedesk.selectors_changes import as_freeze, freeze_window_list, planned
from towers.servicedesk.services.changes import detail_of, ensure_change_worker, move
from towers.servicedesk.services.handoffs import release_holder
from towers.servicedesk.services.timeline import record_event

TROUBLED = (Outcome.FAILED, Outcome.BACKED_OUT)


def review_required(detail: ChangeDetail) -> bool:
    return detail.change_type == ChangeType.EMERGENCY or detail.outcome in TROUBLED


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M")


def _ensure_may_start(actor: Actor, change: Ticket, now: datetime) -> None:
    detail = detail_of(change)
    if change.state not in (State.NEW, State.ASSIGNED):
        raise ValidationFailed.one("state", f"a {change.get_state_display().lower()} change cannot start")
    if detail.approval_state != ApprovalState.APPROVED:
        raise ValidationFailed.one("approval_state", "the change is not approved: it cannot start")
    if detail.change_type == ChangeType.EMERGENCY:
        return
    window = planned(change)
    if window is None or detail.planned_start is None or detail.planned_end is None:
        raise ValidationFailed.one("planned_start", "the change has no window to start in")
    if now < detail.planned_start:
        raise ValidationFailed.one("planned_start", f"the approved window opens at {_when(detail.planned_start)}")
    if now >= detail.planned_end:
        raise ValidationFailed.one("planned_end", "the approved window has passed: reschedule the change")
    freezes = list(freeze_window_list(actor=actor, start=now, end=detail.planned_end))
    in_force = freezes_at(now, window, [as_freeze(f) for f in freezes])
    if in_force:
        names = {str(f.pk): f.name for f in freezes}
        blocking = ", ".join(f"{names[f.id]} (until {_when(f.end)})" for f in in_force)
        raise ValidationFailed.one("planned_start", f"a change freeze is in force: {blocking}")


def change_implement(*, actor: Actor, change: Ticket) -> Ticket:
    """Start implementing an approved change, within its window and outside freezes (emergencies excepted)."""
    ensure_change_worker(actor, change)
    now = timezone.now()
    _ensure_may_start(actor, change, now)
    ticket_changes: dict[str, object] = {"state": State.IN_PROGRESS, "pending_reason": ""}
    if change.responded_at is None:
        ticket_changes["responded_at"] = now
    with transaction.atomic():
        before, after = move(
            change, actor, ticket_changes=ticket_changes, detail_changes={"actual_start": now}, note="Implementing."
        )
        audit.record(actor, "change.implementation_started", change, before=before, after=after)
        events.emit("servicedesk.change.implementing", key=str(change.id), change_id=str(change.id))
    return change


def change_complete(*, actor: Actor, change: Ticket, outcome: str, notes: str = "") -> Ticket:
    """Record how the implementation went; anything short of success says what happened."""
    ensure_change_worker(actor, change)
    detail_of(change)
    if change.state != State.IN_PROGRESS:
        raise ValidationFailed.one("state", "only a change being implemented can be completed")
    if outcome not in Outcome.values:
        raise ValidationFailed.one("outcome", f"choose one of {', '.join(Outcome.values)}")
    if outcome != Outcome.SUCCESSFUL and not notes.strip():
        raise ValidationFailed.one("notes", "say what happened")
    now = timezone.now()
    with transaction.atomic():
        before, after = move(
            change,
            actor,
            ticket_changes={
                "state": State.RESOLVED,
                "resolved_at": now,
                "resolution_code": outcome,
                "resolution_notes": notes.strip(),
            },
            detail_changes={"outcome": outcome, "outcome_notes": notes.strip(), "actual_end": now},
            note=f"Implemented: {Outcome(outcome).label.lower()}. {notes.strip()}".strip(),
            kind=TicketEvent.Kind.RESOLVED,
        )
        release_holder(change, now)
        audit.record(actor, "change.completed", change, before=before, after=after)
        events.emit("servicedesk.change.completed", key=str(change.id), change_id=str(change.id), outcome=outcome)
    return change


def change_review(*, actor: Actor, change: Ticket, notes: str) -> Ticket:
    """The post-implementation review, by a change manager (who may approve changes); it closes the change."""
    ensure_change_worker(actor, change, action="change.approve")
    detail_of(change)
    if change.state != State.RESOLVED:
        raise ValidationFailed.one("state", "a change is reviewed once it has been implemented")
    if not notes.strip():
        raise ValidationFailed.one("notes", "record what the review found")
    now = timezone.now()
    with transaction.atomic():
        before, after = move(
            change,
            actor,
            ticket_changes={"state": State.CLOSED, "closed_at": now},
            detail_changes={"review_notes": notes.strip(), "reviewed_at": now, "reviewed_by": actor.label},
            note=f"Post-implementation review: {notes.strip()}",
            kind=TicketEvent.Kind.CLOSED,
        )
        audit.record(actor, "change.reviewed", change, before=before, after=after)
        events.emit("servicedesk.change.reviewed", key=str(change.id), change_id=str(change.id))
    return change


def change_close(*, actor: Actor, change: Ticket) -> Ticket:
    """Close an implemented change that needs no review (emergencies and troubled changes need one first)."""
    ensure_change_worker(actor, change)
    detail = detail_of(change)
    if change.state != State.RESOLVED:
        raise ValidationFailed.one("state", "only an implemented change can be closed")
    if review_required(detail) and detail.reviewed_at is None:
        why = "an emergency change" if detail.change_type == ChangeType.EMERGENCY else f"a {detail.outcome} change"
        raise ValidationFailed.one("review_notes", f"{why} needs a post-implementation review before it closes")
    with transaction.atomic():
        before, after = move(
            change, actor, ticket_changes={"state": State.CLOSED, "closed_at": timezone.now()}, kind="closed"
        )
        audit.record(actor, "change.closed", change, before=before, after=after)
        events.emit("servicedesk.change.closed", key=str(change.id), change_id=str(change.id))
    return change


def incident_link_caused_by(*, actor: Actor, incident: Ticket, change: Ticket | None) -> Ticket:
    """Record that `change` caused `incident` (None clears it); both timelines say so."""
    ensure_change_worker(actor, incident)
    if incident.kind != TicketKind.INCIDENT:
        raise ValidationFailed.one("incident", f"{incident.reference} is not an incident")
    if change is not None:
        if change.kind != TicketKind.CHANGE:
            raise ValidationFailed.one("change", f"{change.reference} is not a change")
        if detail_of(change).actual_start is None:
            raise ValidationFailed.one("change", f"{change.reference} has not been implemented: it caused nothing yet")
    previous = incident.caused_by
    with transaction.atomic():
        before, after = apply_changes(incident, {"caused_by": change})
        if not after:
            return incident
        if change is not None:
            record_event(incident, TicketEvent.Kind.LINK, actor, body=f"Caused by change {change.reference}.")
            record_event(change, TicketEvent.Kind.LINK, actor, body=f"Caused incident {incident.reference}.")
        elif previous is not None:
            record_event(incident, TicketEvent.Kind.LINK, actor, body=f"No longer linked to {previous.reference}.")
        audit.record(actor, "incident.caused_by_linked", incident, before=before, after=after)
        events.emit(
            "servicedesk.incident.caused_by_linked",
            key=str(incident.id),
            incident_id=str(incident.id),
            change_id=str(change.id) if change else None,
        )
    return incident
