"""The page of clocks behind a pack's attainment and breach figures (thin: check access, parse, list)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from towers.core.errors import NotFound, ValidationFailed
from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.reporting.access import pack_subject
from towers.reporting.forms import ClockFilterForm
from towers.reporting.pack_common import PackScope
from towers.reporting.selectors_clocks import clock_counts, month_clock_list
from towers.reporting.selectors_pack import parse_month


@ui_view
def review_clocks(request: HttpRequest, month: str) -> HttpResponse:
    actor = request_actor(request)
    # Access first, as the pack's own page: a reader with no right to the pack learns nothing from the rest.
    supplier, tower = pack_subject(actor, request.GET.get("supplier", ""), request.GET.get("tower", ""))
    period = _month(month)
    scope = PackScope(actor=actor, month=period, supplier=supplier, tower=tower)
    form = ClockFilterForm(request.GET)
    context: dict[str, object] = {"scope": scope, "form": form, "month": period, "name": _name(scope)}
    if not form.is_valid():  # the form names each bad filter; nothing is listed rather than too much
        return render(request, "reporting/review_clocks.html", context, status=400)
    clocks = month_clock_list(scope, form.clock_filters())
    context |= {"counts": clock_counts(clocks), "page": paginate(request, clocks)}
    return render(request, "reporting/review_clocks.html", context)


def _month(text: str) -> date:
    """The month in the URL; a malformed one is a 404, like the pack's own page."""
    try:
        return parse_month(text)
    except ValidationFailed as exc:
        raise NotFound(f"No pack for {text}: give the month as YYYY-MM.") from exc


def _name(scope: PackScope) -> str:
    if scope.supplier:
        return scope.supplier.name
    return f"the {scope.tower.name} tower" if scope.tower else "the estate"
