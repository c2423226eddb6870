"""Pages of the service review pack: pick a supplier and month, then read the pack (thin: access, build, render)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from towers.core.errors import NotFound, ValidationFailed
from towers.organisations.models import Organisation, Tower
from towers.organisations.views.common import request_actor, ui_view
from towers.reporting import charts
from towers.reporting.access import (
    ensure_may_read_pack,
    may_read_estate,
    pack_suppliers,
    pack_towers,
    supplier_by_code,
    tower_by_code,
)
from towers.reporting.delivery import subscriptions_for
from towers.reporting.pack import ServicePack
from towers.reporting.pack_common import add_months, pack_records_link
from towers.reporting.selectors_pack import build_pack, parse_month

ESTATE = ""


def _last_month() -> date:
    today = timezone.localdate()
    return add_months(date(today.year, today.month, 1), -1)


@ui_view
def review_index(request: HttpRequest) -> HttpResponse:
    """The picker; choosing a supplier and a month opens that pack."""
    actor = request_actor(request)
    suppliers = list(pack_suppliers(actor))
    estate = may_read_estate(actor)
    if not suppliers and not estate:
        ensure_may_read_pack(actor, None)  # refuses with the reason
    month_text = request.GET.get("month", "")
    if "month" in request.GET:
        try:
            month = parse_month(month_text)
        except ValidationFailed:
            month = None
        code = request.GET.get("supplier", ESTATE)
        if month is not None:
            if code.startswith("tower:"):  # the picker's towers: "tower:<code>"
                return redirect("review_tower", month=f"{month:%Y-%m}", tower_code=code.removeprefix("tower:"))
            if code:
                return redirect("review_supplier", month=f"{month:%Y-%m}", supplier_code=code)
            return redirect("review_estate", month=f"{month:%Y-%m}")
    context = {
        "suppliers": suppliers,
        "towers": pack_towers(actor),
        "estate": estate,
        "month": f"{_last_month():%Y-%m}",
        "bad_month": month_text,
        "subscriptions": subscriptions_for(actor),
    }
    return render(request, "reporting/review_index.html", context)


def _exports(month: str, supplier: Organisation | None, tower: Tower | None = None) -> dict[str, str]:
    """The PDF and XLSX links, when the export views are installed."""
    suffix = "supplier" if supplier else "tower" if tower else "estate"
    kwargs: dict[str, str] = {"month": month}
    if supplier:
        kwargs["supplier_code"] = supplier.code
    elif tower:
        kwargs["tower_code"] = tower.code
    links = {}
    for kind in ("pdf", "xlsx"):
        try:
            links[kind] = reverse(f"review_{suffix}_{kind}", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return links


def _charts(pack: ServicePack) -> dict[str, object]:
    levels = [a for a in pack.attainment if a.attained_percent is not None]
    attainment = charts.bars_svg(
        [f"{a.level} ({a.priority})" for a in levels],
        [a.attained_percent for a in levels],
        title="Attainment against target",
        unit="%",
        targets=[a.target_percent for a in levels],
        highlight=[a.breached for a in levels],
        scale_max=100,
    )
    ageing = charts.bars_svg(
        [band.label for band in pack.backlog_ageing],
        [band.count for band in pack.backlog_ageing],
        title="Backlog at month end by age",
    )
    return {
        "trend_charts": [(series, charts.trend_svg(series)) for series in pack.trends],
        "attainment_chart": attainment if levels else "",
        "ageing_chart": ageing,
    }


def _pack_page(
    request: HttpRequest, month: str, supplier: Organisation | None, tower: Tower | None = None
) -> HttpResponse:
    try:
        period = parse_month(month)
    except ValidationFailed as exc:
        raise NotFound(f"No pack for {month}: give the month as YYYY-MM.") from exc
    pack = build_pack(actor=request_actor(request), month=period, supplier=supplier, tower=tower)
    exports = _exports(month, supplier, tower)
    context = {"pack": pack, "exports": exports, "previous": f"{add_months(period, -1):%Y-%m}"}
    context["breaches_link"] = pack_records_link("review_clocks", period, supplier, tower, breached="on")
    context |= {"next": f"{add_months(period, 1):%Y-%m}", "supplier": supplier, "tower": tower} | _charts(pack)
    return render(request, "reporting/review_pack.html", context)


@ui_view
def review_estate(request: HttpRequest, month: str) -> HttpResponse:
    ensure_may_read_pack(request_actor(request), None)
    return _pack_page(request, month, None)


@ui_view
def review_supplier(request: HttpRequest, month: str, supplier_code: str) -> HttpResponse:
    supplier = supplier_by_code(request_actor(request), supplier_code)
    return _pack_page(request, month, supplier)


@ui_view
def review_tower(request: HttpRequest, month: str, tower_code: str) -> HttpResponse:
    tower = tower_by_code(request_actor(request), tower_code)
    return _pack_page(request, month, None, tower)
