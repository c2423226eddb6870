"""The agent's workspace: team queues with filters, saved views and bulk update; hand-offs; crossed tickets."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.organisations import selectors as directory
from towers.organisations.models import Person
from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.servicedesk import selectors
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.forms import BulkUpdateForm, HandOffDecisionForm, QueueFilterForm, SavedViewForm
from towers.servicedesk.models import SavedView
from towers.servicedesk.services.config import DEFAULT_RESOLUTION_CODES, desk_settings
from towers.servicedesk.services.handoffs import handoff_accept, handoff_reject
from towers.servicedesk.services.queues import saved_view_delete, saved_view_save, tickets_bulk_update
from towers.servicedesk.views.panels import clock_tone, team_people

QUEUE_PARAMS = set(QueueFilterForm.base_fields)


def worker_actor(request: HttpRequest) -> Actor:
    """The workspace is for those who work tickets; requesters have the portal."""
    actor = request_actor(request)
    if is_requester_only(actor):
        raise Forbidden("The workspace is for those who work tickets: your tickets are in the portal.")
    return actor


def _me(request: HttpRequest) -> Person | None:
    return request.user if isinstance(request.user, Person) else None


def filter_form(actor: Actor, query: QueryDict | dict[str, Any], people: Any) -> QueueFilterForm:
    """The queue's filters, offering the teams, organisations and towers the actor may see."""
    return QueueFilterForm(
        query,
        teams=directory.team_list(actor=actor),
        people=people,
        organisations=directory.organisation_list(actor=actor).order_by("name"),
        towers=directory.tower_list(actor=actor).order_by("name"),
    )


def _queue_forms(request: HttpRequest, actor: Actor, data: QueryDict | dict[str, Any] | None = None) -> dict[str, Any]:
    teams = selectors.my_teams(actor)
    people = team_people(actor, teams)
    query: QueryDict | dict[str, Any] = request.GET
    if not any(name in request.GET for name in QUEUE_PARAMS):
        query = {"team": str(teams[0].pk)} if teams else {}  # the actor's own team's queue to start with
    filters = filter_form(actor, query, people)
    filters.is_valid()
    codes = desk_settings().resolution_codes or DEFAULT_RESOLUTION_CODES
    return {
        "filters": filters,
        "bulk": BulkUpdateForm(data, auto_id="bulk-%s", people=people, me=_me(request), resolution_codes=codes),
        "teams": teams,
    }


def queue_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    forms = _queue_forms(request, actor)
    filters: QueueFilterForm = forms["filters"]
    page = paginate(request, selectors.ticket_queue(actor=actor, filters=filters.queue_filters(actor.person_id)))
    for ticket in page:
        ticket.tone = clock_tone(ticket.clock_percent, ticket.breached)
    context = forms | {
        "page": page,
        "saved_views": selectors.saved_views(actor=actor),
        "save_view": SavedViewForm(),
        "query": filters.data.urlencode() if isinstance(filters.data, QueryDict) else urlencode(filters.data),
        "read_only": actor.read_only,
    }
    return render(request, "servicedesk/workspace/queue.html", context)


@ui_view
def queue(request: HttpRequest) -> HttpResponse:
    actor = worker_actor(request)
    if request.GET.get("view"):
        return _open_saved_view(actor, request.GET["view"])
    return queue_page(request, actor)


def _own_view(actor: Actor, pk: UUID | str) -> SavedView:
    for view in selectors.saved_views(actor=actor):
        if str(view.pk) == str(pk):
            return view
    raise NotFound("No such saved view.")


def _open_saved_view(actor: Actor, pk: str) -> HttpResponse:
    view = _own_view(actor, pk)
    params = QueueFilterForm.params_from_saved(view.filters, actor.person_id)
    return redirect(f"{reverse('ticket_queue')}?{urlencode(params)}")


def _back_to_queue(request: HttpRequest) -> str:
    query = request.POST.get("query", "")
    return f"{reverse('ticket_queue')}?{query}" if query else reverse("ticket_queue")


@require_POST
@ui_view
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """Change the ticked rows; each one that refuses is named with why, the others are changed."""
    actor = worker_actor(request)
    form: BulkUpdateForm = _queue_forms(request, actor, request.POST)["bulk"]
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(_back_to_queue(request))
    data = form.cleaned_data
    tickets = list(
        selectors.tickets_visible(actor).filter(pk__in=data["tickets"]).select_related("team").order_by("reference")
    )
    if len(tickets) < len(set(data["tickets"])):
        messages.error(request, f"{len(set(data['tickets'])) - len(tickets)} of the ticked tickets were not found.")
    try:
        outcome = tickets_bulk_update(
            actor=actor,
            tickets=tickets,
            state=data["state"],
            pending_reason=data["pending_reason"],
            resolution_code=data["resolution_code"],
            assignee=data["assignee"],
            impact=data["impact"],
            urgency=data["urgency"],
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect(_back_to_queue(request))
    if outcome.updated:
        messages.success(request, f"Updated {len(outcome.updated)}: {', '.join(outcome.updated)}.")
    if outcome.unchanged:
        messages.info(request, f"Already so: {', '.join(outcome.unchanged)}.")
    for reference, why in outcome.failed.items():
        messages.error(request, f"{reference} was not changed: {why}")
    return redirect(_back_to_queue(request))


@require_POST
@ui_view
def saved_view_create(request: HttpRequest) -> HttpResponse:
    actor = worker_actor(request)
    form = SavedViewForm(request.POST)
    query = QueryDict(request.POST.get("query", ""))
    people = team_people(actor, selectors.my_teams(actor))
    filters = filter_form(actor, query, people)
    if not (form.is_valid() and filters.is_valid()):
        messages.error(request, "Give the view a name.")
        return redirect(_back_to_queue(request))
    try:
        view = saved_view_save(actor=actor, name=form.cleaned_data["name"], filters=filters.saved(actor.person_id))
    except (ValidationFailed, Forbidden) as exc:
        messages.error(request, exc.message if isinstance(exc, ValidationFailed) else str(exc))
        return redirect(_back_to_queue(request))
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(f"{reverse('ticket_queue')}?{urlencode({'view': str(view.pk)})}")


@require_POST
@ui_view
def saved_view_remove(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = worker_actor(request)
    view = _own_view(actor, pk)
    saved_view_delete(actor=actor, view=view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("ticket_queue")


@ui_view
def handoff_list(request: HttpRequest) -> HttpResponse:
    actor = worker_actor(request)
    return render(
        request,
        "servicedesk/workspace/handoffs.html",
        {"page": paginate(request, selectors.handoff_inbox(actor=actor)), "decision": HandOffDecisionForm()},
    )


def _after_decision(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_POST
@ui_view
def handoff_decide(request: HttpRequest, pk: UUID, decision: str) -> HttpResponse:
    """Accept or reject a hand-off waiting for the actor's organisation; a rejection needs its reason."""
    actor = worker_actor(request)
    handoff = selectors.handoff_get(actor=actor, handoff_id=pk)
    form = HandOffDecisionForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    reference = handoff.ticket.reference
    try:
        if decision == "accept":
            handoff_accept(actor=actor, handoff=handoff, note=reason)
        else:
            handoff_reject(actor=actor, handoff=handoff, reason=reason)
    except ValidationFailed as exc:
        messages.error(request, f"{reference}: {exc.message}")
        return _after_decision(request, reverse("handoff_list"))
    if decision == "accept":
        messages.success(request, f"You accepted {reference}: it is in progress with your team.")
        return _after_decision(request, reverse("ticket_detail", args=[reference]))
    messages.success(request, f"You rejected {reference}: it went back to {handoff.from_team or 'the desk'}.")
    return _after_decision(request, reverse("handoff_list"))


@ui_view
def crossed_list(request: HttpRequest) -> HttpResponse:
    """The integrator's view of tickets that crossed from one organisation to another."""
    actor = worker_actor(request)
    open_only = request.GET.get("open") == "on"
    page = paginate(request, selectors.crossed_tickets(actor=actor, open_only=open_only))
    for ticket in page:
        ticket.tone = clock_tone(ticket.clock_percent, ticket.breached)
    return render(request, "servicedesk/workspace/crossed.html", {"page": page, "open_only": open_only})
