"""REST routes for the request catalogue and service requests (thin): /catalog-items, /requests, /request-approvals."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version, set_etag
from towers.organisations.selectors import person_get
from towers.servicedesk import selectors_requests as selectors
from towers.servicedesk.models import Ticket
from towers.servicedesk.schemas_requests import (
    CatalogItemIn,
    CatalogItemOut,
    CatalogItemPatch,
    RequestApprovalOut,
    RequestDecideIn,
    RequestIn,
    RequestOut,
    RequestRow,
    RequestWithdrawIn,
)
from towers.servicedesk.selectors import category_by_code
from towers.servicedesk.services import catalogue, requests

router = Router(tags=["requests"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


class _RequestDetail:
    """The request with what its page shows in place of its raw relations (approvals ordered, tasks visible)."""

    def __init__(self, view: selectors.RequestView) -> None:
        self._ticket = view.request
        self.approvals, self.steps, self.tasks = view.approvals, view.steps, view.tasks

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ticket, name)


def _detail(actor: Any, ticket: Ticket) -> _RequestDetail:
    return _RequestDetail(selectors.request_view(actor=actor, request=ticket, timeline=False))


@router.get("/catalog-items", response=list[CatalogItemOut], summary="What can be requested")
@paginate(Page)
def catalog_item_list(
    request: HttpRequest, search: str = "", category: str = "", include_inactive: bool = False
) -> Any:
    return selectors.catalog_items(
        actor=_actor(request), search=search, category=category, active_only=not include_inactive
    )


@router.get("/catalog-items/{id}", response=CatalogItemOut)
def catalog_item_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    item = selectors.catalog_item_get(actor=_actor(request), id=id)
    set_etag(response, item)
    return item


@router.post("/catalog-items", response={201: CatalogItemOut}, summary="Offer an item (desk administrators)")
def catalog_item_create(request: HttpRequest, body: CatalogItemIn) -> Any:
    actor = _actor(request)
    item = catalogue.catalog_item_create(
        actor=actor,
        code=body.code,
        name=body.name,
        description=body.description,
        service=service_get(actor=actor, id=body.service),
        category=category_by_code(actor=actor, code=body.category),
        form=body.form,
        approvals=body.approvals,
        tasks=body.tasks,
        is_active=body.is_active,
    )
    return Status(201, selectors.catalog_item_get(actor=actor, id=item.id))


@router.patch("/catalog-items/{id}", response=CatalogItemOut, summary="Change an item (send If-Match)")
def catalog_item_update(request: HttpRequest, response: HttpResponse, id: UUID, body: CatalogItemPatch) -> Any:
    actor = _actor(request)
    item = selectors.catalog_item_get(actor=actor, id=id)
    changes = body.dict(exclude_unset=True)
    if "service" in changes:
        changes["service"] = service_get(actor=actor, id=changes["service"])
    if "category" in changes:
        changes["category"] = category_by_code(actor=actor, code=changes["category"])
    catalogue.catalog_item_update(actor=actor, item=item, changes=changes, expected_version=expected_version(request))
    item = selectors.catalog_item_get(actor=actor, id=id)
    set_etag(response, item)
    return item


@router.post("/requests", response={201: RequestOut}, summary="Ask for a catalogue item with the form's answers")
def request_submit(request: HttpRequest, body: RequestIn) -> Any:
    actor = _actor(request)
    ticket = requests.request_submit(
        actor=actor,
        item=selectors.catalog_item_get(actor=actor, id=body.catalog_item),
        answers=body.answers,
        requester=person_get(actor=actor, id=body.requester) if body.requester else None,
        channel="api",
    )
    return Status(201, _detail(actor, selectors.request_get(actor=actor, id=ticket.id)))


@router.get("/requests", response=list[RequestRow], summary="Requests you may see (a requester: your own)")
@paginate(Page)
def request_list(request: HttpRequest, state: str = "", open_only: bool = False) -> Any:
    return selectors.requests_list(actor=_actor(request), state=state, open_only=open_only)


@router.get("/requests/{id}", response=RequestOut, summary="A request: answers, approvals, plan, tasks and clocks")
def request_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    actor = _actor(request)
    ticket = selectors.request_get(actor=actor, id=id)
    set_etag(response, ticket)
    return _detail(actor, ticket)


@router.post("/requests/{id}/withdraw", response=RequestOut, summary="Withdraw a request no longer wanted")
def request_withdraw(request: HttpRequest, id: UUID, body: RequestWithdrawIn) -> Any:
    actor = _actor(request)
    requests.request_withdraw(actor=actor, request=selectors.request_get(actor=actor, id=id), reason=body.reason)
    return _detail(actor, selectors.request_get(actor=actor, id=id))


@router.get("/request-approvals", response=list[RequestApprovalOut], summary="Request approvals waiting for you")
@paginate(Page)
def approval_inbox(request: HttpRequest) -> Any:
    return selectors.approvals_waiting(actor=_actor(request))


@router.post("/request-approvals/{id}/decide", response=RequestApprovalOut, summary="Approve or reject a request")
def approval_decide(request: HttpRequest, id: UUID, body: RequestDecideIn) -> Any:
    actor = _actor(request)
    approval = selectors.request_approval_get(actor=actor, id=id)
    return requests.request_approval_decide(
        actor=actor, approval=approval, approve=body.decision == "approved", comment=body.comment
    )
