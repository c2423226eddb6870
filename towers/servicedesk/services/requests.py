"""Service requests from the catalogue: submit with typed answers, approve in order, fulfil through tasks.

A request waits (pending, "approval") until its approvers have said yes, one step after another; a no
cancels it with the reason on its timeline. Once approved, its fulfilment tasks are raised as tickets of
their own (kind "task", the request as parent), each routed, handed off and clocked like any ticket; a
task that waits for another is raised when that one is resolved, and when every task is resolved the
request is too (services.fulfilment).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can, visible_to
from towers.core.records import apply_changes
from towers.core.roles import Role
from towers.organisations.models import Person, TeamMembership
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms_schema import AnswersInvalid, Question, clean_answers, parse_form
from towers.servicedesk.models import Approval, CatalogItem, PendingReason, State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.models.catalogue import FulfilmentStep
from towers.servicedesk.services.catalogue import LINE_MANAGER
from towers.servicedesk.services.fulfilment import FULFILMENT, cancel_waiting_approvals, fulfil, request_cancelled
from towers.servicedesk.services.tickets import ticket_create, ticket_transition
from towers.servicedesk.services.timeline import record_event


def _known_people(actor: Actor) -> Any:
    def known(usernames: Collection[str]) -> set[str]:
        people = visible_to(actor, Person.objects).filter(username__in=usernames, is_active=True)
        return set(people.values_list("username", flat=True))

    return known


def team_lead_of(person: Person) -> Person | None:
    """The requester's line manager when the form names none: a team lead of a team they belong to."""
    membership = (
        TeamMembership.objects.filter(team__members__person=person, person__is_active=True)
        .exclude(person=person)
        .filter(person__memberships__role=Role.TEAM_LEAD, person__memberships__organisation=F("team__organisation"))
        .select_related("person")
        .order_by("person__username")
        .first()
    )
    return membership.person if membership else None


def _approvers(item: CatalogItem, answers: Mapping[str, Any], requester: Person) -> list[tuple[str, Person]]:
    usernames = {a["person"] for a in item.approvals if "person" in a}
    usernames |= {str(answers[a["field"]]) for a in item.approvals if a.get("field") in answers}
    people = {p.username: p for p in Person.objects.filter(username__in=usernames, is_active=True)}
    chosen: list[tuple[str, Person]] = []
    for entry in item.approvals:
        role, field = entry["role"], entry.get("field")
        username = entry.get("person") or (answers.get(field) if field else None)
        person = people.get(str(username)) if username else None
        if person is None and role == LINE_MANAGER and not username:
            person = team_lead_of(requester)
        if person is None:
            where = f"answers.{field}" if field else "approvals"
            raise ValidationFailed.one(where, f"say who approves as {role.replace('_', ' ')}")
        if person.pk == requester.pk:
            where = f"answers.{field}" if field else "requester"
            raise ValidationFailed.one(where, f"the requester cannot approve their own request as {role}")
        chosen.append((role, person))
    return chosen


def _summary(questions: tuple[Question, ...], answers: Mapping[str, Any]) -> str:
    lines = []
    for question in questions:
        if question.name in answers:
            value = answers[question.name]
            shown = (
                ", ".join(value)
                if isinstance(value, list)
                else ("Yes" if value is True else "No" if value is False else value)
            )
            lines.append(f"{question.label}: {shown}")
    return "\n".join(lines)


def request_submit(
    *,
    actor: Actor,
    item: CatalogItem,
    answers: Mapping[str, Any],
    requester: Person | None = None,
    channel: str = "portal",
) -> Ticket:
    """Ask for a catalogue item: the answers are checked, the approvers found, then it waits or is fulfilled."""
    if not item.is_active:
        raise ValidationFailed.one("catalog_item", f"{item.name} is no longer offered")
    if requester is not None and is_requester_only(actor) and requester.pk != actor.person_id:
        raise Forbidden("You can ask only for yourself; the service desk can ask on someone's behalf.")
    if requester is None and actor.person_id is not None:
        requester = Person.objects.get(pk=actor.person_id)
    if requester is None:
        raise ValidationFailed.one("requester", "say who the request is for")
    questions = parse_form(item.form)
    try:
        cleaned = clean_answers(questions, answers, known_people=_known_people(actor))
    except AnswersInvalid as exc:
        raise ValidationFailed(
            {f"answers.{k}": v for k, v in exc.errors.items()}, "Some answers are not valid."
        ) from exc
    approvers = _approvers(item, cleaned, requester)
    with transaction.atomic():
        ticket = ticket_create(
            actor=actor,
            kind=TicketKind.REQUEST,
            title=f"{item.name} for {requester.get_full_name() or requester.username}"[:300],
            description=_summary(questions, cleaned),
            service=item.service,
            category=item.category,
            requester=requester,
            channel=channel,
            extra={"catalog_item": item, "answers": cleaned},
        )
        FulfilmentStep.objects.bulk_create(
            FulfilmentStep(
                request=ticket,
                index=index,
                title=task["title"],
                description=task.get("description", ""),
                team_id=task["team"],
                after=task.get("after"),
                answer_fields=task.get("fields", []),
            )
            for index, task in enumerate(item.tasks)
        )
        Approval.objects.bulk_create(
            Approval(ticket=ticket, role=role, step=step, approver=person)
            for step, (role, person) in enumerate(approvers, start=1)
        )
        audit.record(
            actor,
            "request.submitted",
            ticket,
            after={"catalog_item": item.code, "answers": cleaned, "approvers": [p.username for _r, p in approvers]},
        )
        events.emit("servicedesk.request.submitted", key=str(ticket.id), ticket_id=str(ticket.id), item=item.code)
        if approvers:
            ticket_transition(
                actor=FULFILMENT, ticket=ticket, state=State.PENDING, pending_reason=PendingReason.APPROVAL
            )
            _ask(ticket, step=1)
        else:
            fulfil(ticket)
    return ticket


def _ask(ticket: Ticket, *, step: int) -> None:
    for approval in ticket.approvals.filter(step=step, status=Approval.Status.REQUESTED).select_related("approver"):
        approver = approval.approver
        who = (approver.get_full_name() or approver.username) if approver else "nobody"
        record_event(
            ticket,
            TicketEvent.Kind.UPDATE,
            FULFILMENT,
            body=f"Waiting for approval by {who} ({approval.role.replace('_', ' ')}).",
            public=True,
            data={"approval": str(approval.id)},
        )
        events.emit(
            "servicedesk.approval.requested",
            key=str(ticket.id),
            ticket_id=str(ticket.id),
            approval_id=str(approval.id),
            person_id=str(approval.approver_id),
            role=approval.role,
        )


def current_step(ticket: Ticket) -> int | None:
    """The step whose approvals are being asked for now: the earliest still waiting."""
    steps = ticket.approvals.filter(status=Approval.Status.REQUESTED).values_list("step", flat=True)
    return min(steps, default=None)


def request_approval_decide(*, actor: Actor, approval: Approval, approve: bool, comment: str = "") -> Approval:
    """The approver says yes or no; a no cancels the request, the last yes starts its fulfilment."""
    ticket = approval.ticket
    if ticket.kind != TicketKind.REQUEST:
        raise ValidationFailed.one("approval", "this approval belongs to a change: decide it on the change")
    if actor.read_only:
        raise Forbidden("Auditors have read-only access.")
    if not actor.is_system and approval.approver_id != actor.person_id:
        raise Forbidden("Only the approver named on this approval can decide it.")
    if approval.status != Approval.Status.REQUESTED or not ticket.is_open:
        raise ValidationFailed.one("status", f"this approval is already {approval.get_status_display().lower()}")
    if approval.step != current_step(ticket):
        raise ValidationFailed.one("step", "the approvals before this one have not been given yet")
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationFailed.one("comment", "say why the request is rejected")
    status = Approval.Status.APPROVED if approve else Approval.Status.REJECTED
    role = approval.role.replace("_", " ")
    with transaction.atomic():
        before, after = apply_changes(
            approval, {"status": status, "decided_by": actor.label, "decided_at": timezone.now(), "comment": comment}
        )
        verdict = "Approved" if approve else "Rejected"
        record_event(
            ticket,
            TicketEvent.Kind.UPDATE,
            actor,
            body=f"{verdict} by {actor.label} ({role})" + (f": {comment}" if comment else "."),
            public=True,
            data={"approval": str(approval.id), "status": status},
        )
        audit.record(actor, f"approval.{status}", approval, before=before, after={**after, "ticket": ticket.reference})
        events.emit(
            "servicedesk.approval.decided",
            key=str(ticket.id),
            ticket_id=str(ticket.id),
            approval_id=str(approval.id),
            status=status,
        )
        if not approve:
            _cancel_request(ticket, note=f"Rejected by {actor.label} ({role}): {comment}")
            events.emit(
                "servicedesk.request.rejected",
                key=str(ticket.id),
                ticket_id=str(ticket.id),
                approval_id=str(approval.id),
                reason=comment,
            )
        elif (step := current_step(ticket)) is not None:
            _ask(ticket, step=step)
        else:
            ticket_transition(actor=FULFILMENT, ticket=ticket, state=State.IN_PROGRESS, note="Approved.")
            events.emit("servicedesk.request.approved", key=str(ticket.id), ticket_id=str(ticket.id))
            fulfil(ticket)
    return approval


def request_withdraw(*, actor: Actor, request: Ticket, reason: str) -> Ticket:
    """The requester (or the desk) no longer wants it: the request, its approvals and open tasks are cancelled."""
    if request.kind != TicketKind.REQUEST:
        raise ValidationFailed.one("ticket", f"{request.reference} is not a service request")
    if actor.person_id is None or request.requester_id != actor.person_id:
        ensure_can(actor, "ticket.work", request)
        if is_requester_only(actor):
            raise Forbidden("Only the requester or the service desk can withdraw a request.")
    elif actor.read_only:
        raise Forbidden("Auditors have read-only access.")
    if not request.is_open:
        raise ValidationFailed.one("state", f"a {request.get_state_display().lower()} request cannot be withdrawn")
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why the request is withdrawn")
    with transaction.atomic():
        record_event(request, TicketEvent.Kind.UPDATE, actor, body=f"Withdrawn: {reason.strip()}", public=True)
        audit.record(actor, "request.withdrawn", request, after={"reason": reason.strip()})
        _cancel_request(request, note=f"Withdrawn by {actor.label}: {reason.strip()}")
        request_cancelled(actor=FULFILMENT, request=request)
    return request


def _cancel_request(ticket: Ticket, *, note: str) -> None:
    cancel_waiting_approvals(FULFILMENT, ticket)
    ticket_transition(actor=FULFILMENT, ticket=ticket, state=State.CANCELLED, note=note)
