"""Pages of service requests: the catalogue and its forms, the approvals inbox, and each request with its tasks."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.core.permissions import can, visible_to
from towers.organisations.models import Person
from towers.organisations.views.common import call_service, paginate, request_actor, ui_view
from towers.servicedesk import selectors_requests as selectors
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms_requests import DecideForm, RequestForm, WithdrawForm
from towers.servicedesk.forms_schema import parse_form
from towers.servicedesk.models import Approval, CatalogItem, Ticket, TicketClock
from towers.servicedesk.services.requests import current_step, request_approval_decide, request_submit, request_withdraw
from towers.servicedesk.views.panels import clock_tone, duration, timeline_rows


@ui_view
def catalogue(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    search = request.GET.get("search", "").strip()
    page = paginate(request, selectors.catalog_items(actor=actor, search=search))
    groups = [
        (name or "Other requests", list(items))
        for name, items in groupby(page.object_list, key=lambda i: i.category.name if i.category else "")
    ]
    return render(request, "servicedesk/requests/catalogue.html", {"page": page, "groups": groups, "search": search})


def _requester(actor: Actor, username: str) -> Person | None:
    if not username.strip():
        return None
    person = visible_to(actor, Person.objects).filter(username=username.strip(), is_active=True).first()
    if person is None:
        raise ValidationFailed.one("requester", f"nobody you may see has the username {username.strip()!r}")
    return person


@ui_view
def catalogue_item(request: HttpRequest, code: str) -> HttpResponse:
    actor = request_actor(request)
    item = selectors.catalog_item_get(actor=actor, code=code)
    if not item.is_active:
        raise NotFound("That item is no longer offered.")
    questions = parse_form(item.form)
    form = RequestForm(
        request.POST if request.method == "POST" else None, questions=questions, on_behalf=not is_requester_only(actor)
    )
    status = 200
    if request.method == "POST" and form.is_valid():

        def submit() -> Ticket:
            requester = _requester(actor, form.cleaned_data.get("requester", ""))
            return request_submit(actor=actor, item=item, answers=form.answers(), requester=requester)

        made, status = call_service(form, submit, field_names=RequestForm.field_names(questions))
        if made is not None:
            messages.success(request, f"Your request {made.reference} was raised.")
            return redirect("request_detail", pk=made.pk)
    context = {"item": item, "form": form, "approvals": _approval_roles(item), "task_count": len(item.tasks)}
    return render(request, "servicedesk/requests/item.html", context, status=status)


def _approval_roles(item: CatalogItem) -> list[str]:
    return [entry["role"].replace("_", " ") for entry in item.approvals]


@ui_view
def request_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    open_only = request.GET.get("open") == "1"
    page = paginate(request, selectors.requests_list(actor=actor, open_only=open_only))
    mine = is_requester_only(actor)
    return render(request, "servicedesk/requests/list.html", {"page": page, "open_only": open_only, "mine": mine})


@dataclass(frozen=True)
class ClockCell:
    clock: TicketClock
    elapsed: str
    target: str
    tone: str


def _clock_cells(task: Ticket) -> list[ClockCell]:
    return [
        ClockCell(c, duration(c.elapsed_seconds), duration(c.target_seconds), clock_tone(c.percent, c.breached))
        for c in task.clocks.all()
    ]


def _may(actor: Actor, ticket: Ticket, approvals: list[Approval]) -> dict[str, Any]:
    step = current_step(ticket) if ticket.is_open else None
    mine = [a for a in approvals if a.approver_id == actor.person_id and a.status == "requested" and a.step == step]
    withdraw = ticket.is_open and (
        (actor.person_id is not None and ticket.requester_id == actor.person_id)
        or (not is_requester_only(actor) and can(actor, "ticket.work", ticket))
    )
    return {"decide": mine[0] if mine and not actor.read_only else None, "withdraw": withdraw and not actor.read_only}


def request_page(
    request: HttpRequest, ticket: Ticket, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    view = selectors.request_view(actor=actor, request=ticket)
    _labelled(view.approvals)
    worker = not is_requester_only(actor)
    context = {
        "ticket": ticket,
        "view": view,
        "tasks": [(task, _clock_cells(task) if worker else []) for task in view.tasks],
        "waiting_steps": [s for s in view.steps if s.task_id is None],
        "worker": worker,
        "may": _may(actor, ticket, view.approvals),
        "portal": not worker,
        "timeline": timeline_rows(view.timeline),
        "forms": {"decide": DecideForm(), "withdraw": WithdrawForm()} | (forms or {}),
    }
    return render(request, "servicedesk/requests/detail.html", context, status=status)


@ui_view
def request_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return request_page(request, selectors.request_get(actor=request_actor(request), id=pk))


@require_POST
@ui_view
def request_withdraw_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    ticket = selectors.request_get(actor=actor, id=pk)
    form = WithdrawForm(request.POST)
    status = 200
    if form.is_valid():
        done, status = call_service(
            form, lambda: request_withdraw(actor=actor, request=ticket, reason=form.cleaned_data["reason"])
        )
        if done is not None:
            messages.success(request, f"{ticket.reference} was withdrawn.")
            return redirect("request_detail", pk=ticket.pk)
    return request_page(request, selectors.request_get(actor=actor, id=pk), {"withdraw": form}, status)


def _labelled(approvals: Any) -> list[Approval]:
    """The approvals with their role as words ("line manager"), for the templates."""
    approvals = list(approvals)
    for approval in approvals:
        approval.role_label = approval.role.replace("_", " ")
    return approvals


@ui_view
def approval_inbox(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.approvals_waiting(actor=request_actor(request)))
    page.object_list = _labelled(page.object_list)
    return render(request, "servicedesk/requests/approvals.html", {"page": page})


def _back(request: HttpRequest, fallback: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return fallback


@require_POST
@ui_view
def approval_decide(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    approval = selectors.request_approval_get(actor=actor, id=pk)
    form = DecideForm(request.POST)
    back = _back(request, reverse("approval_inbox"))
    if not form.is_valid():
        messages.error(request, "Choose to approve or reject.")
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approved"
    comment = form.cleaned_data["comment"]
    decided, _status = call_service(
        form, lambda: request_approval_decide(actor=actor, approval=approval, approve=approve, comment=comment)
    )
    if decided is None:
        for error in form.errors.get("comment", []) + form.non_field_errors():
            messages.error(request, f"{approval.ticket.reference}: {error}")
    else:
        verdict = "approved" if approve else "rejected"
        messages.success(request, f"You {verdict} {approval.ticket.reference}.")
    return redirect(back)
