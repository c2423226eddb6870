"""REST routes of the reporting app (thin): the monthly service review pack as JSON."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from towers.reporting.access import ensure_may_read_pack, supplier_by_code, tower_by_code
from towers.reporting.api_delivery import router as delivery_router
from towers.reporting.api_exit import router as exit_router
from towers.reporting.schemas import ServicePackOut
from towers.reporting.selectors_pack import build_pack, parse_month

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
    organisation = supplier_by_code(actor, supplier) if supplier else None
    towers = tower_by_code(actor, tower) if tower and organisation is None else None
    if organisation is None and towers is None:
        ensure_may_read_pack(actor, None)
    period = parse_month(month)
    return build_pack(actor=actor, month=period, supplier=organisation, tower=towers)
