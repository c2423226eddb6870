"""The pages of records behind a pack's figures: clocks, hand-offs, changes, cases (thin: check access, parse, list)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from towers.core.errors import NotFound, ValidationFailed
from towers.organisations.views.common import paginate, request_actor, ui_view
from towers.reporting.access import pack_subject
from towers.reporting.forms import CaseFilterForm, ChangeFilterForm, ClockFilterForm, HandOffFilterForm
from towers.reporting.pack_common import PackScope
from towers.reporting.selectors_pack import parse_month
from towers.reporting.selectors_records import (
    clock_counts,
    month_case_list,
    month_change_list,
    month_clock_list,
    month_handoff_list,
)


def _scope(request: HttpRequest, month: str) -> PackScope:
    """The pack the records belong to; access first, as the pack's own page, so a reader with no right to the pack
    learns nothing from the rest of the request."""
    actor = request_actor(request)
    supplier, tower = pack_subject(actor, request.GET.get("supplier", ""), request.GET.get("tower", ""))
    return PackScope(actor=actor, month=_month(month), supplier=supplier, tower=tower)


Lister = Callable[[PackScope, dict[str, Any]], QuerySet[Any]]


def _records_page(
    request: HttpRequest,
    month: str,
    form_class: type[forms.Form],
    template: str,
    list_of: Lister,
    counted: Callable[[QuerySet[Any]], object] | None = None,
) -> HttpResponse:
    """A page of a pack's records: `list_of(scope, cleaned_data)` gives them once the filters are valid, and
    `counted` (if any) sums them up for the page's head."""
    scope = _scope(request, month)
    form = form_class(request.GET)
    context: dict[str, object] = {"scope": scope, "form": form, "month": scope.month, "name": _name(scope)}
    if not form.is_valid():  # the form names each bad filter; nothing is listed rather than too much
        return render(request, template, context, status=400)
    records = list_of(scope, form.cleaned_data)
    context["page"] = paginate(request, records)
    if counted is not None:
        context["counts"] = counted(records)
    return render(request, template, context)


@ui_view
def review_clocks(request: HttpRequest, month: str) -> HttpResponse:
    def clocks(scope: PackScope, data: dict[str, Any]) -> QuerySet[Any]:
        return month_clock_list(scope, ClockFilterForm.clock_filters(data))

    return _records_page(request, month, ClockFilterForm, "reporting/review_clocks.html", clocks, clock_counts)


@ui_view
def review_handoffs(request: HttpRequest, month: str) -> HttpResponse:
    def handoffs(scope: PackScope, data: dict[str, Any]) -> QuerySet[Any]:
        return month_handoff_list(scope, status=data["status"], received=data["received"])

    return _records_page(request, month, HandOffFilterForm, "reporting/review_handoffs.html", handoffs)


@ui_view
def review_changes(request: HttpRequest, month: str) -> HttpResponse:
    def changes(scope: PackScope, data: dict[str, Any]) -> QuerySet[Any]:
        return month_change_list(scope, outcome=data["outcome"])

    return _records_page(request, month, ChangeFilterForm, "reporting/review_changes.html", changes)


@ui_view
def review_security(request: HttpRequest, month: str) -> HttpResponse:
    def cases(scope: PackScope, data: dict[str, Any]) -> QuerySet[Any]:
        return month_case_list(scope, resolved=data["resolved"])

    return _records_page(request, month, CaseFilterForm, "reporting/review_security.html", cases)


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
