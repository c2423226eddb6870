"""Reads of the catalogue and of service requests, each restricted to the actor.

An approver sees the request they are asked to approve (its answers, approvals and tasks) even when it is
not theirs; a requester sees only their own requests and, on them, only what is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.core.permissions import get_visible, visible_to
from towers.servicedesk.forms_schema import Question, parse_form
from towers.servicedesk.models import Approval, CatalogItem, Ticket, TicketClock, TicketEvent, TicketKind
from towers.servicedesk.models.catalogue import FulfilmentStep
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.selectors import QUEUE_RELATED, ticket_timeline, tickets_visible


def catalog_items(
    *, actor: Actor, search: str = "", category: str = "", active_only: bool = True
) -> QuerySet[CatalogItem]:
    qs = visible_to(actor, CatalogItem.objects).select_related("service", "category")
    if active_only:
        qs = qs.filter(is_active=True)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search) | Q(code__iexact=search))
    if category:
        qs = qs.filter(category__code=category)
    return qs.order_by("category__name", "name", "id")


def catalog_item_get(*, actor: Actor, id: UUID | str | None = None, code: str | None = None) -> CatalogItem:
    lookup = {"pk": id} if id is not None else {"code": code}
    return get_visible(actor, CatalogItem.objects.select_related("service", "category"), **lookup)


def requests_list(*, actor: Actor, open_only: bool = False, state: str = "") -> QuerySet[Ticket]:
    """Requests the actor may see (a requester: their own), newest first, with what a row shows."""
    qs = tickets_visible(actor).filter(kind=TicketKind.REQUEST).select_related(*QUEUE_RELATED, "catalog_item")
    if state:
        qs = qs.filter(state=state)
    elif open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    return qs.order_by("-opened_at", "-id")


def _approving(actor: Actor) -> Q:
    return Q(Exists(Approval.objects.filter(ticket=OuterRef("pk"), approver_id=actor.person_id)))


def request_get(*, actor: Actor, id: UUID | str) -> Ticket:
    """One request, for those who may see it or are asked to approve it; NotFound otherwise."""
    allowed = Q(pk__in=tickets_visible(actor).values("pk"))
    if actor.person_id is not None:
        # A requester-only approver (a line manager) sees the request put to them, within their own scope.
        allowed |= _approving(actor) & Q(pk__in=visible_to(actor, Ticket.objects).values("pk"))
    mine = Ticket.objects.filter(allowed, kind=TicketKind.REQUEST).select_related(*QUEUE_RELATED, "catalog_item")
    try:
        return mine.get(pk=id)
    except (Ticket.DoesNotExist, ValueError) as exc:
        raise NotFound("No such request.") from exc


@dataclass(frozen=True)
class RequestView:
    """What a request's page and API show: its questions and answers, approvals, plan, tasks and timeline."""

    request: Ticket
    questions: tuple[Question, ...]
    approvals: list[Approval]
    steps: list[FulfilmentStep]
    tasks: list[Ticket]
    timeline: list[TicketEvent]

    @property
    def answered(self) -> list[tuple[Question, object]]:
        return [(q, self.request.answers[q.name]) for q in self.questions if q.name in self.request.answers]


def request_tasks(*, actor: Actor, request: Ticket) -> list[Ticket]:
    """The request's fulfilment tasks the actor may see, each with its clocks (SLA and per hand-off OLA)."""
    clocks = TicketClock.objects.select_related("organisation", "handoff__to_team").order_by("kind", "metric", "id")
    return list(
        visible_to(actor, Ticket.objects)
        .filter(parent=request, kind=TicketKind.TASK)
        .select_related("team__organisation", "assignee")
        .prefetch_related(Prefetch("clocks", queryset=clocks))
        .order_by("opened_at", "id")
    )


def request_view(*, actor: Actor, request: Ticket, timeline: bool = True) -> RequestView:
    item = request.catalog_item
    return RequestView(
        request=request,
        questions=parse_form(item.form) if item is not None else (),
        approvals=list(request.approvals.select_related("approver").order_by("step", "created_at")),
        steps=list(FulfilmentStep.objects.filter(request=request).select_related("team__organisation", "task")),
        tasks=request_tasks(actor=actor, request=request),
        timeline=ticket_timeline(actor=actor, ticket=request) if timeline else [],
    )


def approvals_waiting(*, actor: Actor) -> QuerySet[Approval]:
    """Request approvals waiting for the actor now: theirs, still requested, and no earlier step still open."""
    if actor.person_id is None:
        return Approval.objects.none()
    earlier = Approval.objects.filter(
        ticket=OuterRef("ticket"), status=Approval.Status.REQUESTED, step__lt=OuterRef("step")
    )
    return (
        visible_to(actor, Approval.objects)
        .filter(
            approver_id=actor.person_id,
            status=Approval.Status.REQUESTED,
            ticket__kind=TicketKind.REQUEST,
            ticket__state__in=OPEN_STATES,
        )
        .exclude(Exists(earlier))
        .select_related("ticket__catalog_item", "ticket__requester", "approver")
        .order_by("created_at", "id")
    )


def request_approval_get(*, actor: Actor, id: UUID | str) -> Approval:
    """One request approval (not a change's), if the actor may see its request."""
    approvals = Approval.objects.filter(ticket__kind=TicketKind.REQUEST).select_related("ticket", "approver")
    return get_visible(actor, approvals, pk=id)
