"""A stored calendar as the pure business-time calendars the clock engine measures in, one per version."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from towers.contracts.businesstime import BusinessCalendar, Closure, WorkingHours, england_and_wales_holidays
from towers.contracts.models import Calendar

CalendarVersions = tuple[tuple[datetime, BusinessCalendar], ...]
# Bank holidays are looked up for this span of years: wide enough for any contract's history and term.
HOLIDAY_YEARS = range(2010, 2041)


@lru_cache(maxsize=1)
def _bank_holidays() -> dict[date, str]:
    return england_and_wales_holidays(HOLIDAY_YEARS)


def business_calendar_versions(calendar: Calendar) -> CalendarVersions:
    """Each version of the calendar's hours from its effective date, with its holidays and closures.

    A calendar with no hours yet is one closed version; a 24x7 calendar has one open version.
    """
    zone = ZoneInfo(calendar.timezone)
    holidays = _bank_holidays() if calendar.bank_holidays else {}
    closures = tuple(Closure(c.starts_at, c.ends_at, c.reason) for c in calendar.closures.all())
    windows: dict[date, list[WorkingHours]] = defaultdict(list)
    for row in calendar.hours.all():
        windows[row.effective_from].append(WorkingHours(row.weekday, row.start, row.end))

    def version(hours: tuple[WorkingHours, ...]) -> BusinessCalendar:
        return BusinessCalendar(
            name=calendar.code,
            hours=() if calendar.always_open else hours,
            always_open=calendar.always_open,
            holidays=holidays,
            closures=closures,
            timezone=calendar.timezone,
        )

    if calendar.always_open or not windows:
        return ((datetime(2000, 1, 1, tzinfo=zone), version(())),)
    return tuple(
        (datetime.combine(effective, time.min, tzinfo=zone), version(tuple(hours)))
        for effective, hours in sorted(windows.items())
    )
