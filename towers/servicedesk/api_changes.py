"""REST routes for changes, CAB approvals, the change calendar, freezes, templates, problems and known errors (thin).

Objects are named by their ids in the URL (/changes/<id>, /problems/<id>, /approvals/<id>); a change's
template is named by its code.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version, set_etag
from towers.core.errors import ValidationFailed
from towers.organisations.selectors import person_get
from towers.servicedesk import selectors_changes as changes
from towers.servicedesk import selectors_problems as problems
from towers.servicedesk.api_problems import router as problems_router
from towers.servicedesk.api_support import Mapped, actor_of, resolve_refs, ticket_ref
from towers.servicedesk.models import Ticket
from towers.servicedesk.schemas_changes import (
    ApprovalDecisionIn,
    ApprovalOut,
    CancelIn,
    CausedIncidentIn,
    ChangeCalendarOut,
    ChangeFullOut,
    ChangeIn,
    ChangeOut,
    ChangePatch,
    CompleteIn,
    FreezeIn,
    FreezeOut,
    NotesIn,
    RiskIn,
    SubmitIn,
    TemplateIn,
    TemplateOut,
)
from towers.servicedesk.selectors_changes import ConflictView, change_detail_of, stage_of
from towers.servicedesk.services import change_approvals, change_config, change_delivery
from towers.servicedesk.services import changes as change_services

router = Router(tags=["changes"])
# What a change's output copies from its ticket and from its detail.
TICKET_OUT = ("id", "reference", "title", "description", "state", "priority", "team", "organisation", "opened_at")
DETAIL_OUT = (
    *("change_type", "risk", "risk_answers", "approval_state", "approval_rule", "justification"),
    *("planned_start", "planned_end", "actual_start", "actual_end", "implementation_plan", "backout_plan"),
    *("test_plan", "outcome", "outcome_notes", "review_notes", "reviewed_at", "reviewed_by"),
)
PROBLEM_OUT = ("id", "reference", "title", "description", "state", "priority", "team", "resolution_code", "opened_at")


def _change_out(change: Ticket) -> dict[str, Any]:
    detail = change_detail_of(change)
    out = {name: getattr(change, name) for name in (*TICKET_OUT, "version", "updated_at")}
    return (
        out
        | {name: getattr(detail, name) for name in DETAIL_OUT}
        | {
            "stage": stage_of(change),
            "template": detail.template.code if detail.template_id and detail.template else None,
            "service": change.service_id,
            "caused_incidents": getattr(change, "caused_count", 0),
        }
    )


def _conflict_out(conflict: ConflictView) -> dict[str, Any]:
    return {
        "kind": str(conflict.kind),
        "label": conflict.label,
        "blocking": conflict.blocking,
        "start": conflict.start,
        "end": conflict.end,
        "other": ticket_ref(conflict.other) if conflict.other else None,
        "freeze": {"id": conflict.freeze.pk, "name": conflict.freeze.name} if conflict.freeze else None,
        "shared": list(conflict.shared),
    }


def _full_change(request: HttpRequest, response: HttpResponse, id: UUID) -> dict[str, Any]:
    actor = actor_of(request)
    change = changes.change_get(actor=actor, id=id)
    set_etag(response, change)
    return _change_out(change) | {
        "approvals": changes.change_approvals(actor=actor, change=change),
        "conflicts": [_conflict_out(c) for c in changes.change_conflicts(actor=actor, change=change)],
        "incidents": [ticket_ref(i) for i in changes.caused_incidents(actor=actor, change=change)],
    }


@router.get("/changes", response=list[ChangeOut], summary="Changes you may see, latest window first")
@paginate(Page)
def change_list(
    request: HttpRequest, change_type: str = "", stage: str = "", service: UUID | None = None, search: str = ""
) -> Any:
    qs = changes.change_list(
        actor=actor_of(request), change_type=change_type, stage=stage, service=service, search=search
    )
    return Mapped(qs, _change_out)


@router.post("/changes", response={201: ChangeFullOut}, summary="Raise a change (standard ones from a template)")
def change_create(request: HttpRequest, response: HttpResponse, body: ChangeIn) -> Any:
    actor = actor_of(request)
    data = resolve_refs(actor, body.dict())
    template_code = data.pop("template")
    data["template"] = changes.template_get(actor=actor, code=template_code) if template_code else None
    change = change_services.change_create(actor=actor, **data)
    return Status(201, _full_change(request, response, change.pk))


@router.get("/changes/{id}", response=ChangeFullOut, summary="A change with its approvals, conflicts and incidents")
def change_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    return _full_change(request, response, id)


@router.patch("/changes/{id}", response=ChangeFullOut, summary="Edit a change being planned (send If-Match)")
def change_update(request: HttpRequest, response: HttpResponse, id: UUID, body: ChangePatch) -> Any:
    actor = actor_of(request)
    change = changes.change_get(actor=actor, id=id)
    data = resolve_refs(actor, body.dict(exclude_unset=True))
    change_services.change_update(actor=actor, change=change, changes=data, expected_version=expected_version(request))
    return _full_change(request, response, id)


@router.post("/changes/{id}/risk", response=ChangeFullOut, summary="Answer the risk questionnaire")
def change_assess_risk(request: HttpRequest, response: HttpResponse, id: UUID, body: RiskIn) -> Any:
    actor = actor_of(request)
    change_services.change_assess_risk(actor=actor, change=changes.change_get(actor=actor, id=id), **body.dict())
    return _full_change(request, response, id)


@router.post("/changes/{id}/submit", response=ChangeFullOut, summary="Submit to the CAB (or the named approvers)")
def change_submit(request: HttpRequest, response: HttpResponse, id: UUID, body: SubmitIn) -> Any:
    actor = actor_of(request)
    change = changes.change_get(actor=actor, id=id)
    approvers = [person_get(actor=actor, id=p) for p in body.approvers] if body.approvers is not None else None
    change_approvals.change_submit_for_approval(actor=actor, change=change, approvers=approvers)
    return _full_change(request, response, id)


@router.get("/approvals", response=list[ApprovalOut], summary="Approvals waiting for your decision")
@paginate(Page)
def approval_inbox(request: HttpRequest) -> Any:
    return changes.approvals_awaiting(actor=actor_of(request))


@router.post("/approvals/{id}/decide", response=ApprovalOut, summary="Approve or reject (a rejection says why)")
def approval_decide(request: HttpRequest, id: UUID, body: ApprovalDecisionIn) -> Any:
    actor = actor_of(request)
    approval = changes.approval_get(actor=actor, id=id)
    return change_approvals.approval_decide(
        actor=actor, approval=approval, approve=body.decision == "approve", comment=body.comment
    )


def _step(request: HttpRequest, response: HttpResponse, id: UUID, do: Callable[[Any, Ticket], Any]) -> Any:
    actor = actor_of(request)
    do(actor, changes.change_get(actor=actor, id=id))
    return _full_change(request, response, id)


@router.post("/changes/{id}/implement", response=ChangeFullOut, summary="Start implementing an approved change")
def change_implement(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    return _step(request, response, id, lambda a, c: change_delivery.change_implement(actor=a, change=c))


@router.post("/changes/{id}/complete", response=ChangeFullOut, summary="Record the implementation's outcome")
def change_complete(request: HttpRequest, response: HttpResponse, id: UUID, body: CompleteIn) -> Any:
    return _step(
        request,
        response,
        id,
        lambda a, c: change_delivery.change_complete(actor=a, change=c, outcome=body.outcome, notes=body.notes),
    )


@router.post("/changes/{id}/review", response=ChangeFullOut, summary="Post-implementation review; closes the change")
def change_review(request: HttpRequest, response: HttpResponse, id: UUID, body: NotesIn) -> Any:
    return _step(request, response, id, lambda a, c: change_delivery.change_review(actor=a, change=c, notes=body.notes))


@router.post("/changes/{id}/close", response=ChangeFullOut, summary="Close a change that needs no review")
def change_close(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    return _step(request, response, id, lambda a, c: change_delivery.change_close(actor=a, change=c))


@router.post("/changes/{id}/cancel", response=ChangeFullOut, summary="Withdraw a change before it is implemented")
def change_cancel(request: HttpRequest, response: HttpResponse, id: UUID, body: CancelIn) -> Any:
    return _step(
        request, response, id, lambda a, c: change_services.change_cancel(actor=a, change=c, reason=body.reason)
    )


@router.post("/changes/{id}/incidents", response=ChangeFullOut, summary="Record an incident this change caused")
def change_link_incident(request: HttpRequest, response: HttpResponse, id: UUID, body: CausedIncidentIn) -> Any:
    actor = actor_of(request)
    change = changes.change_get(actor=actor, id=id)
    incident = problems.incident_get(actor=actor, id=body.incident)
    change_delivery.incident_link_caused_by(actor=actor, incident=incident, change=change)
    return _full_change(request, response, id)


def _month_of(moment: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(moment)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


@router.get(
    "/change-calendar", response=ChangeCalendarOut, summary="Changes and freezes in a period, conflicts flagged"
)
def change_calendar(request: HttpRequest, start: datetime | None = None, end: datetime | None = None) -> Any:
    if (start is None) != (end is None):
        raise ValidationFailed.one("end" if end is None else "start", "give both start and end, or neither")
    if start is None or end is None:
        start, end = _month_of(timezone.now())
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationFailed.one("start", "give a time zone, e.g. 2026-03-01T00:00:00Z")
    calendar = changes.change_calendar(actor=actor_of(request), start=start, end=end)
    return {
        "start": calendar.start,
        "end": calendar.end,
        "changes": [
            {"change": _change_out(e.change), "conflicts": [_conflict_out(c) for c in e.conflicts]}
            for e in calendar.entries
        ],
        "freezes": calendar.freezes,
    }


@router.get("/change-templates", response=list[TemplateOut], summary="Standard changes, pre-approved")
@paginate(Page)
def template_list(request: HttpRequest) -> Any:
    return changes.template_list(actor=actor_of(request))


@router.post("/change-templates", response={201: TemplateOut}, summary="Add a standard change (desk administrators)")
def template_create(request: HttpRequest, body: TemplateIn) -> Any:
    actor = actor_of(request)
    data = resolve_refs(actor, body.dict())
    return Status(201, change_config.change_template_create(actor=actor, **data))


@router.get("/freeze-windows", response=list[FreezeOut], summary="Periods without changes")
@paginate(Page)
def freeze_window_list(request: HttpRequest, start: datetime | None = None, end: datetime | None = None) -> Any:
    return changes.freeze_window_list(actor=actor_of(request), start=start, end=end)


@router.post("/freeze-windows", response={201: FreezeOut}, summary="Add a freeze (desk administrators)")
def freeze_window_create(request: HttpRequest, body: FreezeIn) -> Any:
    actor = actor_of(request)
    services = [service_get(actor=actor, id=s) for s in body.services]
    window = change_config.freeze_window_create(
        actor=actor,
        name=body.name,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        services=services,
        reason=body.reason,
    )
    return Status(201, window)


router.add_router("", problems_router)
