"""REST routes of the reporting app (thin): the monthly service review pack as JSON, and the records behind it."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from towers.core.api import Page
from towers.reporting.access import pack_subject
from towers.reporting.api_delivery import router as delivery_router
from towers.reporting.api_exit import router as exit_router
from towers.reporting.pack_common import PackScope
from towers.reporting.schemas import (
    CaseParams,
    CaseRecordOut,
    ChangeParams,
    ChangeRecordOut,
    ClockOut,
    ClockParams,
    HandOffParams,
    HandOffRecordOut,
    ServicePackOut,
)
from towers.reporting.selectors_pack import build_pack, parse_month
from towers.reporting.selectors_records import (
    ClockFilters,
    month_case_list,
    month_change_list,
    month_clock_list,
    month_handoff_list,
)

router = Router(tags=["Reporting"])
router.add_router("", exit_router)  # exit data packs: the app's one router at /api/v1 carries them too
router.add_router("", delivery_router)  # monthly packs by email


@router.get(
    "/reviews/{month}",
    response=ServicePackOut,
    summary="A month's service review pack",
    description=(
        "The pack for `month` (YYYY-MM) of one supplier (`supplier`: its organisation code), of one tower's "
        "suppliers together (`tower`: the tower's code) or, without either, of the "
        "whole estate: attainment, breaches with reasons, volumes and trends, backlog, resolution, hand-offs, major "
        "incidents, changes, security cases, mobile compliance and, where you may see them, credits and the "
        "delivery score. A supplier reads only its own pack; every figure is within the reader's visibility."
    ),
)
def review_pack(request: HttpRequest, month: str, supplier: str | None = None, tower: str | None = None) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    # Access first: a reader with no right to the pack learns nothing, not even that the month was malformed.
    organisation, towers = pack_subject(actor, supplier or "", tower or "")
    return build_pack(actor=actor, month=parse_month(month), supplier=organisation, tower=towers)


@router.get(
    "/reviews/{month}/clocks",
    response=list[ClockOut],
    summary="The clocks behind a pack's attainment and breaches",
    description=(
        "The month's service level clocks the pack for `month` (YYYY-MM) counts, one by one: a breached clock in "
        "the month it fell due, a met one in the month it stopped. `supplier` or `tower` narrow to that pack's "
        "tickets, as the pack does; the other filters pick the clocks of one figure. Refused as the pack is."
    ),
)
@paginate(Page)
def review_clocks(request: HttpRequest, month: str, params: Query[ClockParams]) -> Any:
    scope = _records_scope(request, month, params.supplier, params.tower)
    filters = ClockFilters(
        kind=params.kind,
        provider=params.provider,
        breached=params.breached,
        level=params.level,
    )
    return month_clock_list(scope, filters)


@router.get(
    "/reviews/{month}/handoffs",
    response=list[HandOffRecordOut],
    summary="The hand-offs behind a pack's hand-off figures",
    description=(
        "The hand-offs sent in `month` (YYYY-MM) on the pack's tickets, oldest first; with `supplier` or `tower`, "
        "those it sent or received (`received=true`: received only). Refused as the pack is."
    ),
)
@paginate(Page)
def review_handoffs(request: HttpRequest, month: str, params: Query[HandOffParams]) -> Any:
    scope = _records_scope(request, month, params.supplier, params.tower)
    return month_handoff_list(scope, status=params.status, received=params.received)


def _records_scope(request: HttpRequest, month: str, supplier: str, tower: str) -> PackScope:
    """The pack whose records are listed: refused as the pack is, before the month is even read."""
    actor = request.actor  # type: ignore[attr-defined]
    organisation, towers = pack_subject(actor, supplier, tower)
    return PackScope(actor=actor, month=parse_month(month), supplier=organisation, tower=towers)


@router.get(
    "/reviews/{month}/changes",
    response=list[ChangeRecordOut],
    summary="The changes behind a pack's change figures",
    description="Changes whose work ended in `month` with an outcome recorded, latest first. Refused as the pack is.",
)
@paginate(Page)
def review_changes(request: HttpRequest, month: str, params: Query[ChangeParams]) -> Any:
    scope = _records_scope(request, month, params.supplier, params.tower)
    return month_change_list(scope, outcome=params.outcome)


@router.get(
    "/reviews/{month}/security-cases",
    response=list[CaseRecordOut],
    summary="The security cases behind a pack's security figures",
    description="Cases opened (or, `resolved=true`, resolved) in `month`, oldest first. Refused as the pack is.",
)
@paginate(Page)
def review_cases(request: HttpRequest, month: str, params: Query[CaseParams]) -> Any:
    scope = _records_scope(request, month, params.supplier, params.tower)
    return month_case_list(scope, resolved=params.resolved)
