"""REST routes for tickets (thin): raise, read, list queues, update, move, assign, comment, hand off, clocks."""

from datetime import date
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from towers.cmdb.selectors import ci_get
from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version, set_etag
from towers.organisations.selectors import person_get, team_get
from towers.servicedesk import selectors, selectors_mail
from towers.servicedesk.models import HandOff, Ticket
from towers.servicedesk.schemas import (
    AssignIn,
    ClockOut,
    CommentIn,
    DecisionIn,
    EventOut,
    HandOffIn,
    HandOffOut,
    InboundMailOut,
    TicketIn,
    TicketOut,
    TicketPatch,
    TransitionIn,
)
from towers.servicedesk.services import handoffs, tickets

router = Router(tags=["Service desk"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


class QueueParams(Schema):
    team: UUID | None = None
    organisation: UUID | None = None
    kind: str = Field("", description="A kind, or several separated by commas (incident,request)")
    state: str = ""
    open_only: bool = True
    priority: str = ""
    assignee: UUID | None = None
    unassigned: bool = False
    breached: bool | None = None
    warning_at: int | None = None
    crossed: bool | None = None
    ping_pong: bool | None = None
    awaiting_acceptance: bool = False
    caused_by_change: bool = False
    service: UUID | None = None
    text: str = ""
    order: str = "priority"
    # Whole days in London time, both ends included (what a service review pack's month links to).
    opened_from: date | None = None
    opened_to: date | None = None
    resolved_from: date | None = None
    resolved_to: date | None = None
    open_on: date | None = None  # open at the end of that London day
    party: str = Field("", description="An organisation's code, or tower:CODE: tickets it holds or held")

    def filters(self) -> selectors.QueueFilters:
        data = self.dict()
        data["states"], data["priorities"] = data.pop("state"), data.pop("priority")
        return selectors.QueueFilters.from_dict(data)


@router.get("/tickets", response=list[TicketOut], summary="A queue: visible tickets, filtered and ordered")
@paginate(Page)
def ticket_list(request: HttpRequest, params: Query[QueueParams]) -> Any:
    return selectors.ticket_queue(actor=_actor(request), filters=params.filters())


@router.post("/tickets", response={201: TicketOut}, summary="Raise a ticket; it is routed by the assignment rules")
def ticket_create(request: HttpRequest, body: TicketIn) -> Any:
    actor = _actor(request)
    ticket = tickets.ticket_create(
        actor=actor,
        kind=body.kind,
        title=body.title,
        description=body.description,
        impact=body.impact,
        urgency=body.urgency,
        category=selectors.category_by_code(actor=actor, code=body.category),
        service=service_get(actor=actor, id=body.service) if body.service else None,
        cis=[ci_get(actor=actor, id=ci) for ci in body.cis],
        team=team_get(actor=actor, id=body.team) if body.team else None,
        requester=person_get(actor=actor, id=body.requester) if body.requester else None,
        requester_email=body.requester_email,
        channel=body.channel,
    )
    # The service's own object holds what the response shows; re-reading it would cost a wide join's planning.
    return Status(201, ticket)


@router.get("/tickets/{id}", response=TicketOut, summary="A ticket, by id or reference")
def ticket_get(request: HttpRequest, response: HttpResponse, id: str) -> Ticket:
    ticket = selectors.ticket_get(actor=_actor(request), reference=id)
    set_etag(response, ticket)
    return ticket


@router.patch("/tickets/{id}", response=TicketOut)
def ticket_update(request: HttpRequest, response: HttpResponse, id: str, body: TicketPatch) -> Ticket:
    actor = _actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=id)
    changes = body.dict(exclude_unset=True)
    if changes.get("service"):
        changes["service"] = service_get(actor=actor, id=changes["service"])
    if changes.get("assignee"):
        changes["assignee"] = person_get(actor=actor, id=changes["assignee"])
    if changes.get("cis") is not None:
        changes["cis"] = [ci_get(actor=actor, id=ci) for ci in changes["cis"]]
    tickets.ticket_update(actor=actor, ticket=ticket, changes=changes, expected_version=expected_version(request))
    ticket = selectors.ticket_get(actor=actor, reference=id)
    set_etag(response, ticket)
    return ticket


@router.post("/tickets/{id}/transition", response=TicketOut, summary="Move the ticket to another state")
def ticket_transition(request: HttpRequest, id: str, body: TransitionIn) -> Ticket:
    actor = _actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=id)
    tickets.ticket_transition(actor=actor, ticket=ticket, expected_version=expected_version(request), **body.dict())
    return selectors.ticket_get(actor=actor, reference=id)


@router.post("/tickets/{id}/assign", response=TicketOut, summary="Assign within the holding organisation")
def ticket_assign(request: HttpRequest, id: str, body: AssignIn) -> Ticket:
    actor = _actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=id)
    tickets.ticket_assign(
        actor=actor,
        ticket=ticket,
        team=team_get(actor=actor, id=body.team),
        assignee=person_get(actor=actor, id=body.assignee) if body.assignee else None,
    )
    return selectors.ticket_get(actor=actor, reference=id)


@router.post("/tickets/{id}/comments", response={201: EventOut})
def ticket_comment(request: HttpRequest, id: str, body: CommentIn) -> Any:
    actor = _actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=id)
    return Status(201, tickets.ticket_comment(actor=actor, ticket=ticket, body=body.body, public=body.public))


@router.get("/tickets/{id}/timeline", response=list[EventOut])
def ticket_timeline(request: HttpRequest, id: str) -> Any:
    actor = _actor(request)
    return selectors.ticket_timeline(actor=actor, ticket=selectors.ticket_get(actor=actor, reference=id))


@router.get("/tickets/{id}/clocks", response=list[ClockOut])
def ticket_clocks(request: HttpRequest, id: str) -> Any:
    actor = _actor(request)
    return selectors.ticket_clocks(actor=actor, ticket=selectors.ticket_get(actor=actor, reference=id))


@router.get("/tickets/{id}/handoffs", response=list[HandOffOut])
def ticket_handoffs(request: HttpRequest, id: str) -> Any:
    actor = _actor(request)
    return selectors.ticket_handoffs(actor=actor, ticket=selectors.ticket_get(actor=actor, reference=id))


@router.post("/tickets/{id}/handoffs", response={201: HandOffOut}, summary="Hand off to another organisation's team")
def ticket_hand_off(request: HttpRequest, id: str, body: HandOffIn) -> Any:
    actor = _actor(request)
    ticket = selectors.ticket_get(actor=actor, reference=id)
    handoff = handoffs.ticket_hand_off(
        actor=actor, ticket=ticket, to_team=team_get(actor=actor, id=body.team), reason=body.reason
    )
    return Status(201, handoff)


@router.get("/handoffs", response=list[HandOffOut], summary="Hand-offs waiting for your organisation")
@paginate(Page)
def handoff_inbox(request: HttpRequest) -> Any:
    return selectors.handoff_inbox(actor=_actor(request))


@router.post("/handoffs/{id}/accept", response=HandOffOut)
def handoff_accept(request: HttpRequest, id: UUID, body: DecisionIn) -> HandOff:
    actor = _actor(request)
    handoff = selectors.handoff_get(actor=actor, handoff_id=id)
    return handoffs.handoff_accept(actor=actor, handoff=handoff, note=body.reason)


@router.post("/handoffs/{id}/reject", response=HandOffOut)
def handoff_reject(request: HttpRequest, id: UUID, body: DecisionIn) -> HandOff:
    actor = _actor(request)
    handoff = selectors.handoff_get(actor=actor, handoff_id=id)
    return handoffs.handoff_reject(actor=actor, handoff=handoff, reason=body.reason)


@router.get("/inbound-mail", response=list[InboundMailOut], summary="Mail the desk received, and what became of it")
@paginate(Page)
def inbound_mail_list(request: HttpRequest, outcome: str = "") -> Any:
    return selectors_mail.inbound_mail_list(actor=_actor(request), outcome=outcome)
