"""REST routes of the SOC (thin): the alert queue and bulk triage, security cases, detection rules and tuning."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from towers.core.api import Page, expected_version, set_etag
from towers.core.errors import ValidationFailed
from towers.organisations.selectors import person_get, team_get
from towers.servicedesk.api_support import Mapped
from towers.soc import selectors
from towers.soc.models import Alert, SecurityCase
from towers.soc.schemas import (
    SocAlertBulkIn,
    SocAlertFullOut,
    SocAlertOut,
    SocCaseFullOut,
    SocCaseIn,
    SocCaseOut,
    SocCaseStatusIn,
    SocHandOffIn,
    SocNoteIn,
    SocNoteOut,
    SocObservableIn,
    SocObservableOut,
    SocTaskIn,
    SocTaskOut,
    SocTaskPatch,
)
from towers.soc.services import alerts as alert_services
from towers.soc.services import cases as case_services

router = Router(tags=["SOC"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _alert_out(alert: Alert) -> dict[str, Any]:
    fields = ("id", "title", "severity", "status", "tactics", "techniques", "host", "user", "ip", "count")
    times = ("first_seen", "last_seen", "detected_at", "suppressed_until")
    return {name: getattr(alert, name) for name in (*fields, *times, "events")} | {
        "rule_id": alert.rule.rule_id,
        "ci": alert.ci_id,
        "case": alert.case_id,
    }


def _case_out(case: SecurityCase) -> dict[str, Any]:
    fields = ("id", "reference", "title", "severity", "status", "tlp", "pap")
    times = ("opened_at", "detected_at", "acknowledged_at", "resolved_at")
    return {name: getattr(case, name) for name in (*fields, *times)} | {
        "ci": case.ci_id,
        "incident": case.incident_id,
        "clocks": list(case.clocks.all()),  # prefetched by the selectors
    }


def _seconds(span: Any) -> float | None:
    return span.total_seconds() if span is not None else None


def _case_full(request: HttpRequest, id: UUID) -> dict[str, Any]:
    actor = _actor(request)
    case = selectors.case_get(actor=actor, id=id)
    detail = selectors.case_detail(actor=actor, case=case)
    metrics, enrichment, incident = detail["metrics"], detail["enrichment"], case.incident
    return _case_out(case) | {
        "alerts": [_alert_out(a) for a in detail["alerts"]],
        "tasks": detail["tasks"],
        "observables": detail["observables"],
        "notes": detail["notes"],
        "timeline": detail["timeline"],
        "mttd_seconds": _seconds(metrics.mttd),
        "mtta_seconds": _seconds(metrics.mtta),
        "mttr_seconds": _seconds(metrics.mttr),
        "incident_detail": None
        if incident is None
        else {"id": incident.id, "reference": incident.reference, "state": incident.state, "team": str(incident.team)},
        "enrichment": None if enrichment is None else {k: str(v) for k, v in enrichment.items() if v is not None},
    }


@router.get("/alerts", response=list[SocAlertOut], summary="The alert queue, most recent first")
@paginate(Page)
def alert_list(
    request: HttpRequest,
    status: str = "",
    severity: str = "",
    rule: str = "",
    host: str = "",
    open_only: bool = False,
    technique: str = Query("", description="An ATT&CK technique; T1059 also finds its sub-techniques (T1059.001)."),
    tactic: str = Query("", description="An ATT&CK tactic, e.g. execution or defense-evasion."),
) -> Any:
    qs = selectors.alert_list(
        actor=_actor(request),
        status=status,
        severity=severity,
        rule=rule,
        host=host,
        open_only=open_only,
        technique=technique,
        tactic=tactic,
    )
    return Mapped(qs, _alert_out)


@router.post("/alerts/bulk", response=list[SocAlertOut], summary="Acknowledge, suppress or close several alerts")
def alert_bulk(request: HttpRequest, body: SocAlertBulkIn) -> Any:
    actor = _actor(request)
    alerts = selectors.alerts_get(actor=actor, ids=body.alerts)
    if body.action == "acknowledge":
        done = alert_services.alerts_acknowledge(actor=actor, alerts=alerts)
    elif body.action == "close":
        done = alert_services.alerts_close(actor=actor, alerts=alerts)
    elif body.until is None:
        raise ValidationFailed.one("until", "is required to suppress")
    else:
        done = alert_services.alerts_suppress(actor=actor, alerts=alerts, until=body.until)
    return [_alert_out(a) for a in done]


@router.get("/alerts/{id}", response=SocAlertFullOut)
def alert_get(request: HttpRequest, id: UUID) -> Any:
    return _alert_out(selectors.alert_get(actor=_actor(request), id=id))


@router.get("/security-cases", response=list[SocCaseOut], summary="Security cases, newest first")
@paginate(Page)
def case_list(request: HttpRequest, status: str = "") -> Any:
    return Mapped(selectors.case_list(actor=_actor(request), status=status), _case_out)


@router.post("/security-cases", response={201: SocCaseFullOut}, summary="Open a case from related alerts")
def case_create(request: HttpRequest, body: SocCaseIn) -> Any:
    actor = _actor(request)
    alerts = selectors.alerts_get(actor=actor, ids=body.alerts)
    case = case_services.case_from_alerts(actor=actor, alerts=alerts, title=body.title)
    return Status(201, _case_full(request, case.pk))


@router.get("/security-cases/{id}", response=SocCaseFullOut)
def case_get(request: HttpRequest, id: UUID) -> Any:
    return _case_full(request, id)


@router.post("/security-cases/{id}/tasks", response={201: SocTaskOut})
def case_task_add(request: HttpRequest, id: UUID, body: SocTaskIn) -> Any:
    actor = _actor(request)
    case = selectors.case_get(actor=actor, id=id)
    return Status(201, case_services.case_add_task(actor=actor, case=case, title=body.title))


@router.patch("/security-cases/{id}/tasks/{task_id}", response=SocTaskOut, summary="Mark done, reopen or assign")
def case_task_update(request: HttpRequest, response: HttpResponse, id: UUID, task_id: UUID, body: SocTaskPatch) -> Any:
    actor = _actor(request)
    task = selectors.case_task_get(actor=actor, case=selectors.case_get(actor=actor, id=id), id=task_id)
    assignee = person_get(actor=actor, id=body.assignee) if body.assignee else None
    task = case_services.case_task_update(
        actor=actor, task=task, done=body.done, assignee=assignee, expected_version=expected_version(request)
    )
    set_etag(response, task)
    return task


@router.post("/security-cases/{id}/notes", response={201: SocNoteOut})
def case_note_add(request: HttpRequest, id: UUID, body: SocNoteIn) -> Any:
    actor = _actor(request)
    case = selectors.case_get(actor=actor, id=id)
    return Status(201, case_services.case_add_note(actor=actor, case=case, body=body.body))


@router.post("/security-cases/{id}/observables", response={201: SocObservableOut})
def case_observable_add(request: HttpRequest, id: UUID, body: SocObservableIn) -> Any:
    actor = _actor(request)
    case = selectors.case_get(actor=actor, id=id)
    return Status(201, case_services.case_add_observable(actor=actor, case=case, **body.dict()))


@router.post("/security-cases/{id}/status", response=SocCaseFullOut)
def case_status(request: HttpRequest, id: UUID, body: SocCaseStatusIn) -> Any:
    actor = _actor(request)
    case_services.case_transition(actor=actor, case=selectors.case_get(actor=actor, id=id), status=body.status)
    return _case_full(request, id)


@router.post("/security-cases/{id}/hand-off", response=SocCaseFullOut, summary="Raise the linked incident")
def case_hand_off(request: HttpRequest, id: UUID, body: SocHandOffIn) -> Any:
    actor = _actor(request)
    case = selectors.case_get(actor=actor, id=id)
    team = team_get(actor=actor, id=body.team) if body.team else None
    case_services.case_hand_off(actor=actor, case=case, team=team, note=body.note)
    return _case_full(request, id)
