"""Changes: raise (standard from a template, normal, emergency), edit, assess risk, cancel; the lifecycle's rules.

A change is a ticket (kind "change") with a ChangeDetail. Its stage is read from the ticket's state and the
detail's approval state, so queues, clocks and hand-offs work for changes as for every ticket:

    new / assigned + not requested or rejected   draft (being planned; a rejected change may be resubmitted)
    pending (awaiting approval)                   with the CAB (services/change_approvals.py)
    assigned + approved                           scheduled
    in progress                                   being implemented
    resolved                                      done, outcome recorded, awaiting review or closure
    closed / cancelled

A standard change is approved when raised (its template was approved once, for every use). Editing what the
CAB approved (the window, the plans, what it touches) withdraws the approval, as ServiceNow does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.audit import snapshot
from towers.core.errors import Forbidden, StaleVersion, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.organisations.models import Person, Team
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.changecalendar import RiskAnswers, risk_level, risk_score
from towers.servicedesk.models import Approval, ChangeDetail, ChangeTemplate, State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.models.changes import ApprovalState, ChangeType
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.tickets import ticket_create, ticket_update
from towers.servicedesk.services.timeline import record_event

PLANNING_STATES = (State.NEW, State.ASSIGNED, State.PENDING)
DETAIL_FIELDS = ["change_type", "risk", "planned_start", "planned_end", "approval_state", "approval_rule", "outcome"]
DETAIL_EDITABLE = {"justification", "planned_start", "planned_end", "implementation_plan", "backout_plan", "test_plan"}
TICKET_EDITABLE = {"title", "description", "impact", "urgency", "service", "cis"}
# What the CAB approved: changing any of it needs a new approval.
APPROVED_SCOPE = {"planned_start", "planned_end", "implementation_plan", "backout_plan", "service", "cis"}


def ensure_change_worker(actor: Actor, change: Ticket, action: str = "ticket.work") -> None:
    ensure_can(actor, action, change)
    if is_requester_only(actor):
        raise Forbidden("Changes are planned and worked by the service desk and resolvers.")


def detail_of(change: Ticket) -> ChangeDetail:
    """The change's detail (made for a change raised through the generic ticket routes, which have none)."""
    if change.kind != TicketKind.CHANGE:
        raise ValidationFailed.one("change", f"{change.reference} is not a change")
    try:
        return change.change_detail
    except ChangeDetail.DoesNotExist:
        change.change_detail = ChangeDetail.objects.create(ticket=change)
        return change.change_detail


def touch(ticket: Ticket, expected_version: int | None = None) -> None:
    """Bump the ticket's version when only its detail changed, so that the change's ETag covers the detail too."""
    current = ticket.version
    if expected_version is not None and expected_version != current:
        raise StaleVersion(current)
    now = timezone.now()
    if not Ticket.objects.filter(pk=ticket.pk, version=current).update(version=F("version") + 1, updated_at=now):
        raise StaleVersion(Ticket.objects.values_list("version", flat=True).get(pk=ticket.pk))
    ticket.version, ticket.updated_at = current + 1, now


def apply_detail(detail: ChangeDetail, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = {name: value for name, value in changes.items() if getattr(detail, name) != value}
    if not changed:
        return {}, {}
    before = snapshot(detail, changed)
    for name, value in changed.items():
        setattr(detail, name, value)
    detail.save(update_fields=list(changed))
    return before, snapshot(detail, changed)


def move(
    change: Ticket,
    actor: Actor,
    *,
    ticket_changes: dict[str, Any],
    detail_changes: dict[str, Any] | None = None,
    note: str = "",
    kind: str = TicketEvent.Kind.STATE,
    data: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One step of the change's life: its ticket and detail written, a timeline line, clocks replayed."""
    before, after = apply_changes(change, ticket_changes)
    detail_before, detail_after = apply_detail(detail_of(change), detail_changes or {})
    if detail_after and not after:
        touch(change)
    record_event(change, kind, actor, body=note, data=data)
    if "state" in after:
        ticket_clocks_recompute(ticket=change, actor=actor)
    return before | detail_before, after | detail_after


def _check_window(planned_start: datetime | None, planned_end: datetime | None) -> None:
    if (planned_start is None) != (planned_end is None):
        missing = "planned_end" if planned_end is None else "planned_start"
        raise ValidationFailed.one(missing, "a change window needs both a start and an end")
    if planned_start is not None and planned_end is not None and planned_end <= planned_start:
        raise ValidationFailed.one("planned_end", "the window must end after it starts")


def change_create(
    *,
    actor: Actor,
    title: str,
    change_type: str = ChangeType.NORMAL,
    template: ChangeTemplate | None = None,
    description: str = "",
    justification: str = "",
    service: Service | None = None,
    cis: Iterable[ConfigurationItem] = (),
    team: Team | None = None,
    impact: int = 3,
    urgency: int = 3,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    implementation_plan: str = "",
    backout_plan: str = "",
    test_plan: str = "",
) -> Ticket:
    """Raise a change; a standard one copies its template's plans and risk and is approved at once."""
    if is_requester_only(actor):
        raise Forbidden("Changes are raised by the service desk and resolvers.")
    if change_type not in ChangeType.values:
        raise ValidationFailed.one("change_type", f"choose one of {', '.join(ChangeType.values)}")
    _check_window(planned_start, planned_end)
    detail = ChangeDetail(
        change_type=change_type,
        justification=justification,
        planned_start=planned_start,
        planned_end=planned_end,
        implementation_plan=implementation_plan,
        backout_plan=backout_plan,
        test_plan=test_plan,
    )
    if change_type == ChangeType.STANDARD:
        if template is None or not template.is_active:
            raise ValidationFailed.one("template", "a standard change is raised from an active change template")
        if planned_start is None:
            raise ValidationFailed.one("planned_start", "a standard change is scheduled when it is raised")
        detail.template, detail.risk, detail.approval_state = template, template.risk, ApprovalState.APPROVED
        detail.implementation_plan, detail.backout_plan = template.implementation_plan, template.backout_plan
        detail.test_plan = template.test_plan
        service, team = service or template.service, team or template.team
    elif template is not None:
        raise ValidationFailed.one("template", "only standard changes are raised from a template")
    with transaction.atomic():
        change = ticket_create(
            actor=actor,
            title=title,
            kind=TicketKind.CHANGE,
            description=description,
            impact=impact,
            urgency=urgency,
            service=service,
            cis=cis,
            team=team,
            # Who asked for the change: barred from approving it.
            requester=Person.objects.get(pk=actor.person_id) if actor.person_id else None,
            channel="api" if actor.channel == "api" else "portal",
        )
        detail.ticket = change
        detail.save(force_insert=True)
        change.change_detail = detail
        audit.record(actor, "change.created", change, after=snapshot(detail, DETAIL_FIELDS))
        events.emit(
            "servicedesk.change.created",
            key=str(change.id),
            change_id=str(change.id),
            change_type=change_type,
            approved=detail.approval_state == ApprovalState.APPROVED,
        )
    return change


def _ensure_planning(change: Ticket) -> None:
    if change.state not in PLANNING_STATES:
        raise ValidationFailed.one("state", f"a {change.get_state_display().lower()} change can no longer be edited")


def withdraw_approval(change: Ticket, actor: Actor, reason: str) -> dict[str, Any]:
    """Cancel the approvals asked for, and put the change back to draft: what was approved is no longer the plan."""
    Approval.objects.filter(ticket=change, status=Approval.Status.REQUESTED).update(
        status=Approval.Status.CANCELLED, decided_at=timezone.now(), decided_by=actor.label, comment=reason
    )
    ticket_changes: dict[str, Any] = {"pending_reason": ""}
    if change.state == State.PENDING:
        ticket_changes["state"] = State.ASSIGNED
    _before, after = move(
        change,
        actor,
        ticket_changes=ticket_changes,
        detail_changes={"approval_state": ApprovalState.NOT_REQUESTED, "approval_rule": ""},
        note=reason,
        kind=TicketEvent.Kind.UPDATE,
        data={"approval": "withdrawn"},
    )
    return after


def change_update(
    *, actor: Actor, change: Ticket, changes: dict[str, Any], expected_version: int | None = None
) -> Ticket:
    """Edit a change being planned; editing what the CAB approved (or is asked to) needs its approval again."""
    ensure_change_worker(actor, change)
    detail = detail_of(change)
    unknown = set(changes) - DETAIL_EDITABLE - TICKET_EDITABLE
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    _ensure_planning(change)
    plans = {"implementation_plan", "backout_plan", "test_plan"} & set(changes)
    if detail.change_type == ChangeType.STANDARD and any(changes[p] != getattr(detail, p) for p in plans):
        raise ValidationFailed.one(sorted(plans)[0], "a standard change follows its template's plans")
    detail_changes = {k: v for k, v in changes.items() if k in DETAIL_EDITABLE}
    ticket_changes = {k: v for k, v in changes.items() if k in TICKET_EDITABLE}
    _check_window(
        detail_changes.get("planned_start", detail.planned_start), detail_changes.get("planned_end", detail.planned_end)
    )
    ticket_changed = {
        name for name, value in ticket_changes.items() if name != "cis" and getattr(change, name) != value
    }
    if "cis" in ticket_changes and {ci.pk for ci in ticket_changes["cis"]} != set(
        change.cis.values_list("pk", flat=True)
    ):
        ticket_changed.add("cis")
    with transaction.atomic():
        version_before = change.version
        if ticket_changes:
            ticket_update(actor=actor, ticket=change, changes=ticket_changes, expected_version=expected_version)
        before, after = apply_detail(detail, detail_changes)
        if after:
            touch(change, expected_version if change.version == version_before else None)
            record_event(change, TicketEvent.Kind.UPDATE, actor, data={"changed": sorted(after)})
            audit.record(actor, "change.updated", change, before=before, after=after)
        elif not ticket_changes and expected_version is not None and expected_version != change.version:
            raise StaleVersion(change.version)
        touched = (set(after) | ticket_changed) & APPROVED_SCOPE
        rescoped = detail.change_type != ChangeType.STANDARD and detail.approval_state in (
            ApprovalState.REQUESTED,
            ApprovalState.APPROVED,
        )
        if touched and rescoped:
            withdrawn = withdraw_approval(change, actor, f"Approval withdrawn: {', '.join(sorted(touched))} changed.")
            audit.record(actor, "change.approval_withdrawn", change, after=withdrawn)
        if after or touched:
            events.emit("servicedesk.change.updated", key=str(change.id), change_id=str(change.id))
    return change


def risk_answers_for(change: Ticket, **given: Any) -> RiskAnswers:
    """The questionnaire, with what the CMDB knows filled in unless given: services touched, CI criticality."""
    cis = list(change.cis.only("criticality", "service_id"))
    services = {ci.service_id for ci in cis if ci.service_id} | ({change.service_id} if change.service_id else set())
    criticality = min((ci.criticality for ci in cis), default=None)
    services_affected = given.get("services_affected")
    ci_criticality = given.get("ci_criticality")
    return RiskAnswers(
        services_affected=len(services) if services_affected is None else services_affected,
        ci_criticality=criticality if ci_criticality is None else ci_criticality,
        outage_required=bool(given["outage_required"]),
        backout_tested=bool(given["backout_tested"]),
        done_before=bool(given["done_before"]),
    )


def change_assess_risk(
    *,
    actor: Actor,
    change: Ticket,
    outage_required: bool,
    backout_tested: bool,
    done_before: bool,
    services_affected: int | None = None,
    ci_criticality: int | None = None,
) -> Ticket:
    """Score the risk questionnaire; the level decides how the CAB approves (all members for high and above)."""
    ensure_change_worker(actor, change)
    detail = detail_of(change)
    if detail.change_type == ChangeType.STANDARD:
        raise ValidationFailed.one("risk", "a standard change carries its template's risk")
    if detail.approval_state not in (ApprovalState.NOT_REQUESTED, ApprovalState.REJECTED):
        raise ValidationFailed.one("risk", "the risk is assessed before the change goes to the CAB")
    if services_affected is not None and services_affected < 0:
        raise ValidationFailed.one("services_affected", "cannot be negative")
    if ci_criticality is not None and ci_criticality not in (1, 2, 3, 4):
        raise ValidationFailed.one("ci_criticality", "1 (critical) to 4 (low)")
    answers = risk_answers_for(
        change,
        outage_required=outage_required,
        backout_tested=backout_tested,
        done_before=done_before,
        services_affected=services_affected,
        ci_criticality=ci_criticality,
    )
    level, score = risk_level(answers), risk_score(answers)
    recorded = {**vars(answers), "score": score}
    with transaction.atomic():
        before, after = move(
            change,
            actor,
            ticket_changes={},
            detail_changes={"risk": str(level), "risk_answers": recorded},
            note=f"Risk assessed as {level.value.replace('_', ' ')} (score {score}).",
            kind=TicketEvent.Kind.UPDATE,
            data={"risk": str(level), "score": score},
        )
        audit.record(actor, "change.risk_assessed", change, before=before, after=after)
        events.emit("servicedesk.change.risk_assessed", key=str(change.id), change_id=str(change.id), risk=str(level))
    return change


def change_cancel(*, actor: Actor, change: Ticket, reason: str) -> Ticket:
    """Withdraw a change before it is implemented; the approvals asked for are cancelled with it."""
    ensure_change_worker(actor, change)
    detail_of(change)
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why the change is cancelled")
    _ensure_planning(change)
    from towers.servicedesk.services.handoffs import release_holder

    with transaction.atomic():
        now = timezone.now()
        Approval.objects.filter(ticket=change, status=Approval.Status.REQUESTED).update(
            status=Approval.Status.CANCELLED, decided_at=now, decided_by=actor.label, comment=reason.strip()
        )
        before, after = move(
            change,
            actor,
            ticket_changes={"state": State.CANCELLED, "pending_reason": "", "closed_at": now},
            note=reason.strip(),
        )
        release_holder(change, now)
        audit.record(actor, "change.cancelled", change, before=before, after={**after, "reason": reason.strip()})
        events.emit("servicedesk.change.cancelled", key=str(change.id), change_id=str(change.id))
    return change
