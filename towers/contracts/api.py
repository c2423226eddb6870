"""REST routes for contracts, the service catalogue, calendars and service levels (thin)."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from towers.contracts import selectors
from towers.contracts.models import Calendar, Contract, ServiceLevel
from towers.contracts.schemas import (
    CalendarOut,
    ChargeIn,
    ChargeOut,
    ClosureIn,
    ContractIn,
    ContractOut,
    ContractPatch,
    HoursIn,
    ServiceIn,
    ServiceLevelIn,
    ServiceLevelOut,
    ServiceLevelPatch,
    ServiceOut,
)
from towers.contracts.services import catalogue, contracts
from towers.core.api import Page, expected_version, set_etag
from towers.organisations.selectors import organisation_get, tower_get

router = Router(tags=["Contracts and catalogue"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.get("/contracts", response=list[ContractOut])
@paginate(Page)
def contract_list(request: HttpRequest, supplier: UUID | None = None, search: str = "") -> Any:
    return selectors.contract_list(actor=_actor(request), supplier=supplier, search=search)


@router.post("/contracts", response={201: ContractOut})
def contract_create(request: HttpRequest, body: ContractIn) -> Any:
    actor = _actor(request)
    data = body.dict()
    data["supplier"] = organisation_get(actor=actor, id=data["supplier"])
    data["tower"] = tower_get(actor=actor, id=data["tower"]) if data["tower"] else None
    return Status(201, contracts.contract_create(actor=actor, **data))


@router.get("/contracts/{id}", response=ContractOut)
def contract_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Contract:
    contract = selectors.contract_get(actor=_actor(request), id=id)
    set_etag(response, contract)
    return contract


@router.patch("/contracts/{id}", response=ContractOut)
def contract_update(request: HttpRequest, response: HttpResponse, id: UUID, body: ContractPatch) -> Contract:
    actor = _actor(request)
    contract = contracts.contract_update(
        actor=actor,
        contract=selectors.contract_get(actor=actor, id=id),
        changes=body.dict(exclude_unset=True),
        expected_version=expected_version(request),
    )
    set_etag(response, contract)
    return contract


@router.get("/contracts/{id}/charges", response=list[ChargeOut])
def contract_charges(request: HttpRequest, id: UUID) -> Any:
    return selectors.contract_get(actor=_actor(request), id=id).charges.order_by("period")


@router.put("/contracts/{id}/charges", response=ChargeOut)
def contract_set_charge(request: HttpRequest, id: UUID, body: ChargeIn) -> Any:
    actor = _actor(request)
    contract = selectors.contract_get(actor=actor, id=id)
    return contracts.contract_set_charge(actor=actor, contract=contract, period=body.period, amount=body.amount)


@router.get("/services", response=list[ServiceOut])
@paginate(Page)
def service_list(request: HttpRequest, category: str = "", search: str = "") -> Any:
    return selectors.service_list(actor=_actor(request), category=category, search=search)


@router.post("/services", response={201: ServiceOut})
def service_create(request: HttpRequest, body: ServiceIn) -> Any:
    actor = _actor(request)
    data = body.dict()
    data["owner"] = organisation_get(actor=actor, id=data["owner"])
    data["tower"] = tower_get(actor=actor, id=data["tower"]) if data["tower"] else None
    return Status(201, catalogue.service_create(actor=actor, **data))


@router.get("/services/{id}", response=ServiceOut)
def service_get(request: HttpRequest, id: UUID) -> Any:
    return selectors.service_get(actor=_actor(request), id=id)


@router.get("/calendars", response=list[CalendarOut])
@paginate(Page)
def calendar_list(request: HttpRequest) -> Any:
    return selectors.calendar_list(actor=_actor(request)).prefetch_related("hours", "closures")


@router.get("/calendars/{id}", response=CalendarOut)
def calendar_get(request: HttpRequest, id: UUID) -> Calendar:
    return selectors.calendar_get(actor=_actor(request), id=id)


@router.put("/calendars/{id}/hours", response=CalendarOut, summary="Set the opening hours from a date on")
def calendar_set_hours(request: HttpRequest, id: UUID, body: HoursIn) -> Calendar:
    actor = _actor(request)
    calendar = selectors.calendar_get(actor=actor, id=id)
    catalogue.calendar_set_hours(
        actor=actor, calendar=calendar, effective_from=body.effective_from, windows=list(body.windows)
    )
    return calendar


@router.post("/calendars/{id}/closures", response={201: CalendarOut})
def calendar_add_closure(request: HttpRequest, id: UUID, body: ClosureIn) -> Any:
    actor = _actor(request)
    calendar = selectors.calendar_get(actor=actor, id=id)
    catalogue.calendar_add_closure(
        actor=actor, calendar=calendar, starts_at=body.starts_at, ends_at=body.ends_at, reason=body.reason
    )
    return Status(201, calendar)


@router.get("/service-levels", response=list[ServiceLevelOut])
@paginate(Page)
def service_level_list(
    request: HttpRequest, contract: UUID | None = None, service: UUID | None = None, kind: str = ""
) -> Any:
    return selectors.service_level_list(actor=_actor(request), contract=contract, service=service, kind=kind)


@router.post("/service-levels", response={201: ServiceLevelOut})
def service_level_create(request: HttpRequest, body: ServiceLevelIn) -> Any:
    actor = _actor(request)
    data = body.dict()
    data["service"] = selectors.service_get(actor=actor, id=data["service"])
    data["provider"] = organisation_get(actor=actor, id=data["provider"])
    data["customer"] = organisation_get(actor=actor, id=data["customer"])
    data["contract"] = selectors.contract_get(actor=actor, id=data["contract"]) if data["contract"] else None
    data["calendar"] = selectors.calendar_get(actor=actor, id=data["calendar"]) if data["calendar"] else None
    data["point_bands"] = [[str(bound), points] for bound, points in data["point_bands"]]
    return Status(201, catalogue.service_level_create(actor=actor, **data))


@router.get("/service-levels/{id}", response=ServiceLevelOut)
def service_level_get(request: HttpRequest, response: HttpResponse, id: UUID) -> ServiceLevel:
    level = selectors.service_level_get(actor=_actor(request), id=id)
    set_etag(response, level)
    return level


@router.patch("/service-levels/{id}", response=ServiceLevelOut)
def service_level_update(request: HttpRequest, response: HttpResponse, id: UUID, body: ServiceLevelPatch) -> Any:
    actor = _actor(request)
    changes = body.dict(exclude_unset=True)
    if changes.get("point_bands") is not None:
        changes["point_bands"] = [[str(bound), points] for bound, points in changes["point_bands"]]
    level = catalogue.service_level_update(
        actor=actor,
        level=selectors.service_level_get(actor=actor, id=id),
        changes=changes,
        expected_version=expected_version(request),
    )
    set_etag(response, level)
    return level
