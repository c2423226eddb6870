"""The change advisory board: submitting a change for approval and each approver's decision.

Who is asked: the approvers named at submission, or else the CAB, i.e. everyone holding the role service
manager or team lead in the desk's organisation. Nobody approves their own change (the submitter and the
requester are left out of the CAB, and may not be named).

How the decisions add up (the rule is fixed at submission, from the change's type and risk):

- emergency: the emergency CAB, the same people, of whom any one approval is enough (rejected only if all
  reject), because an emergency cannot wait for a quorum;
- normal, high or very high risk: every approver must approve, and one rejection rejects it;
- normal, low or medium risk: a majority must approve; rejected as soon as a majority can no longer be reached.

When the tally is settled the approvals still open are cancelled. A rejected change goes back to draft and
may be resubmitted (a new round, `step` + 1); an approved one is scheduled (services/change_delivery.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.core.roles import Role
from towers.organisations.models import Membership, Person
from towers.servicedesk.changecalendar import Tally, tally
from towers.servicedesk.models import Approval, PendingReason, State, Ticket, TicketEvent
from towers.servicedesk.models.changes import ApprovalRule, ApprovalState, ChangeType, Risk
from towers.servicedesk.policies import ticket_owners
from towers.servicedesk.services.changes import detail_of, ensure_change_worker, move
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.timeline import record_event

CAB_ROLES = (Role.SERVICE_MANAGER, Role.TEAM_LEAD)
# Who may be named as an approver: anyone who may approve changes in an organisation that owns the change.
APPROVER_ROLES = (*CAB_ROLES, Role.ADMINISTRATOR)


def cab_members(*, exclude: Iterable[object] = ()) -> list[Person]:
    """The desk organisation's service managers and team leads, by name (the default approvers)."""
    desk = desk_settings().desk_organisation_id
    if desk is None:
        return []
    return list(
        Person.objects.filter(memberships__organisation_id=desk, memberships__role__in=CAB_ROLES, is_active=True)
        .exclude(pk__in=[p for p in exclude if p is not None])
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def approval_rule_for(change_type: str, risk: str) -> str:
    if change_type == ChangeType.EMERGENCY:
        return ApprovalRule.ANY
    return ApprovalRule.ALL if risk in (Risk.HIGH, Risk.VERY_HIGH) else ApprovalRule.MAJORITY


def _readiness_problems(change: Ticket) -> dict[str, list[str]]:
    """What a change must have before the CAB sees it: a window, the plans, and (normal changes) a risk."""
    detail = detail_of(change)
    problems: dict[str, list[str]] = {}
    if detail.planned_start is None:
        problems["planned_start"] = ["plan the change window first"]
    elif detail.change_type == ChangeType.NORMAL and detail.planned_start <= timezone.now():
        problems["planned_start"] = ["a normal change is approved before its window opens: choose a later start"]
    if not detail.implementation_plan.strip():
        problems["implementation_plan"] = ["say how the change will be made"]
    if not detail.backout_plan.strip():
        problems["backout_plan"] = ["say how the change will be backed out if it goes wrong"]
    if detail.change_type == ChangeType.NORMAL and not detail.risk:
        problems["risk"] = ["assess the risk first"]
    return problems


def _checked_approvers(change: Ticket, approvers: list[Person], barred: set[object]) -> list[Person]:
    owners = set(ticket_owners(change))
    may_approve = set(
        Membership.objects.filter(
            person__in=approvers, organisation_id__in=owners, role__in=APPROVER_ROLES, person__is_active=True
        ).values_list("person_id", flat=True)
    )
    problems = []
    for person in approvers:
        if person.pk in barred:
            problems.append(f"{person} may not approve a change they raised or submitted")
        elif person.pk not in may_approve:
            problems.append(f"{person} does not approve changes for an organisation party to this change")
    if problems:
        raise ValidationFailed({"approvers": problems}, "; ".join(problems))
    return list({p.pk: p for p in approvers}.values())


def change_submit_for_approval(
    *, actor: Actor, change: Ticket, approvers: Iterable[Person] | None = None
) -> list[Approval]:
    """Ask the CAB (or the named approvers) to approve the change; it waits, pending approval, meanwhile."""
    ensure_change_worker(actor, change)
    detail = detail_of(change)
    if detail.change_type == ChangeType.STANDARD:
        raise ValidationFailed.one("change_type", "a standard change is pre-approved: it needs no CAB")
    if change.state not in (State.NEW, State.ASSIGNED):
        raise ValidationFailed.one("state", f"a {change.get_state_display().lower()} change cannot be submitted")
    if detail.approval_state not in (ApprovalState.NOT_REQUESTED, ApprovalState.REJECTED):
        raise ValidationFailed.one("approval_state", "this change is already with the CAB or approved")
    problems = _readiness_problems(change)
    if problems:
        raise ValidationFailed(problems, "The change is not ready for the CAB: " + "; ".join(problems))
    barred: set[object] = {p for p in (actor.person_id, change.requester_id) if p is not None}
    people = (
        _checked_approvers(change, list(approvers), barred) if approvers is not None else cab_members(exclude=barred)
    )
    if not people:
        raise ValidationFailed.one("approvers", "there is no CAB member to ask: name the approvers")
    rule = approval_rule_for(detail.change_type, detail.risk)
    board = "ecab" if detail.change_type == ChangeType.EMERGENCY else "cab"
    with transaction.atomic():
        step = (Approval.objects.filter(ticket=change).aggregate(last=Max("step"))["last"] or 0) + 1
        created = Approval.objects.bulk_create(
            [Approval(ticket=change, role=board, step=step, approver=person) for person in people]
        )
        before, after = move(
            change,
            actor,
            ticket_changes={"state": State.PENDING, "pending_reason": PendingReason.APPROVAL},
            detail_changes={"approval_state": ApprovalState.REQUESTED, "approval_rule": rule},
            note=f"Submitted to the {board.upper()}: {', '.join(str(p) for p in people)}.",
            data={"approvers": [str(p.pk) for p in people], "rule": rule, "step": step},
        )
        audit.record(
            actor, "change.submitted", change, before=before, after={**after, "approvers": [str(p.pk) for p in people]}
        )
        events.emit(
            "servicedesk.change.submitted",
            key=str(change.id),
            change_id=str(change.id),
            approvers=[str(p.pk) for p in people],
            rule=rule,
        )
    return created


def _settle(change: Ticket, approval: Approval, actor: Actor) -> None:
    """Apply the rule to this round's decisions; once settled, the change is approved or back to draft."""
    detail = detail_of(change)
    statuses = list(
        Approval.objects.filter(ticket=change, step=approval.step)
        .exclude(status=Approval.Status.CANCELLED)
        .values_list("status", flat=True)
    )
    outcome = tally(detail.approval_rule or ApprovalRule.ALL, statuses)
    if outcome is Tally.PENDING:
        return
    now = timezone.now()
    Approval.objects.filter(ticket=change, step=approval.step, status=Approval.Status.REQUESTED).update(
        status=Approval.Status.CANCELLED, decided_at=now, decided_by="system:cab", comment=f"The CAB {outcome}."
    )
    state = ApprovalState.APPROVED if outcome is Tally.APPROVED else ApprovalState.REJECTED
    before, after = move(
        change,
        actor,
        ticket_changes={"state": State.ASSIGNED, "pending_reason": ""},
        detail_changes={"approval_state": state},
        note=f"The change was {outcome} ({detail.get_approval_rule_display().lower()}).",
        data={"approval": str(outcome)},
    )
    audit.record(actor, f"change.{outcome}", change, before=before, after=after)
    events.emit(f"servicedesk.change.{outcome}", key=str(change.id), change_id=str(change.id))


def approval_decide(*, actor: Actor, approval: Approval, approve: bool, comment: str = "") -> Approval:
    """The named approver's decision; a rejection says why. It may settle the change's approval."""
    ensure_can(actor, "change.approve", approval)
    if approval.approver_id is None or approval.approver_id != actor.person_id:
        raise Forbidden(f"This approval is asked of {approval.approver}, not of you.")
    if approval.status != Approval.Status.REQUESTED:
        raise ValidationFailed.one("approval", f"this approval is already {approval.get_status_display().lower()}")
    if not approve and not comment.strip():
        raise ValidationFailed.one("comment", "say why the change is rejected")
    with transaction.atomic():
        change = Ticket.objects.select_for_update().get(pk=approval.ticket_id)
        if detail_of(change).approval_state != ApprovalState.REQUESTED:
            raise ValidationFailed.one("approval", "the change is no longer awaiting approval")
        status = Approval.Status.APPROVED if approve else Approval.Status.REJECTED
        before, after = apply_changes(
            approval,
            {"status": status, "decided_by": actor.label, "decided_at": timezone.now(), "comment": comment.strip()},
        )
        record_note = f"{actor.label} {status}{': ' + comment.strip() if comment.strip() else '.'}"
        record_event(change, TicketEvent.Kind.UPDATE, actor, body=record_note, data={"approval": str(approval.pk)})
        audit.record(actor, f"approval.{status}", approval, before=before, after=after)
        events.emit(
            "servicedesk.approval.decided",
            key=str(change.id),
            change_id=str(change.id),
            approval_id=str(approval.pk),
            status=status,
        )
        _settle(change, approval, actor)
    approval.ticket = change
    return approval
