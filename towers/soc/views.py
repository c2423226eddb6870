"""SOC pages: the alert queue with bulk triage, security cases with their timeline, observables and hand-off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.organisations.selectors import person_get, team_get
from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.soc import selectors
from towers.soc.models import AlertStatus, CaseStatus, ObservableType, Pap, SecurityCase, Severity, Tlp
from towers.soc.selectors_attack import TACTIC_ORDER
from towers.soc.services import alerts as alert_services
from towers.soc.services import cases as case_services
from towers.soc.views_steps import form_problems, problems, run_step

SEVERITY_CLASS = {"critical": "priority-p1", "high": "priority-p2", "medium": "priority-p3", "low": "", "": ""}
ANY_STATUS = "any"  # the queue shows open alerts unless asked for one status or for any
BULK_ACTIONS = {"acknowledge", "suppress", "close", "case"}


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class TaskForm(forms.Form):
    title = forms.CharField(max_length=300)


class ObservableForm(forms.Form):
    type = forms.ChoiceField(choices=ObservableType.choices)
    value = forms.CharField(max_length=1000)
    tlp = forms.ChoiceField(choices=Tlp.choices, initial=Tlp.AMBER)
    pap = forms.ChoiceField(choices=Pap.choices, initial=Pap.AMBER)


class HandOffForm(forms.Form):
    team = forms.UUIDField(required=False, help_text="Leave empty for the asset's support team.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=CaseStatus.choices)


STEP_FORMS: dict[str, type[forms.Form]] = {
    "notes": NoteForm,
    "tasks": TaskForm,
    "observables": ObservableForm,
    "hand-off": HandOffForm,
    "status": StatusForm,
}


@ui_view
def alert_queue(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = {name: request.GET.get(name, "").strip() for name in ("status", "severity", "technique", "tactic")}
    status = 200
    try:
        wanted = {**filters, "status": "" if filters["status"] == ANY_STATUS else filters["status"]}
        alerts = selectors.alert_list(actor=actor, open_only=not filters["status"], **wanted)
    except ValidationFailed as exc:
        messages.error(request, problems(exc))
        alerts, status = selectors.alert_list(actor=actor).none(), 400
    page = paginate(request, alerts)
    for alert in page:
        alert.severity_class = SEVERITY_CLASS.get(alert.severity, "")
    context = {
        "page": page,
        "filters": filters,
        "statuses": AlertStatus.choices,
        "severities": Severity.choices,
        "tactics": TACTIC_ORDER,
    }
    return render(request, "soc/alerts.html", context, status=status)


def _hours(value: str) -> int:
    try:
        return max(1, min(int(value or 24), 24 * 90))
    except ValueError:
        raise ValidationFailed.one("hours", "must be a whole number of hours") from None


@require_POST
@ui_view
def alert_bulk(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    action = request.POST.get("action", "")
    try:
        ids = [UUID(v) for v in request.POST.getlist("alerts")]
    except ValueError:
        raise Http404("No such alert.") from None
    alerts = selectors.alerts_get(actor=actor, ids=ids)  # 404 when one is not the actor's
    if action not in BULK_ACTIONS or not alerts:
        messages.error(request, "Choose at least one alert and an action.")
        return redirect("soc_alert_queue")
    try:
        if action == "case":
            case = case_services.case_from_alerts(actor=actor, alerts=alerts, title=request.POST.get("title", ""))
            messages.success(request, f"{case.reference} was opened.")
            return redirect("soc_case_detail", pk=case.pk)
        if action == "suppress":
            until = timezone.now() + timedelta(hours=_hours(request.POST.get("hours", "")))
            alert_services.alerts_suppress(actor=actor, alerts=alerts, until=until)
        elif action == "acknowledge":
            alert_services.alerts_acknowledge(actor=actor, alerts=alerts)
        else:
            alert_services.alerts_close(actor=actor, alerts=alerts)
    except (ValidationFailed, Forbidden) as exc:
        messages.error(request, str(exc) if isinstance(exc, Forbidden) else problems(exc))
        return redirect("soc_alert_queue")
    messages.success(request, f"{len(alerts)} alert(s): {action} done.")
    return redirect("soc_alert_queue")


@ui_view
def case_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    status = request.GET.get("status", "")
    page = paginate(request, selectors.case_list(actor=actor, status=status))
    for case in page:
        case.nearest_clock = selectors.nearest_due(case)
    context = {
        "page": page,
        "averages": selectors.case_metrics_average(actor=actor),
        "filters": {"status": status},
        "statuses": CaseStatus.choices,
    }
    return render(request, "soc/cases.html", context)


def _detail_page(request: HttpRequest, case: SecurityCase, status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    context = {
        "case": case,
        **selectors.case_detail(actor=actor, case=case),
        "people": list(selectors.case_people(actor=actor, case=case)),
        "forms": {name.replace("-", "_"): form(auto_id=f"{name}-%s") for name, form in STEP_FORMS.items()},
        "severity_class": SEVERITY_CLASS.get(case.severity, ""),
    }
    return render(request, "soc/case_detail.html", context, status=status)


@ui_view
def case_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _detail_page(request, selectors.case_get(actor=request_actor(request), id=pk))


def _run_step(actor: Actor, case: SecurityCase, step: str, data: dict[str, Any]) -> Callable[[], object]:
    def hand_off() -> object:
        team = team_get(actor=actor, id=data["team"]) if data.get("team") else None
        return case_services.case_hand_off(actor=actor, case=case, team=team, note=data.get("note", ""))

    runs: dict[str, Callable[[], object]] = {
        "notes": lambda: case_services.case_add_note(actor=actor, case=case, **data),
        "tasks": lambda: case_services.case_add_task(actor=actor, case=case, **data),
        "observables": lambda: case_services.case_add_observable(actor=actor, case=case, **data),
        "status": lambda: case_services.case_transition(actor=actor, case=case, **data),
        "hand-off": hand_off,
    }
    return runs[step]


@require_POST
@ui_view
def case_step(request: HttpRequest, pk: UUID, step: str) -> HttpResponse:
    actor = request_actor(request)
    case = selectors.case_get(actor=actor, id=pk)  # 404 before anything is read
    if step not in STEP_FORMS:
        raise NotFound("No such step.")
    form = STEP_FORMS[step](request.POST)
    if not form.is_valid():
        messages.error(request, form_problems(form))
        return redirect("soc_case_detail", pk=pk)
    done = f"{case.reference}: {step.replace('-', ' ')} saved."
    if not run_step(request, _run_step(actor, case, step, dict(form.cleaned_data)), done):
        return _detail_page(request, case, status=403)
    return redirect("soc_case_detail", pk=pk)


TASK_CHANGES = {"done": {"done": True}, "reopen": {"done": False}, "assign": {}}


@require_POST
@ui_view
def case_task_change(request: HttpRequest, pk: UUID, task_pk: UUID, change: str) -> HttpResponse:
    """Mark a case task done, reopen it, or assign it (the `person` field) to someone of the SOC."""
    actor = request_actor(request)
    case = selectors.case_get(actor=actor, id=pk)  # 404 before anything is read
    task = selectors.case_task_get(actor=actor, case=case, id=task_pk)
    arguments: dict[str, Any] = dict(TASK_CHANGES[change])

    def change_task() -> None:
        if change == "assign":
            try:
                arguments["assignee"] = person_get(actor=actor, id=UUID(request.POST.get("person", "")))
            except (ValueError, NotFound):
                raise ValidationFailed.one("person", "choose a person of the SOC") from None
        case_services.case_task_update(actor=actor, task=task, **arguments)

    if not run_step(request, change_task, f"{case.reference}: task {task.title!r} saved."):
        return _detail_page(request, case, status=403)
    return redirect("soc_case_detail", pk=pk)
