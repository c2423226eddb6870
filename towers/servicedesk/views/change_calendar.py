"""The change calendar page: a month or week grid of change windows and freezes, conflicts highlighted.

Days are the desk's days (Europe/London): a change from 23:00 to 01:00 shows on both. The grid and its
navigation refresh in place with HTMX and remain plain links without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from towers.organisations.views.common import request_actor, ui_view
from towers.servicedesk import selectors_changes as selectors
from towers.servicedesk.models import FreezeWindow
from towers.servicedesk.selectors_changes import CalendarEntry
from towers.servicedesk.views.changes import ensure_desk_page


@dataclass(frozen=True)
class Day:
    day: date
    in_period: bool
    today: bool
    entries: list[CalendarEntry]
    freezes: list[FreezeWindow]

    @property
    def has_conflict(self) -> bool:
        return any(e.blocking for e in self.entries) or (bool(self.freezes) and bool(self.entries))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def grid_bounds(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day shown, day after the last, previous anchor, next anchor) for a month or week around `anchor`."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=7), first - timedelta(days=7), first + timedelta(days=7)
    month = anchor.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    first = month - timedelta(days=month.weekday())
    last = following + timedelta(days=(7 - following.weekday()) % 7)
    previous = (month - timedelta(days=1)).replace(day=1)
    return first, last, previous, following


def _falls_in(entry: CalendarEntry, start: datetime, end: datetime) -> bool:
    detail = entry.change.change_detail  # the calendar holds only changes with a window
    return (
        detail.planned_start is not None
        and detail.planned_end is not None
        and (detail.planned_start < end and detail.planned_end > start)
    )


def _parse_anchor(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return timezone.localdate()


@ui_view
def change_calendar(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_desk_page(actor)
    view = "week" if request.GET.get("view") == "week" else "month"
    anchor = _parse_anchor(request.GET.get("date", ""))
    first, last, previous, following = grid_bounds(view, anchor)
    calendar = selectors.change_calendar(actor=actor, start=_local_midnight(first), end=_local_midnight(last))
    today = timezone.localdate()
    days = []
    day = first
    while day < last:
        start, end = _local_midnight(day), _local_midnight(day + timedelta(days=1))
        days.append(
            Day(
                day=day,
                in_period=view == "week" or day.month == anchor.month,
                today=day == today,
                entries=[e for e in calendar.entries if _falls_in(e, start, end)],
                freezes=[f for f in calendar.freezes if f.starts_at < end and f.ends_at > start],
            )
        )
        day += timedelta(days=1)
    return render(
        request,
        "servicedesk/changes/calendar.html",
        {
            "view": view,
            "anchor": anchor,
            "title": anchor.strftime("%B %Y") if view == "month" else f"Week of {first:%d %B %Y}",
            "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
            "previous": previous,
            "following": following,
            "calendar": calendar,
            "in_conflict": [e for e in calendar.entries if e.conflicts],
        },
    )
