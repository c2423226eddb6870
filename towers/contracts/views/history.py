"""The audit history of contracts, services, calendars and service levels, paged exactly as the organisations' is."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse

from towers.contracts import selectors
from towers.organisations.views.common import ui_view

# The organisations app's fragment is generic (any selector, any URL name); reused rather than copied so
# that paging and rendering of history stay one thing. Its underscore predates a second user.
from towers.organisations.views.history import _history as history_fragment


@ui_view
def contract_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return history_fragment(request, selectors.contract_get, pk, "contract_history")


@ui_view
def service_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return history_fragment(request, selectors.service_get, pk, "service_history")


@ui_view
def calendar_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return history_fragment(request, selectors.calendar_get, pk, "calendar_history")


@ui_view
def service_level_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return history_fragment(request, selectors.service_level_get, pk, "service_level_history")
