"""An object's audit history as an HTMX fragment that pages with "load more", and how entries read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from towers.core.models import AuditEntry
from towers.organisations import selectors
from towers.organisations.views.common import request_actor, ui_view

HISTORY_PAGE = 20
# Audit object types that have a page of their own, so an entry can link to its object.
OBJECT_PAGES = {
    "organisations.organisation": "organisation_detail",
    "organisations.team": "team_detail",
    "organisations.person": "person_detail",
}


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def change_rows(entry: AuditEntry) -> list[ChangeRow]:
    """Each field the entry touched, with its value before and after (a creation has no before)."""
    before, after = entry.before or {}, entry.after or {}
    names = list(dict.fromkeys([*before, *after]))
    return [ChangeRow(name, _shown(before.get(name)), _shown(after.get(name))) for name in names]


def object_url(entry: AuditEntry) -> str:
    try:
        return reverse(OBJECT_PAGES[entry.object_type], args=[entry.object_id])
    except (KeyError, NoReverseMatch):
        return ""


def decorate(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Attach what the templates show: the change table and a link to the object's page."""
    decorated = list(entries)
    for entry in decorated:
        entry.changes = change_rows(entry)  # type: ignore[attr-defined]
        entry.object_url = object_url(entry)  # type: ignore[attr-defined]
    return decorated


def _history(request: HttpRequest, get: Callable[..., Model], pk: UUID, url_name: str) -> HttpResponse:
    # Fetched through its selector first: an object the actor may not see has no visible history (404).
    obj = get(actor=request_actor(request), id=pk)
    entries = selectors.audit_history(obj=obj)
    before = request.GET.get("before", "")
    if before.isdigit():
        # Keyset paging on seq: stable while new entries arrive, and cheap however long the history is.
        entries = entries.filter(seq__lt=int(before))
    chunk = list(entries[: HISTORY_PAGE + 1])
    shown = decorate(chunk[:HISTORY_PAGE])
    more_url = f"{reverse(url_name, args=[pk])}?before={shown[-1].seq}" if len(chunk) > HISTORY_PAGE else ""
    return render(
        request,
        "organisations/_history.html",
        {"entries": shown, "more_url": more_url, "first_page": not before},
    )


@ui_view
def organisation_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _history(request, selectors.organisation_get, pk, "organisation_history")


@ui_view
def team_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _history(request, selectors.team_get, pk, "team_history")


@ui_view
def person_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _history(request, selectors.person_get, pk, "person_history")
