"""A ticket's page for those who work it, the actions on it, logging a new one, and attachment downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.cmdb import selectors as cmdb
from towers.contracts import selectors as contracts
from towers.core.actor import Actor
from towers.core.permissions import can, visible_to
from towers.organisations import selectors as directory
from towers.organisations.views.common import call_service, request_actor, ui_view
from towers.servicedesk import selectors
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms import (
    AssignForm,
    AttachmentForm,
    CommentForm,
    HandOffDecisionForm,
    HandOffForm,
    PriorityForm,
    TicketCreateForm,
    TransitionForm,
)
from towers.servicedesk.models import Category, HandOff, State, Ticket
from towers.servicedesk.services.attachments import attachment_add
from towers.servicedesk.services.config import DEFAULT_RESOLUTION_CODES, desk_settings, priority_for
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.tickets import (
    TRANSITIONS,
    ticket_assign,
    ticket_comment,
    ticket_create,
    ticket_transition,
    ticket_update,
)
from towers.servicedesk.views import panels
from towers.servicedesk.views.workspace import worker_actor

# What each move is called on its button, by the state it leads to (reopening is a move to in progress).
MOVE_LABELS = {
    State.ASSIGNED: "Mark assigned",
    State.IN_PROGRESS: "Start work",
    State.PENDING: "Set pending",
    State.RESOLVED: "Resolve",
    State.CLOSED: "Close",
    State.CANCELLED: "Cancel ticket",
}
MAX_CIS = 50  # named on one ticket when logging it
FormBuilder = Callable[[Actor, Ticket, Any, Any], forms.Form]


def _form_builders() -> dict[str, FormBuilder]:
    """Each action's form, by name; ids are prefixed with the name since the page shows them all at once."""
    return {
        "transition": lambda _a, _t, data, _f: TransitionForm(data, auto_id="move-%s"),
        "assign": lambda actor, ticket, data, _f: AssignForm(
            data,
            auto_id="assign-%s",
            initial={"team": ticket.team_id, "assignee": ticket.assignee_id},
            teams=directory.team_list(actor=actor, organisation=ticket.organisation_id)
            if ticket.organisation_id
            else selectors.my_teams(actor),
            people=panels.team_people(actor, [ticket.team] if ticket.team else []),
        ),
        "hand_off": lambda actor, ticket, data, _f: HandOffForm(
            data, auto_id="hand-off-%s", teams=panels.hand_off_teams(actor, ticket)
        ),
        "comment": lambda _a, _t, data, _f: CommentForm(data, auto_id="comment-%s"),
        "attach": lambda _a, _t, data, files: AttachmentForm(data, files, auto_id="attach-%s"),
        "priority": lambda _a, ticket, data, _f: PriorityForm(
            data, auto_id="priority-%s", initial={"impact": ticket.impact, "urgency": ticket.urgency}
        ),
    }


def _may(actor: Actor, ticket: Ticket, handoffs: list[HandOff]) -> dict[str, Any]:
    work = not is_requester_only(actor) and can(actor, "ticket.work", ticket)
    pending = next(
        (h for h in handoffs if h.status == HandOff.Status.PENDING and h.to_organisation_id == actor.organisation_id),
        None,
    )
    return {
        "work": work,
        "hand_off": ticket.is_open and can(actor, "ticket.hand_off", ticket),
        "comment": can(actor, "ticket.comment", ticket),
        "decide": pending if work else None,
    }


def _moves(ticket: Ticket) -> list[tuple[str, str]]:
    reopening = ticket.state == State.RESOLVED
    return [
        (state, "Reopen" if reopening and state == State.IN_PROGRESS else MOVE_LABELS[State(state)])
        for state in State.values
        if state in TRANSITIONS.get(ticket.state, set())
    ]


def detail_page(
    request: HttpRequest, ticket: Ticket, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    handoffs = selectors.ticket_handoffs(actor=actor, ticket=ticket)
    may = _may(actor, ticket, handoffs)
    sla, ola = panels.clock_rows(actor, ticket)
    context = {
        "ticket": ticket,
        "cis": list(ticket.cis.all()),
        "timeline": panels.timeline_rows(selectors.ticket_timeline(actor=actor, ticket=ticket)),
        "handoffs": handoffs,
        "sla_clocks": sla,
        "ola_clocks": ola,
        "attachments": panels.attachments_of(actor, ticket),
        "suggestions": panels.suggestions(actor, ticket),
        "may": may,
        "moves": _moves(ticket) if may["work"] else [],
        "resolution_codes": desk_settings().resolution_codes or DEFAULT_RESOLUTION_CODES,
        "forms": {name: build(actor, ticket, None, None) for name, build in _form_builders().items() if may["work"]}
        | {"decision": HandOffDecisionForm()}
        | (bound or {}),
    }
    return render(request, "servicedesk/tickets/detail.html", context, status=status)


@ui_view
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    actor = request_actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=reference)
    if is_requester_only(actor):
        return redirect("portal_ticket", reference=ticket.reference)
    return detail_page(request, ticket)


def _act(
    request: HttpRequest,
    reference: str,
    name: str,
    run: Callable[[Actor, Ticket, dict[str, Any]], Any],
    done: Callable[[Ticket], str],
) -> HttpResponse:
    """Bind the action's form, run its service, and come back to the ticket: with a message, or the form's errors."""
    actor = worker_actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=reference)
    form = _form_builders()[name](actor, ticket, request.POST, request.FILES)
    status = 200
    if form.is_valid():
        result, status = call_service(form, lambda: run(actor, ticket, form.cleaned_data))
        if result is not None:
            messages.success(request, done(ticket))
            return redirect("ticket_detail", reference=ticket.reference)
    # Services refuse before they change anything, but read the ticket afresh rather than trust the copy.
    return detail_page(request, selectors.ticket_get(actor=actor, reference=reference), {name: form}, status)


@require_POST
@ui_view
def ticket_move(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "transition",
        lambda actor, ticket, data: ticket_transition(actor=actor, ticket=ticket, **data),
        lambda ticket: f"{ticket.reference} is now {ticket.get_state_display().lower()}.",
    )


@require_POST
@ui_view
def ticket_assign_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "assign",
        lambda actor, ticket, data: ticket_assign(actor=actor, ticket=ticket, **data),
        lambda ticket: f"{ticket.reference} is assigned to {ticket.team}.",
    )


@require_POST
@ui_view
def ticket_hand_off_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "hand_off",
        lambda actor, ticket, data: ticket_hand_off(
            actor=actor, ticket=ticket, to_team=data["team"], reason=data["reason"]
        ),
        lambda ticket: f"{ticket.reference} was handed off to {ticket.team}; it waits for them to accept it.",
    )


@require_POST
@ui_view
def ticket_comment_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "comment",
        lambda actor, ticket, data: ticket_comment(actor=actor, ticket=ticket, **data),
        lambda _ticket: "Your comment was added.",
    )


@require_POST
@ui_view
def ticket_priority_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "priority",
        lambda actor, ticket, data: ticket_update(actor=actor, ticket=ticket, changes=dict(data)),
        lambda ticket: f"{ticket.reference} is now {ticket.priority}.",
    )


def add_attachment(actor: Actor, ticket: Ticket, data: dict[str, Any], *, public: bool | None = None) -> Any:
    upload = data["file"]
    return attachment_add(
        actor=actor,
        ticket=ticket,
        filename=upload.name,
        content_type=upload.content_type or "application/octet-stream",
        data=upload.read(),
        public=data.get("public", True) if public is None else public,
    )


@require_POST
@ui_view
def ticket_attach_view(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(request, reference, "attach", add_attachment, lambda _ticket: "The file was attached.")


@login_required  # not ui_view: a file is not an HTML page (NotFound is already a 404)
def attachment_download(request: HttpRequest, pk: UUID) -> FileResponse:
    attachment = panels.attachment_get(actor=request_actor(request), pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["Content-Security-Policy"] = "sandbox"
    return response


def _find_cis(actor: Actor) -> Callable[[list[str]], dict[str, Any]]:
    """Visible CIs by name, whatever the case, keyed by the lower-cased name."""

    def find(names: list[str]) -> dict[str, Any]:
        by_name = Q()
        for name in names[:MAX_CIS]:
            by_name |= Q(name__iexact=name)
        return {ci.name.lower(): ci for ci in cmdb.ci_list(actor=actor).filter(by_name)}

    return find


def _find_person(actor: Actor) -> Callable[[str], Any]:
    return lambda username: directory.person_list(actor=actor).filter(username=username).first()


@ui_view
def ticket_new(request: HttpRequest) -> HttpResponse:
    """An agent logging a ticket; the matrix shows the priority its impact and urgency give."""
    actor = worker_actor(request)
    form = TicketCreateForm(
        request.POST or None,
        services=contracts.service_list(actor=actor).filter(is_active=True).prefetch_related(None),
        categories=visible_to(actor, Category.objects).filter(is_active=True),
        find_cis=_find_cis(actor),
        find_person=_find_person(actor),
    )

    status = 200
    if request.method == "POST" and form.is_valid():
        ticket, status = call_service(form, lambda: ticket_create(actor=actor, **form.cleaned_data))
        if ticket is not None:
            messages.success(request, f"{ticket.reference} was logged with priority {ticket.priority}.")
            return redirect("ticket_detail", reference=ticket.reference)
    priority = _priority(form["impact"].value(), form["urgency"].value())
    return render(request, "servicedesk/tickets/new.html", {"form": form, "priority": priority}, status=status)


def _priority(impact: Any, urgency: Any) -> str:
    try:
        impact, urgency = int(impact), int(urgency)
    except (TypeError, ValueError):
        return ""
    return priority_for(impact, urgency) if impact in (1, 2, 3) and urgency in (1, 2, 3) else ""


@ui_view
def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority the matrix gives an impact and an urgency (HTMX fills it in as the agent chooses)."""
    worker_actor(request)
    priority = _priority(request.GET.get("impact"), request.GET.get("urgency"))
    return render(request, "servicedesk/tickets/_priority.html", {"priority": priority})
