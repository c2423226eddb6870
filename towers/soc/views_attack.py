"""The ATT&CK heat map page: which tactics and techniques the visible detections cover, and how often."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from towers.organisations.views.common import request_actor, ui_view
from towers.soc.selectors_attack import UNMAPPED, attack_heatmap

PERIODS = (
    ("", "All time"),
    ("1", "Last 24 hours"),
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
)


@ui_view
def attack_matrix(request: HttpRequest) -> HttpResponse:
    days = request.GET.get("days", "")
    if days not in dict(PERIODS):
        days = ""
    since = timezone.now() - timedelta(days=int(days)) if days else None
    matrix = attack_heatmap(actor=request_actor(request), since=since)
    context = {"matrix": matrix, "periods": PERIODS, "days": days, "unmapped": UNMAPPED}
    return render(request, "soc/attack.html", context)
