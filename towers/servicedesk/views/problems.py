"""Problem pages: the list, raising one (from an incident too), its page with root cause, known error, linked
incidents and resolution, and the known error database agents search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from towers.contracts import selectors as contracts
from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.core.permissions import can
from towers.organisations import selectors as directory
from towers.organisations.views.common import call_service, form_page, paginate, request_actor, ui_view
from towers.servicedesk import selectors_problems as selectors
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms_changes import KnownErrorForm, LinkIncidentsForm, ProblemForm, ResolveForm, RootCauseForm
from towers.servicedesk.models import Ticket
from towers.servicedesk.services import problems as services
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.views.changes import ensure_desk_page

STEP_DONE = {
    "cause": "The root cause of {} was recorded.",
    "known_error": "{} was published as a known error.",
    "incidents": "The incidents were linked to {}.",
    "resolve": "{} was resolved.",
}


def _resolve_form(data: Any = None) -> ResolveForm:
    return ResolveForm(data, auto_id="resolve-%s", codes=list(desk_settings().resolution_codes or ["fixed"]))


def _step_form(step: str, data: Any = None) -> forms.Form:
    if step == "resolve":
        return _resolve_form(data)
    built: dict[str, type[forms.Form]] = {
        "cause": RootCauseForm,
        "known_error": KnownErrorForm,
        "incidents": LinkIncidentsForm,
    }
    return built[step](data, auto_id=f"{step}-%s")


@ui_view
def problem_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_desk_page(actor)
    search = request.GET.get("search", "")
    known_only, open_only = request.GET.get("known") == "1", request.GET.get("open") == "1"
    problems = selectors.problem_list(actor=actor, known_errors_only=known_only, open_only=open_only, search=search)
    return render(
        request,
        "servicedesk/problems/list.html",
        {"page": paginate(request, problems), "filters": {"search": search, "known": known_only, "open": open_only}},
    )


@ui_view
def problem_new(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_desk_page(actor)
    form = ProblemForm(
        request.POST or None,
        initial={"incident": request.GET.get("incident", "")},
        services=contracts.service_list(actor=actor).prefetch_related(None),
        teams=directory.team_list(actor=actor),
    )

    def save(data: dict[str, Any]) -> Ticket:
        reference = data.pop("incident").strip()
        try:
            incident = selectors.incident_get(actor=actor, id=reference) if reference else None
        except NotFound:
            raise ValidationFailed.one("incident", "no incident you may see has this reference") from None
        return services.problem_create(actor=actor, incident=incident, **data)

    return form_page(
        request,
        form=form,
        save=save,
        saved="{} was raised.",
        done_url=lambda problem: reverse("problem_detail", args=[problem.pk]),
        title="Raise a problem",
        submit="Raise the problem",
        cancel_url=reverse("problem_list"),
    )


def detail_page(
    request: HttpRequest, problem: Ticket, failed: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    detail = selectors.problem_detail_of(problem)
    built = {name: _step_form(name) for name in ("cause", "known_error", "incidents", "resolve")}
    built["cause"].initial = {"root_cause": detail.root_cause}
    built["known_error"].initial = {"workaround": detail.workaround, "symptoms": detail.symptoms}
    if failed is not None:
        built[failed[0]] = failed[1]
    return render(
        request,
        "servicedesk/problems/detail.html",
        {
            "problem": problem,
            "detail": detail,
            "incidents": selectors.problem_incidents(actor=actor, problem=problem),
            "forms": built,
            "failed": failed[0] if failed else "",
            "may": {"work": not is_requester_only(actor) and can(actor, "ticket.work", problem)},
        },
        status=status,
    )


@ui_view
def problem_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return detail_page(request, selectors.problem_get(actor=request_actor(request), id=pk))


def _incidents(actor: Actor, references: list[str]) -> list[Ticket]:
    found, missing = [], []
    for reference in references:
        try:
            found.append(selectors.incident_get(actor=actor, id=reference))
        except NotFound:
            missing.append(reference)
    if missing:
        raise ValidationFailed.one("incidents", f"no incident you may see is {', '.join(missing)}")
    return found


def _run_step(actor: Actor, problem: Ticket, step: str, data: dict[str, Any]) -> Callable[[], object]:
    runs: dict[str, Callable[[], object]] = {
        "cause": lambda: services.problem_record_cause(actor=actor, problem=problem, **data),
        "known_error": lambda: services.problem_mark_known_error(actor=actor, problem=problem, **data),
        "incidents": lambda: services.problem_link_incidents(
            actor=actor, problem=problem, incidents=_incidents(actor, data["incidents"])
        ),
        "resolve": lambda: services.problem_resolve(actor=actor, problem=problem, **data),
    }
    return runs[step]


@require_POST
@ui_view
def problem_step(request: HttpRequest, pk: UUID, step: str) -> HttpResponse:
    actor = request_actor(request)
    problem = selectors.problem_get(actor=actor, id=pk)
    services.ensure_worker(actor, problem)  # refused before the form is read
    form = _step_form(step, request.POST)
    if not form.is_valid():
        return detail_page(request, problem, (step, form))
    result, status = call_service(form, _run_step(actor, problem, step, dict(form.cleaned_data)))
    if result is None:
        return detail_page(request, problem, (step, form), status=status)
    message = STEP_DONE[step].format(problem.reference)
    if isinstance(result, services.ProblemResolution) and result.incidents_resolved:
        message += f" {len(result.incidents_resolved)} incident(s) resolved with it."
    if isinstance(result, services.ProblemResolution) and result.incidents_skipped:
        skipped = ", ".join(i.reference for i in result.incidents_skipped)
        messages.warning(request, f"Left open, as you may not work them: {skipped}.")
    messages.success(request, message)
    return redirect("problem_detail", pk=pk)


@require_POST
@ui_view
def problem_unlink(request: HttpRequest, pk: UUID, incident: UUID) -> HttpResponse:
    actor = request_actor(request)
    problem = selectors.problem_get(actor=actor, id=pk)
    linked = selectors.incident_get(actor=actor, id=incident)
    try:
        services.problem_unlink_incident(actor=actor, problem=problem, incident=linked)
    except ValidationFailed as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"{linked.reference} was unlinked from {problem.reference}.")
    return redirect(reverse("problem_detail", args=[pk]) + "#incidents")


@ui_view
def known_error_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_desk_page(actor)
    search = request.GET.get("search", "")
    errors = selectors.known_error_list(actor=actor, search=search)
    return render(
        request, "servicedesk/problems/known_errors.html", {"page": paginate(request, errors), "search": search}
    )
