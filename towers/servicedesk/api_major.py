"""REST routes for major incidents (thin): declare from a ticket, update stakeholders, resolve, review."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page, set_etag
from towers.organisations.selectors import person_get
from towers.servicedesk import selectors_major as selectors
from towers.servicedesk.models import MajorIncident
from towers.servicedesk.schemas_requests import (
    DeclareMajorIn,
    MajorOut,
    MajorResolveIn,
    MajorReviewIn,
    MajorRow,
    MajorUpdateIn,
    MajorUpdateOut,
)
from towers.servicedesk.selectors import ticket_get
from towers.servicedesk.services import major as services

router = Router(tags=["major incidents"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


class _MajorDetail:
    """The major incident with its stakeholder updates (newest first) and its review's actions."""

    def __init__(self, actor: Any, major: MajorIncident) -> None:
        self._major = major
        self.updates = selectors.major_updates(actor=actor, major=major)
        self.actions = selectors.major_actions(actor=actor, major=major)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._major, name)


def _detail(actor: Any, id: UUID) -> _MajorDetail:
    return _MajorDetail(actor, selectors.major_get(actor=actor, id=id))


@router.get("/major-incidents", response=list[MajorRow], summary="The board: active first, most overdue first")
@paginate(Page)
def major_list(request: HttpRequest, status: str = "") -> Any:
    return selectors.majors_list(actor=_actor(request), status=status)


@router.get("/major-incidents/{id}", response=MajorOut, summary="A major incident: bridge, updates, review")
def major_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    detail = _detail(_actor(request), id)
    set_etag(response, detail._major)
    return detail


@router.post(
    "/tickets/{id}/declare-major", response={201: MajorOut}, summary="Run a P1 incident (id or reference) as major"
)
def major_declare(request: HttpRequest, id: str, body: DeclareMajorIn) -> Any:
    actor = _actor(request)
    ticket = ticket_get(actor=actor, reference=id)
    major = services.major_declare(
        actor=actor,
        ticket=ticket,
        bridge=body.bridge,
        manager=person_get(actor=actor, id=body.manager) if body.manager else None,
        stakeholders=body.stakeholders,
    )
    return Status(201, _detail(actor, major.id))


@router.post("/major-incidents/{id}/updates", response={201: MajorUpdateOut}, summary="Send a stakeholder update")
def major_update(request: HttpRequest, id: UUID, body: MajorUpdateIn) -> Any:
    actor = _actor(request)
    major = selectors.major_get(actor=actor, id=id)
    return Status(201, services.major_update(actor=actor, major=major, body=body.body))


@router.post("/major-incidents/{id}/resolve", response=MajorOut, summary="Service restored: resolve with a summary")
def major_resolve(request: HttpRequest, id: UUID, body: MajorResolveIn) -> Any:
    actor = _actor(request)
    major = selectors.major_get(actor=actor, id=id)
    services.major_resolve(actor=actor, major=major, summary=body.summary, resolution_code=body.resolution_code)
    return _detail(actor, id)


@router.post("/major-incidents/{id}/review", response=MajorOut, summary="Record the post-incident review")
def major_review(request: HttpRequest, id: UUID, body: MajorReviewIn) -> Any:
    actor = _actor(request)
    major = selectors.major_get(actor=actor, id=id)
    services.major_review(actor=actor, major=major, review=body.review, actions=[a.dict() for a in body.actions])
    return _detail(actor, id)
