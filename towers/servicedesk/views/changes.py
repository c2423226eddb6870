"""Change pages: the list, raising a change, its page with the form of each next step, and the CAB's decisions.

Every step posts to its own URL (/changes/<id>/submit/, …) and runs one service; what the service refuses is
shown on the change's page beside the step's form, everything else redirects back to it with a message.
"""

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

from towers.cmdb import selectors as cmdb
from towers.contracts import selectors as contracts
from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.permissions import can
from towers.organisations import selectors as directory
from towers.organisations.views.common import call_service, edit_page, form_page, paginate, request_actor, ui_view
from towers.servicedesk import selectors_changes as selectors
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms_changes import (
    CancelForm,
    ChangeEditForm,
    ChangeForm,
    CompleteForm,
    DecisionForm,
    IncidentForm,
    NotesForm,
    RiskForm,
    resolve_cis,
)
from towers.servicedesk.models import Ticket
from towers.servicedesk.models.changes import ChangeType
from towers.servicedesk.selectors_problems import incident_get
from towers.servicedesk.services import change_approvals, change_delivery
from towers.servicedesk.services import changes as services

STEP_FORMS: dict[str, type[forms.Form]] = {
    "risk": RiskForm,
    "submit": forms.Form,
    "implement": forms.Form,
    "complete": CompleteForm,
    "review": NotesForm,
    "close": forms.Form,
    "cancel": CancelForm,
    "incidents": IncidentForm,
}
STEP_DONE = {
    "risk": "The risk of {} was assessed.",
    "submit": "{} was submitted for approval.",
    "implement": "Implementation of {} has started.",
    "complete": "The outcome of {} was recorded.",
    "review": "{} was reviewed and closed.",
    "close": "{} was closed.",
    "cancel": "{} was cancelled.",
    "incidents": "The incident was linked to {}.",
}


def ensure_desk_page(actor: Actor) -> None:
    """Change and problem pages are the desk's and resolvers' (a requester gets the 404 of a page not theirs)."""
    if is_requester_only(actor):
        raise NotFound("Changes are for the service desk and resolvers.")


@ui_view
def change_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_desk_page(actor)
    stage, change_type, search = (request.GET.get(k, "") for k in ("stage", "change_type", "search"))
    changes = selectors.change_list(actor=actor, stage=stage, change_type=change_type, search=search)
    page = paginate(request, changes)
    return render(
        request,
        "servicedesk/changes/list.html",
        {
            "page": page,
            "rows": [(c, stage, selectors.STAGES[stage]) for c in page for stage in [selectors.stage_of(c)]],
            "stages": selectors.STAGES,
            "types": ChangeType.choices,
            "filters": {"stage": stage, "change_type": change_type, "search": search},
            "awaiting_me": list(selectors.approvals_awaiting(actor=actor)[:20]),
        },
    )


def _change_form(actor: Actor, data: Any = None) -> ChangeForm:
    return ChangeForm(
        data,
        templates=selectors.template_list(actor=actor),
        services=contracts.service_list(actor=actor).prefetch_related(None),
        teams=directory.team_list(actor=actor),
        initial={"change_type": ChangeType.NORMAL},
    )


@ui_view
def change_new(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_desk_page(actor)
    form = _change_form(actor, request.POST or None)

    def save(data: dict[str, Any]) -> Ticket:
        cis, unknown = resolve_cis(data.pop("cis"), cmdb.ci_list(actor=actor))
        if unknown:
            raise ValidationFailed({"cis": unknown})
        return services.change_create(actor=actor, cis=cis, **data)

    return form_page(
        request,
        form=form,
        save=save,
        saved="{} was raised.",
        done_url=lambda change: reverse("change_detail", args=[change.pk]),
        title="Raise a change",
        submit="Raise the change",
        cancel_url=reverse("change_list"),
    )


def _step_forms(failed: tuple[str, forms.Form] | None) -> dict[str, forms.Form]:
    built = {name: form(auto_id=f"{name}-%s") for name, form in STEP_FORMS.items()}
    if failed is not None:
        built[failed[0]] = failed[1]
    return built


def detail_page(
    request: HttpRequest, change: Ticket, failed: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    approvals = selectors.change_approvals(actor=actor, change=change)
    detail = selectors.change_detail_of(change)
    mine = [a for a in approvals if a.approver_id == actor.person_id and a.status == "requested"]
    may_work = not is_requester_only(actor) and can(actor, "ticket.work", change)
    stage = selectors.stage_of(change)
    return render(
        request,
        "servicedesk/changes/detail.html",
        {
            "change": change,
            "detail": detail,
            "stage": stage,
            "stage_label": selectors.STAGES[stage],
            "editable": stage in ("draft", "awaiting_approval", "scheduled"),
            "approvals": approvals,
            "my_approval": mine[0] if mine else None,
            "decision_form": failed[1] if failed and failed[0] == "decide" else DecisionForm(auto_id="decide-%s"),
            "conflicts": selectors.change_conflicts(actor=actor, change=change),
            "incidents": selectors.caused_incidents(actor=actor, change=change),
            "review_required": change_delivery.review_required(detail),
            "forms": _step_forms(failed if failed and failed[0] != "decide" else None),
            "failed": failed[0] if failed else "",
            "may": {"work": may_work, "review": may_work and can(actor, "change.approve", change)},
        },
        status=status,
    )


@ui_view
def change_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return detail_page(request, selectors.change_get(actor=request_actor(request), id=pk))


@ui_view
def change_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    change = selectors.change_get(actor=actor, id=pk)
    services.ensure_change_worker(actor, change)
    detail = selectors.change_detail_of(change)
    fields = ["title", "description"]
    details = ["justification", "planned_start", "planned_end", "implementation_plan", "backout_plan", "test_plan"]
    initial = {"version": change.version} | {f: getattr(change, f) for f in fields}
    form = ChangeEditForm(
        request.POST or None,
        initial=initial | {f: getattr(detail, f) for f in details},
        standard=detail.change_type == ChangeType.STANDARD,
    )

    def save(changes: dict[str, Any], version: int) -> Ticket:
        return services.change_update(actor=actor, change=change, changes=changes, expected_version=version)

    return edit_page(
        request,
        form=form,
        save=save,
        done_url=reverse("change_detail", args=[pk]),
        title=f"Edit {change.reference} {change.title}",
    )


def _run_step(actor: Actor, change: Ticket, step: str, data: dict[str, Any]) -> Callable[[], object]:
    """The service call behind each step's form."""
    runs: dict[str, Callable[[], object]] = {
        "risk": lambda: services.change_assess_risk(actor=actor, change=change, **data),
        "submit": lambda: change_approvals.change_submit_for_approval(actor=actor, change=change),
        "implement": lambda: change_delivery.change_implement(actor=actor, change=change),
        "complete": lambda: change_delivery.change_complete(actor=actor, change=change, **data),
        "review": lambda: change_delivery.change_review(actor=actor, change=change, notes=data["notes"]),
        "close": lambda: change_delivery.change_close(actor=actor, change=change),
        "cancel": lambda: services.change_cancel(actor=actor, change=change, reason=data["reason"]),
        "incidents": lambda: change_delivery.incident_link_caused_by(
            actor=actor, incident=incident_get(actor=actor, id=data["incident"]), change=change
        ),
    }
    return runs[step]


@require_POST
@ui_view
def change_step(request: HttpRequest, pk: UUID, step: str) -> HttpResponse:
    actor = request_actor(request)
    change = selectors.change_get(actor=actor, id=pk)
    # Refused before the form is read, so someone who may not work the change gets 403 whatever they send.
    services.ensure_change_worker(actor, change, action="change.approve" if step == "review" else "ticket.work")
    form = STEP_FORMS[step](request.POST, auto_id=f"{step}-%s")
    if not form.is_valid():
        return detail_page(request, change, (step, form))
    try:
        result, status = call_service(form, _run_step(actor, change, step, dict(form.cleaned_data)))
    except NotFound:
        form.add_error("incident", "No incident you may see has this reference.")
        result, status = None, 200
    if result is None:
        return detail_page(request, change, (step, form), status=status)
    messages.success(request, STEP_DONE[step].format(change.reference))
    return redirect("change_detail", pk=pk)


@require_POST
@ui_view
def approval_decide(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    approval = selectors.approval_get(actor=actor, id=pk)
    change = selectors.change_get(actor=actor, id=approval.ticket_id)
    if approval.approver_id != actor.person_id:
        raise Forbidden("This approval is asked of someone else.")
    form = DecisionForm(request.POST, auto_id="decide-%s")
    if not form.is_valid():
        return detail_page(request, change, ("decide", form))
    data = form.cleaned_data
    result, status = call_service(
        form,
        lambda: change_approvals.approval_decide(
            actor=actor, approval=approval, approve=data["decision"] == "approve", comment=data["comment"]
        ),
    )
    if result is None:
        return detail_page(request, change, ("decide", form), status=status)
    messages.success(request, f"Your decision on {change.reference} was recorded.")
    back = request.POST.get("next", "")
    return redirect(back if back == reverse("change_list") else reverse("change_detail", args=[change.pk]))
