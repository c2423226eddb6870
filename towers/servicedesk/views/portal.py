"""The requester portal: raise an incident, follow one's own tickets, comment, and read published articles."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from towers.contracts import selectors as contracts
from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.organisations.models import Person
from towers.organisations.views.common import PAGE_SIZE, call_service, paginate, request_actor, ui_view
from towers.servicedesk import selectors
from towers.servicedesk.forms import AttachmentForm, CommentForm, PortalIncidentForm, ReopenForm
from towers.servicedesk.models import State, Ticket, TicketKind
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition
from towers.servicedesk.views import panels
from towers.servicedesk.views.tickets import add_attachment


def catalogue_url() -> str:
    """Where requests are raised: the request catalogue's page (built alongside the portal)."""
    try:
        return reverse("request_catalogue")
    except NoReverseMatch:
        return "/catalogue/"


@ui_view
def portal_home(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    mine = selectors.tickets_visible(actor).filter(requester_id=actor.person_id).select_related("team__organisation")
    return render(
        request,
        "servicedesk/portal/home.html",
        {"page": paginate(request, mine.order_by("-opened_at", "-id")), "catalogue_url": catalogue_url()},
    )


def _services(actor: Actor) -> Any:
    return contracts.service_list(actor=actor).filter(is_active=True).prefetch_related(None)


@ui_view
def portal_new(request: HttpRequest) -> HttpResponse:
    """Report a fault in one's own words; the desk's matrix turns urgency and reach into a priority."""
    actor = request_actor(request)
    form = PortalIncidentForm(request.POST or None, services=_services(actor))
    status = 200
    if request.method == "POST" and form.is_valid():
        requester = Person.objects.get(pk=actor.person_id) if actor.person_id else None

        def raise_it() -> Ticket:
            return ticket_create(
                actor=actor, kind=TicketKind.INCIDENT, channel="portal", requester=requester, **form.cleaned_data
            )

        ticket, status = call_service(form, raise_it)
        if ticket is not None:
            messages.success(
                request, f"Thank you: your incident {ticket.reference} was raised. We will keep you posted here."
            )
            return redirect("portal_ticket", reference=ticket.reference)
    return render(
        request, "servicedesk/portal/new.html", {"form": form, "catalogue_url": catalogue_url()}, status=status
    )


def _own_ticket(actor: Actor, reference: str) -> Ticket:
    """One of the actor's own tickets; anyone else's, even one they may work, is not the portal's to show."""
    ticket = selectors.ticket_get(actor=actor, reference=reference)
    if ticket.requester_id is None or ticket.requester_id != actor.person_id:
        raise NotFound("No such ticket of yours.")
    return ticket


def _may_reopen(ticket: Ticket) -> bool:
    if ticket.state != State.RESOLVED:
        return False
    return ticket.resolved_at is None or timezone.now() - ticket.resolved_at <= desk_settings().reopen_window


def ticket_page(
    request: HttpRequest, ticket: Ticket, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    timeline = panels.timeline_rows(e for e in selectors.ticket_timeline(actor=actor, ticket=ticket) if e.public)
    attachments = [a for a in panels.attachments_of(actor, ticket) if a.public]
    context = {
        "ticket": ticket,
        "timeline": timeline,
        "attachments": attachments,
        "open": ticket.is_open,
        "may_reopen": _may_reopen(ticket),
        "forms": {"comment": CommentForm(), "attach": AttachmentForm(), "reopen": ReopenForm(), "confirm": forms.Form()}
        | (bound or {}),
    }
    return render(request, "servicedesk/portal/ticket.html", context, status=status)


@ui_view
def portal_ticket(request: HttpRequest, reference: str) -> HttpResponse:
    return ticket_page(request, _own_ticket(request_actor(request), reference))


def _act(request: HttpRequest, reference: str, name: str, form: forms.Form, run: Any, done: str) -> HttpResponse:
    """Run one of the requester's actions on their ticket; come back to it with a message or the form's errors."""
    actor = request_actor(request)
    ticket = _own_ticket(actor, reference)
    status = 200
    if form.is_valid():
        result, status = call_service(form, lambda: run(actor, ticket, form.cleaned_data))
        if result is not None:
            messages.success(request, done)
            return redirect("portal_ticket", reference=ticket.reference)
    return ticket_page(request, _own_ticket(actor, reference), {name: form}, status)


@require_POST
@ui_view
def portal_comment(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "comment",
        CommentForm(request.POST),
        lambda actor, ticket, data: ticket_comment(actor=actor, ticket=ticket, body=data["body"], public=True),
        "Your comment was added: the team working on it has been told.",
    )


@require_POST
@ui_view
def portal_attach(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "attach",
        AttachmentForm(request.POST, request.FILES),
        lambda actor, ticket, data: add_attachment(actor, ticket, data, public=True),
        "Your file was attached.",
    )


@require_POST
@ui_view
def portal_reopen(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        "reopen",
        ReopenForm(request.POST),
        lambda actor, ticket, data: ticket_transition(
            actor=actor, ticket=ticket, state=State.IN_PROGRESS, note=data["note"]
        ),
        "Your ticket was reopened: the team will look at it again.",
    )


@require_POST
@ui_view
def portal_confirm(request: HttpRequest, reference: str) -> HttpResponse:
    """The requester agrees the fix worked: the ticket closes now rather than after the close-after period."""
    return _act(
        request,
        reference,
        "confirm",
        forms.Form(request.POST),
        lambda actor, ticket, _data: ticket_transition(
            actor=actor, ticket=ticket, state=State.CLOSED, note="The requester confirmed the resolution."
        ),
        "Thank you for confirming: your ticket is closed.",
    )


@ui_view
def portal_articles(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    query = request.GET.get("q", "")[:200]
    page = Paginator(panels.published_articles(actor, query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "servicedesk/portal/articles.html", {"page": page, "q": query})


@ui_view
def portal_article(request: HttpRequest, pk: UUID) -> HttpResponse:
    article = panels.article_for_reader(request_actor(request), pk)
    return render(request, "servicedesk/portal/article.html", {"article": article})
