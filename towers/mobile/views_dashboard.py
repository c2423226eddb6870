"""The fleet dashboard page and its exports: parse the filters, call the selector, render or write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from towers.core.actor import Actor
from towers.mobile import exports
from towers.mobile.models import DeviceStatus, Platform
from towers.mobile.selectors_dashboard import (
    FleetFigures,
    FleetFilters,
    fleet_device_rows,
    fleet_devices,
    fleet_figures,
    fleet_filter_options,
)
from towers.mobile.selectors_dashboard_trend import TrendPoint
from towers.mobile.services.fleet_export import fleet_export_record
from towers.organisations.views.common import request_actor, ui_view

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FleetFilterForm(forms.Form):
    organisation = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False)
    platform = forms.ChoiceField(required=False, choices=[("", "Any platform"), *Platform.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *DeviceStatus.choices])

    def __init__(self, data: Any, *, actor: Actor) -> None:
        super().__init__(data)
        organisations, teams = fleet_filter_options(actor)
        cast(forms.ChoiceField, self.fields["organisation"]).choices = [("", "Any organisation"), *organisations]
        cast(forms.ChoiceField, self.fields["team"]).choices = [("", "Any team"), *teams]

    def filters(self) -> FleetFilters:
        """What was chosen; a value the actor may not choose (or garbled) is dropped, not an error."""
        self.is_valid()
        data = self.cleaned_data
        organisation, team = data.get("organisation"), data.get("team")
        return FleetFilters(
            organisation=UUID(organisation) if organisation else None,
            team=UUID(team) if team else None,
            platform=data.get("platform") or "",
            status=data.get("status") or "",
        )


@dataclass(frozen=True)
class LineChart:
    """A server-drawn line: SVG coordinates of the points of a monthly series (None: no figure that month)."""

    width: int
    height: int
    points: str
    dots: list[tuple[float, float, str]]
    top_label: str


def line_chart(trend: tuple[TrendPoint, ...], values: list[float | None], *, unit: str = "") -> LineChart:
    width, height, pad = 600, 160, 24
    top = max((v for v in values if v is not None), default=0) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    dots = [
        (
            round(pad + i * step, 1),
            round(height - pad - (v / top) * (height - 2 * pad), 1),
            f"{p.month:%b %Y}: {v:g}{unit}",
        )
        for i, (p, v) in enumerate(zip(trend, values, strict=True))
        if v is not None
    ]
    return LineChart(width, height, " ".join(f"{x},{y}" for x, y, _ in dots), dots, f"{top:g}{unit}")


def _chart_rows(figures: FleetFigures) -> list[dict[str, Any]]:
    base, device_list = figures.filters.as_query(), reverse("mobile_device_list")
    return [
        {
            "name": breakdown.name,
            "title": breakdown.title,
            "rows": [
                {
                    "label": bucket.label,
                    "count": bucket.count,
                    "percent": round(100 * bucket.count / breakdown.largest) if breakdown.largest else 0,
                    "href": f"{device_list}?{urlencode({**base, **bucket.query})}" if bucket.query else "",
                }
                for bucket in breakdown.buckets
            ],
        }
        for breakdown in figures.breakdowns
    ]


@ui_view
def fleet_dashboard(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = FleetFilterForm(request.GET, actor=actor)
    figures = fleet_figures(actor, form.filters())
    shares = [None if p.non_compliant_share is None else round(100 * p.non_compliant_share, 1) for p in figures.trend]
    context = {
        "form": form,
        "figures": figures,
        "breakdowns": _chart_rows(figures),
        "in_service_chart": line_chart(figures.trend, [p.in_service for p in figures.trend]),
        "share_chart": line_chart(figures.trend, shares, unit="%"),
        "query": urlencode(figures.filters.as_query()),
        "device_list": reverse("mobile_device_list"),
    }
    return render(request, "mobile/dashboard.html", context)


def _export(request: HttpRequest, file_format: str) -> HttpResponse:
    actor = request_actor(request)
    filters = FleetFilterForm(request.GET, actor=actor).filters()
    with_devices = request.GET.get("devices") == "1"
    name = f"fleet-{'devices' if with_devices else 'figures'}-{date.today():%Y-%m-%d}.{file_format}"
    if with_devices:
        rows = fleet_devices(actor, filters).count()
        fleet_export_record(
            actor=actor, export="devices", file_format=file_format, filters=filters.as_query(), rows=rows
        )
        if file_format == "csv":
            response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
                exports.devices_csv(fleet_device_rows(actor, filters)), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(exports.devices_xlsx(fleet_device_rows(actor, filters)), content_type=XLSX)
    else:
        figures = fleet_figures(actor, filters)
        fleet_export_record(
            actor=actor, export="figures", file_format=file_format, filters=filters.as_query(), rows=figures.total
        )
        if file_format == "csv":
            response = HttpResponse(exports.figures_csv(figures), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(exports.figures_xlsx(figures), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response  # type: ignore[return-value]


@ui_view
def fleet_export_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, "csv")


@ui_view
def fleet_export_xlsx(request: HttpRequest) -> HttpResponse:
    return _export(request, "xlsx")
