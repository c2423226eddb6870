"""The review dashboard page: month to date by default, another month with ?month=YYYY-MM (thin: parse, build)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from towers.core.errors import ValidationFailed
from towers.organisations.views.common import request_actor, ui_view
from towers.reporting.pack_common import add_months
from towers.reporting.selectors_dashboard import dashboard_build
from towers.reporting.selectors_pack import parse_month


@ui_view
def review_dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()  # London time (settings.TIME_ZONE), as the packs' months are cut
    this_month = date(today.year, today.month, 1)
    month, bad_month = this_month, ""
    if request.GET.get("month"):
        try:
            month = parse_month(request.GET["month"])
        except ValidationFailed:
            bad_month = request.GET["month"]
    dashboard = dashboard_build(actor=request_actor(request), month=month)
    context = {
        "dashboard": dashboard,
        "to_date": month == this_month,
        "bad_month": bad_month,
        "previous": f"{add_months(month, -1):%Y-%m}",
        "next": f"{add_months(month, 1):%Y-%m}" if month < this_month else "",
        "month_text": f"{month:%Y-%m}",
    }
    return render(request, "reporting/dashboard.html", context)
