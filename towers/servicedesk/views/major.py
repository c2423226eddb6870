"""Pages of major incidents: the board, declaring one from a P1, and its page (bridge, updates, resolution, review)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import can
from towers.organisations import selectors as directory
from towers.organisations.models import Person
from towers.organisations.views.common import call_service, paginate, request_actor, ui_view
from towers.servicedesk import selectors_major as selectors
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms_requests import DeclareForm, ResolveForm, ReviewForm, UpdateForm
from towers.servicedesk.models import MajorIncident
from towers.servicedesk.policies import desk_owners
from towers.servicedesk.selectors import ticket_get, ticket_timeline
from towers.servicedesk.services import major as services
from towers.servicedesk.services.config import DEFAULT_RESOLUTION_CODES, desk_settings
from towers.servicedesk.views.panels import timeline_rows


@dataclass(frozen=True)
class NextUpdate:
    """How long until the next stakeholder update is due, or how overdue it is."""

    due: datetime | None
    minutes: int
    overdue: bool


def next_update(major: MajorIncident, now: datetime) -> NextUpdate:
    if major.next_update_due is None:
        return NextUpdate(None, 0, False)
    seconds = (major.next_update_due - now).total_seconds()
    return NextUpdate(major.next_update_due, int(abs(seconds) // 60), seconds < 0)


def _runs_majors(actor: Actor) -> bool:
    """The desk's people run major incidents; others may follow one they can see."""
    if actor.read_only or is_requester_only(actor):
        return False
    return actor.scope.everything or actor.organisation_id in set(desk_owners())


def _managers(actor: Actor) -> QuerySet[Person]:
    return directory.person_list(actor=actor, organisation=desk_settings().desk_organisation_id).order_by("username")


@ui_view
def major_board(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    if is_requester_only(actor):
        raise Forbidden("The major incident board is for the service desk and resolvers.")
    status = request.GET.get("status", "")
    page = paginate(request, selectors.majors_list(actor=actor, status=status))
    now = timezone.now()
    rows = [(major, next_update(major, now)) for major in page.object_list]
    statuses = MajorIncident.Status.choices
    return render(
        request, "servicedesk/major/board.html", {"page": page, "rows": rows, "status": status, "statuses": statuses}
    )


def _forms(data: Any = None) -> dict[str, forms.Form]:
    codes = desk_settings().resolution_codes or DEFAULT_RESOLUTION_CODES
    return {"update": UpdateForm(data), "resolve": ResolveForm(data, codes=codes), "review": ReviewForm(data)}


def major_page(
    request: HttpRequest, major: MajorIncident, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    manage = _runs_majors(actor) and can(actor, "major.manage", major.ticket)
    context = {
        "major": major,
        "ticket": major.ticket,
        "next": next_update(major, timezone.now()),
        "updates": selectors.major_updates(actor=actor, major=major),
        "actions": selectors.major_actions(actor=actor, major=major),
        "timeline": timeline_rows(ticket_timeline(actor=actor, ticket=major.ticket)),
        "may": {"manage": manage},
        "forms": _forms() | (bound or {}),
    }
    return render(request, "servicedesk/major/detail.html", context, status=status)


@ui_view
def major_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    if is_requester_only(actor):
        raise Forbidden("Major incidents are followed by the service desk; your ticket shows its updates.")
    return major_page(request, selectors.major_get(actor=actor, id=pk))


def _act(
    request: HttpRequest, pk: UUID, name: str, run: Callable[[Actor, MajorIncident, Any], Any], done: str
) -> HttpResponse:
    """Bind the form, run the service and come back to the page: with a message, or the form's errors."""
    actor = request_actor(request)
    major = selectors.major_get(actor=actor, id=pk)
    form = _forms(request.POST)[name]
    status = 200
    if form.is_valid():
        names = form.field_names() if isinstance(form, ReviewForm) else None
        result, status = call_service(form, lambda: run(actor, major, form), field_names=names)
        if result is not None:
            messages.success(request, done)
            return redirect("major_detail", pk=major.pk)
    return major_page(request, selectors.major_get(actor=actor, id=pk), {name: form}, status)


@require_POST
@ui_view
def major_update_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request,
        pk,
        "update",
        lambda actor, major, form: services.major_update(actor=actor, major=major, body=form.cleaned_data["body"]),
        "The update was sent to the stakeholders.",
    )


@require_POST
@ui_view
def major_resolve_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request,
        pk,
        "resolve",
        lambda actor, major, form: services.major_resolve(actor=actor, major=major, **form.cleaned_data),
        "The major incident is resolved and the stakeholders were told.",
    )


@require_POST
@ui_view
def major_review_view(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request,
        pk,
        "review",
        lambda actor, major, form: services.major_review(
            actor=actor, major=major, review=form.cleaned_data["review"], actions=form.actions()
        ),
        "The review was recorded and its actions raised.",
    )


@ui_view
def major_declare_view(request: HttpRequest, reference: str) -> HttpResponse:
    actor = request_actor(request)
    ticket = ticket_get(actor=actor, reference=reference)
    if not _runs_majors(actor):
        raise Forbidden("Major incidents are declared by the service desk.")
    form = DeclareForm(request.POST if request.method == "POST" else None, managers=_managers(actor))
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        major, status = call_service(
            form,
            lambda: services.major_declare(
                actor=actor,
                ticket=ticket,
                bridge=data["bridge"],
                manager=data["manager"],
                stakeholders=form.addresses(),
            ),
        )
        if major is not None:
            messages.success(request, f"{ticket.reference} is now a major incident.")
            return redirect("major_detail", pk=major.pk)
    context = {
        "ticket": ticket,
        "form": form,
        "cadence": int(desk_settings().major_update_cadence.total_seconds() // 60),
    }
    return render(request, "servicedesk/major/declare.html", context, status=status)
