"""Major incidents: declared from a P1, run from a bridge, stakeholders told on a cadence, reviewed afterwards.

Each stakeholder update is also a public comment on the incident, so requesters following it read the
same words; the next update falls due one cadence later, and a sweep reminds the manager once for each
period an update is overdue. The post-incident review's actions become problems or changes, followed there.
Mail is not sent here: the update_sent, overdue and resolved events carry their recipients to notify.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.organisations.models import Person
from towers.servicedesk.forms_schema import EMAIL
from towers.servicedesk.models import MajorIncident, ReviewAction, StakeholderUpdate, Ticket, TicketEvent, TicketKind
from towers.servicedesk.policies import desk_owners
from towers.servicedesk.selectors_major import majors_overdue
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.tickets import ticket_create, ticket_transition
from towers.servicedesk.services.timeline import record_event

MAJOR_FIELDS = ["ticket", "status", "manager", "bridge", "cadence", "next_update_due", "stakeholders"]
BECOMES = ("problem", "change")


def _ensure_manager(actor: Actor, ticket: Ticket) -> None:
    ensure_can(actor, "major.manage", ticket)
    if not actor.is_system and not actor.scope.everything and actor.organisation_id not in set(desk_owners()):
        raise Forbidden("Major incidents are run by the service desk.")


def _stakeholders(addresses: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(a.strip().lower() for a in addresses if a and a.strip()))
    wrong = [a for a in cleaned if not EMAIL.match(a)]
    if wrong:
        raise ValidationFailed.one("stakeholders", f"not email addresses: {', '.join(wrong)}")
    return cleaned


def _told(major: MajorIncident, **payload: Any) -> dict[str, Any]:
    """What every major incident event carries: who to tell."""
    return {
        "major_id": str(major.id),
        "ticket_id": str(major.ticket_id),
        "recipients": list(major.stakeholders),
        "manager_id": str(major.manager_id) if major.manager_id else None,
        **payload,
    }


def major_declare(
    *,
    actor: Actor,
    ticket: Ticket,
    bridge: str,
    manager: Person | None = None,
    stakeholders: Sequence[str] = (),
) -> MajorIncident:
    """Run a P1 incident as a major incident: a bridge, a manager, stakeholders told on the desk's cadence."""
    _ensure_manager(actor, ticket)
    if ticket.kind != TicketKind.INCIDENT or ticket.priority != "P1":
        raise ValidationFailed.one(
            "ticket",
            f"only a P1 incident can be declared major; {ticket.reference} is a {ticket.priority} {ticket.kind}",
        )
    if not ticket.is_open:
        raise ValidationFailed.one("ticket", f"{ticket.reference} is {ticket.get_state_display().lower()}")
    if MajorIncident.objects.filter(ticket=ticket).exists():
        raise ValidationFailed.one("ticket", f"{ticket.reference} is already a major incident")
    if not bridge.strip():
        raise ValidationFailed.one("bridge", "say where the bridge is: a dial-in, a meeting link or a channel")
    if manager is not None and not manager.is_active:
        raise ValidationFailed.one("manager", f"{manager} is not active")
    cadence, now = desk_settings().major_update_cadence, timezone.now()
    with transaction.atomic():
        major = MajorIncident.objects.create(
            ticket=ticket,
            manager=manager,
            declared_by=actor.label,
            declared_at=now,
            bridge=bridge.strip(),
            cadence=cadence,
            next_update_due=now + cadence,
            stakeholders=_stakeholders(stakeholders),
        )
        before, after = apply_changes(ticket, {"is_major": True})
        audit.record(actor, "ticket.declared_major", ticket, before=before, after={**after, "major": str(major.id)})
        minutes = int(cadence.total_seconds() // 60)
        record_event(
            ticket,
            TicketEvent.Kind.UPDATE,
            actor,
            body=f"Declared a major incident; updates every {minutes} minutes.",
            public=True,
            data={"major": str(major.id)},
        )
        audit.record(actor, "major.declared", major, after=audit.snapshot(major, MAJOR_FIELDS))
        events.emit("servicedesk.major.declared", key=str(ticket.id), **_told(major, bridge=major.bridge))
    return major


def _ensure_active(major: MajorIncident) -> None:
    if major.status != MajorIncident.Status.ACTIVE:
        raise ValidationFailed.one("status", f"this major incident is {major.get_status_display().lower()}")


def _send(actor: Actor, major: MajorIncident, body: str, now: datetime) -> StakeholderUpdate:
    update = StakeholderUpdate.objects.create(
        major=major, body=body, sent_by=actor.label, recipients=list(major.stakeholders)
    )
    event = record_event(
        major.ticket,
        TicketEvent.Kind.COMMENT,
        actor,
        body=body,
        public=True,
        data={"stakeholder_update": str(update.id)},
    )
    Ticket.objects.filter(pk=major.ticket_id).update(updated_at=event.at)
    return update


def major_update(*, actor: Actor, major: MajorIncident, body: str) -> StakeholderUpdate:
    """Tell the stakeholders where things stand; the next update falls due one cadence from now."""
    _ensure_manager(actor, major.ticket)
    _ensure_active(major)
    if not body.strip():
        raise ValidationFailed.one("body", "an update needs some text")
    now = timezone.now()
    with transaction.atomic():
        update = _send(actor, major, body.strip(), now)
        before, after = apply_changes(major, {"next_update_due": now + major.cadence})
        audit.record(actor, "major.update_sent", major, before=before, after={**after, "update": str(update.id)})
        events.emit("servicedesk.major.update_sent", key=str(major.ticket_id), **_told(major, update_id=str(update.id)))
    return update


def major_updates_overdue_notify(*, actor: Actor, now: datetime | None = None) -> int:
    """Remind the managers of majors whose update is overdue: once when it falls due, again each cadence after."""
    now = now or timezone.now()
    reminded = 0
    for major in majors_overdue(now):
        last = major.reminded_at
        due = major.next_update_due
        assert due is not None  # majors_overdue only returns majors with a due time
        if last is not None and last >= due and now - last < major.cadence:
            continue
        with transaction.atomic():
            before, after = apply_changes(major, {"reminded_at": now})
            late = int((now - due).total_seconds() // 60)
            record_event(
                major.ticket,
                TicketEvent.Kind.UPDATE,
                actor,
                body=f"The stakeholder update is overdue by {late} minutes.",
                data={"major": str(major.id), "due": due.isoformat()},
            )
            audit.record(actor, "major.update_overdue", major, before=before, after=after)
            events.emit(
                "servicedesk.major.update_overdue",
                key=str(major.ticket_id),
                **_told(major, due=due.isoformat(), minutes_late=late),
            )
        reminded += 1
    return reminded


def major_resolve(*, actor: Actor, major: MajorIncident, summary: str, resolution_code: str = "fixed") -> MajorIncident:
    """Service is restored: the incident is resolved and the stakeholders get the summary as the last update."""
    _ensure_manager(actor, major.ticket)
    _ensure_active(major)
    if not summary.strip():
        raise ValidationFailed.one("summary", "say what happened and how service was restored")
    now, ticket = timezone.now(), major.ticket
    with transaction.atomic():
        if ticket.is_open:
            ticket_transition(
                actor=actor, ticket=ticket, state="resolved", resolution_code=resolution_code, resolution_notes=summary
            )
        update = _send(actor, major, f"Resolved: {summary.strip()}", now)
        before, after = apply_changes(
            major,
            {
                "status": MajorIncident.Status.RESOLVED,
                "resolved_at": ticket.resolved_at or now,
                "summary": summary.strip(),
                "next_update_due": None,
            },
        )
        audit.record(actor, "major.resolved", major, before=before, after=after)
        events.emit("servicedesk.major.resolved", key=str(ticket.id), **_told(major, update_id=str(update.id)))
    return major


def _actions(actions: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    problems: dict[str, list[str]] = {}
    parsed = []
    for index, action in enumerate(actions):
        description = str(action.get("description") or "").strip()
        becomes = action.get("becomes")
        if not description:
            problems.setdefault(f"actions[{index}].description", []).append("say what is to be done")
        if becomes not in BECOMES:
            problems.setdefault(f"actions[{index}].becomes", []).append("must be problem or change")
        parsed.append((description, str(becomes)))
    if problems:
        raise ValidationFailed(problems, "The review's actions are not valid.")
    return parsed


def major_review(
    *, actor: Actor, major: MajorIncident, review: str, actions: Sequence[dict[str, Any]] = ()
) -> list[ReviewAction]:
    """Record the post-incident review; each action becomes a problem or a change, raised and linked here."""
    _ensure_manager(actor, major.ticket)
    if major.status != MajorIncident.Status.RESOLVED:
        state = "not resolved yet" if major.status == MajorIncident.Status.ACTIVE else "already reviewed"
        raise ValidationFailed.one("status", f"the major incident is {state}")
    if not review.strip():
        raise ValidationFailed.one("review", "write the review: what happened, why, and what was learned")
    parsed, incident = _actions(actions), major.ticket
    origin = f"From the post-incident review of {incident.reference} ({incident.title})."
    cis = list(incident.cis.all())
    made: list[ReviewAction] = []
    with transaction.atomic():
        for description, becomes in parsed:
            raised = ticket_create(
                actor=actor,
                kind=becomes,
                title=description.splitlines()[0][:300],
                description=f"{description}\n\n{origin}",
                impact=incident.impact,
                service=incident.service,
                cis=cis,
            )
            made.append(
                ReviewAction.objects.create(major=major, description=description, becomes=becomes, ticket=raised)
            )
            record_event(raised, TicketEvent.Kind.LINK, actor, body=f"From the review of {incident.reference}.")
            if becomes == "problem" and incident.problem_id is None:
                before, after = apply_changes(incident, {"problem": raised})
                audit.record(actor, "incident.problem_linked", incident, before=before, after=after)
        references = [a.ticket.reference for a in made if a.ticket]
        before, after = apply_changes(
            major, {"status": MajorIncident.Status.REVIEWED, "review": review.strip(), "reviewed_at": timezone.now()}
        )
        record_event(
            incident,
            TicketEvent.Kind.LINK if references else TicketEvent.Kind.UPDATE,
            actor,
            body="Post-incident review recorded"
            + (f"; actions raised: {', '.join(references)}." if references else "."),
            data={"major": str(major.id), "actions": references},
        )
        audit.record(actor, "major.reviewed", major, before=before, after={**after, "actions": references})
        events.emit("servicedesk.major.reviewed", key=str(incident.id), **_told(major, actions=references))
    return made
