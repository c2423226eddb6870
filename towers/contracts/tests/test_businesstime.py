"""The business-time calendar alone: opening spans, clock changes, holidays, closures and arithmetic."""

import math
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from towers.contracts import businesstime
from towers.contracts.businesstime import (
    BusinessCalendar,
    Closure,
    WorkingHours,
    england_and_wales_holidays,
    office_hours,
    twenty_four_seven,
)

LONDON = ZoneInfo("Europe/London")
HOUR = 3600.0
OFFICE = office_hours("Office hours", bank_holidays_years=[2026, 2027])
EVERY_DAY = office_hours("Every day", weekdays=range(7))
ALL_DAY_BY_HOURS = BusinessCalendar("All day", hours=tuple(WorkingHours(d, time(0), time.max) for d in range(7)))
ALWAYS = twenty_four_seven()


def at(month, day, hour=0, minute=0, *, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(month, day, hour=0, minute=0, *, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def whole_day(calendar, day):
    start = datetime.combine(day, time(), LONDON)
    return calendar.business_seconds(start, datetime.combine(day + timedelta(days=1), time(), LONDON)) / HOUR


def sunday_only(start, end):
    return BusinessCalendar("Sunday", hours=(WorkingHours(6, start, end),))


# -- opening spans ---------------------------------------------------------------------------


def test_office_week_is_five_ten_hour_spans_in_utc():
    """Mon 9 - Sun 15 Mar 2026 (GMT, so London = UTC): 08:00-18:00 on each weekday, nothing at the weekend."""
    spans = OFFICE.intervals(at(3, 9), at(3, 16))
    assert spans == [(utc(3, d, 8), utc(3, d, 18)) for d in range(9, 14)]
    assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in spans)


def test_intervals_are_clipped_to_the_range_and_merged_across_midnight():
    """00:00-24:00 every day is one span, however many midnights it crosses; the range clips it."""
    assert ALL_DAY_BY_HOURS.intervals(at(3, 9, 10), at(3, 12, 7)) == [(utc(3, 9, 10), utc(3, 12, 7))]
    assert OFFICE.intervals(at(3, 9, 12), at(3, 10, 9)) == [
        (utc(3, 9, 12), utc(3, 9, 18)),
        (utc(3, 10, 8), utc(3, 10, 9)),
    ]
    assert OFFICE.intervals(at(3, 9, 12), at(3, 9, 12)) == []
    assert OFFICE.intervals(at(3, 9, 12), at(3, 9, 11)) == []


def test_overlapping_windows_on_one_day_are_merged():
    calendar = BusinessCalendar(
        "Split", hours=(WorkingHours(0, time(8), time(12)), WorkingHours(0, time(11), time(14)))
    )
    assert calendar.intervals(at(3, 9), at(3, 10)) == [(utc(3, 9, 8), utc(3, 9, 14))]
    assert calendar.explain(at(3, 9, 13)) == "open: Mon 08:00–14:00"


# -- clock changes (BST starts 29 Mar 2026 and ends 25 Oct 2026, both Sundays, at 01:00 UTC) ----------------


def test_office_hours_are_ten_hours_on_both_clock_change_days():
    """08:00-18:00 BST on 29 Mar is 07:00-17:00 UTC; 08:00-18:00 GMT on 25 Oct is 08:00-18:00 UTC."""
    assert whole_day(EVERY_DAY, date(2026, 3, 29)) == whole_day(EVERY_DAY, date(2026, 10, 25)) == 10
    assert EVERY_DAY.intervals(at(3, 29), at(3, 30)) == [(utc(3, 29, 7), utc(3, 29, 17))]
    assert EVERY_DAY.intervals(at(10, 25), at(10, 26)) == [(utc(10, 25, 8), utc(10, 25, 18))]


@pytest.mark.parametrize("calendar", [ALWAYS, ALL_DAY_BY_HOURS], ids=["always_open", "hours"])
def test_whole_days_have_23_and_25_hours_when_the_clocks_change(calendar):
    assert whole_day(calendar, date(2026, 3, 28)) == 24
    assert whole_day(calendar, date(2026, 3, 29)) == 23
    assert whole_day(calendar, date(2026, 10, 25)) == 25


def test_window_through_the_skipped_hour_is_open_while_the_clock_shows_it():
    """00:30-02:30 on 29 Mar: 00:30-01:00 GMT, the clock jumps to 02:00 BST, 02:00-02:30 BST → one real
    hour, 00:30-01:30 UTC. A window wholly inside the gap is empty; one starting in it opens at the jump."""
    assert sunday_only(time(0, 30), time(2, 30)).intervals(at(3, 28), at(3, 30)) == [
        (utc(3, 29, 0, 30), utc(3, 29, 1, 30))
    ]
    assert sunday_only(time(1, 15), time(1, 45)).intervals(at(3, 28), at(3, 30)) == []
    assert sunday_only(time(1, 30), time(3)).intervals(at(3, 28), at(3, 30)) == [(utc(3, 29, 1), utc(3, 29, 2))]
    # The week before, the same windows are ordinary two-hour and half-hour spans.
    assert sunday_only(time(0, 30), time(2, 30)).business_seconds(at(3, 22), at(3, 23)) == 2 * HOUR
    assert sunday_only(time(1, 15), time(1, 45)).business_seconds(at(3, 22), at(3, 23)) == HOUR / 2


def test_window_through_the_repeated_hour_is_open_both_times_the_clock_shows_it():
    """00:30-01:30 on 25 Oct: 00:30-01:30 BST (23:30-00:30 UTC), then the clock shows 01:00-02:00 BST, then
    goes back to 01:00 GMT, so 01:00-01:30 GMT (01:00-01:30 UTC) is open again: 1.5 hours in two pieces."""
    calendar = sunday_only(time(0, 30), time(1, 30))
    assert calendar.intervals(at(10, 24), at(10, 26)) == [
        (utc(10, 24, 23, 30), utc(10, 25, 0, 30)),
        (utc(10, 25, 1), utc(10, 25, 1, 30)),
    ]
    assert calendar.explain(utc(10, 25, 0, 45)) == "closed: outside business hours"  # shows 01:45 BST
    assert calendar.explain(utc(10, 25, 1, 15)) == "open: Sun 00:30–01:30"  # shows 01:15 GMT


def test_a_day_whose_midnight_is_skipped_begins_when_the_clocks_jump():
    """Santiago goes from 23:59:59 -04 on Sat 5 Sep 2026 straight to 01:00 -03: Sunday starts at 04:00 UTC
    and, ending at Monday's 00:00 -03 (03:00 UTC), lasts 23 hours."""
    sunday = BusinessCalendar("Sunday", hours=(WorkingHours(6, time(0), time.max),), timezone="America/Santiago")
    week = sunday.intervals(datetime(2026, 9, 4, tzinfo=UTC), datetime(2026, 9, 9, tzinfo=UTC))
    assert week == [(utc(9, 6, 4), utc(9, 7, 3))]
    holiday = BusinessCalendar(
        "24x7", always_open=True, holidays={date(2026, 9, 6): "Sunday"}, timezone="America/Santiago"
    )
    assert holiday.intervals(utc(9, 5, 12), utc(9, 7, 12)) == [
        (utc(9, 5, 12), utc(9, 6, 4)),
        (utc(9, 7, 3), utc(9, 7, 12)),
    ]


def test_a_day_whose_midnight_is_repeated_begins_at_its_first_showing():
    """Havana shows 00:00-00:59 twice on Sun 1 Nov 2026 (-04, then -05): Sunday runs from the first 00:00
    (04:00 UTC) to Monday's 00:00 -05 (05:00 UTC), 25 hours."""
    sunday = BusinessCalendar("Sunday", hours=(WorkingHours(6, time(0), time.max),), timezone="America/Havana")
    week = sunday.intervals(datetime(2026, 10, 30, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC))
    assert week == [(utc(11, 1, 4), utc(11, 2, 5))]


def test_other_time_zones_follow_their_own_clock_changes():
    """New York springs forward on 8 Mar 2026: that day has 23 hours there, and 29 Mar is an ordinary day."""
    new_york = BusinessCalendar("NY", hours=ALL_DAY_BY_HOURS.hours, timezone="America/New_York")
    ny = ZoneInfo("America/New_York")
    day = datetime(2026, 3, 8, tzinfo=ny)
    assert new_york.business_seconds(day, datetime(2026, 3, 9, tzinfo=ny)) == 23 * HOUR
    assert new_york.business_seconds(datetime(2026, 3, 29, tzinfo=ny), datetime(2026, 3, 30, tzinfo=ny)) == 24 * HOUR


# -- holidays and closures ---------------------------------------------------------------------


def test_england_and_wales_holidays_2026_are_named_with_the_observed_boxing_day():
    found = england_and_wales_holidays([2026])
    assert found[date(2026, 4, 3)] == "Good Friday"
    assert found[date(2026, 4, 6)] == "Easter Monday"
    assert found[date(2026, 12, 25)] == "Christmas Day"
    assert found[date(2026, 12, 26)] == "Boxing Day"
    assert found[date(2026, 12, 28)] == "Boxing Day (observed)"
    assert len(found) == 9 and all(d.year == 2026 for d in found)


def test_bank_holidays_close_office_hours_and_say_so():
    """Easter week 2026: Mon 30 Mar - Fri 3 Apr has 4 open days (Good Friday shut); Easter Monday is shut too."""
    assert OFFICE.business_seconds(at(3, 30), at(4, 4)) == 40 * HOUR
    assert OFFICE.business_seconds(at(4, 6), at(4, 7)) == 0
    assert OFFICE.explain(at(4, 3, 10)) == "closed: bank holiday (Good Friday)"
    assert OFFICE.explain(at(12, 28, 10)) == "closed: bank holiday (Boxing Day (observed))"


def test_holidays_close_the_whole_local_day_even_on_an_always_open_calendar():
    """24x7 bar Christmas: 24-27 Dec is 96h less 24h; a holiday on the spring-forward Sunday takes its 23h."""
    christmas = BusinessCalendar("24x7 bar Christmas", always_open=True, holidays={date(2026, 12, 25): "Christmas Day"})
    assert christmas.business_seconds(at(12, 24), at(12, 28)) == 72 * HOUR
    assert christmas.intervals(at(12, 25, 12), at(12, 26, 1)) == [(utc(12, 26), utc(12, 26, 1))]
    assert christmas.explain(at(12, 25, 23, 59)) == "closed: bank holiday (Christmas Day)"
    assert christmas.explain(at(12, 26)) == "open: 24x7"
    odd = BusinessCalendar("Odd", always_open=True, holidays={date(2026, 3, 29): "Clocks"})
    assert odd.business_seconds(at(3, 28), at(3, 31)) == 48 * HOUR


def test_closures_subtract_from_open_time_and_explain_their_reason():
    """Data-centre move Wed 11 Mar 13:00 to Thu 12 Mar 10:00: Wed 08-13 = 5h open, Thu 10-18 = 8h open."""
    move = Closure(at(3, 11, 13), at(3, 12, 10), "Data-centre move")
    calendar = office_hours("Office", closures=[move], bank_holidays_years=[2026])
    assert calendar.intervals(at(3, 11), at(3, 13)) == [
        (utc(3, 11, 8), utc(3, 11, 13)),
        (utc(3, 12, 10), utc(3, 12, 18)),
    ]
    assert calendar.explain(at(3, 11, 15)) == "closed: closure (Data-centre move)"
    assert calendar.explain(at(3, 12, 10)) == "open: Thu 08:00–18:00"  # a closure's end is open again
    shut_down = BusinessCalendar("24x7", always_open=True, closures=(move,))
    assert shut_down.business_seconds(at(3, 11), at(3, 13)) == (48 - 21) * HOUR


def test_a_closure_is_named_before_a_holiday_it_overlaps():
    move = Closure(at(12, 24, 12), at(12, 29, 12), "Data-centre move")
    calendar = office_hours("Office", closures=[move], bank_holidays_years=[2026])
    assert calendar.explain(at(12, 25, 10)) == "closed: closure (Data-centre move)"
    assert calendar.business_seconds(at(12, 24), at(12, 31)) == (4 + 6 + 10) * HOUR  # 24th, 29th, 30th


# -- arithmetic ------------------------------------------------------------------------------


def test_adding_zero_returns_start_even_when_closed():
    assert OFFICE.add_business_seconds(at(3, 7, 3), 0) == at(3, 7, 3)


def test_adding_time_that_fills_the_day_ends_at_closing_time_not_next_opening():
    assert OFFICE.add_business_seconds(at(3, 9, 8), 10 * HOUR) == at(3, 9, 18)
    assert OFFICE.add_business_seconds(at(3, 9, 8), 10 * HOUR + 1) == at(3, 10, 8) + timedelta(seconds=1)


def test_adding_from_closed_time_starts_at_the_next_opening():
    """Fri 6 Mar 19:00 + 1h: closed until Mon 9 Mar 08:00 → 09:00."""
    assert OFFICE.add_business_seconds(at(3, 6, 19), HOUR) == at(3, 9, 9)


def test_adding_weeks_of_business_time_skips_closed_days_quickly():
    """300h = 30 office days from Mon 2 Mar 08:00: 20 days to Fri 27 Mar, Mon 30 Mar - Thu 2 Apr (4),
    Good Friday and Easter Monday shut, Tue 7 - Fri 10 Apr (4), Mon 13 and Tue 14 Apr (2) → Tue 14 Apr 18:00 BST."""
    began = clock.perf_counter()
    assert OFFICE.add_business_seconds(at(3, 2, 8), 300 * HOUR) == at(4, 14, 18)
    assert clock.perf_counter() - began < 0.2


def test_business_seconds_is_exact_to_the_microsecond_and_zero_for_empty_ranges():
    start = at(3, 9, 8) + timedelta(microseconds=1)
    assert OFFICE.business_seconds(start, at(3, 9, 9)) == 3599.999999
    assert OFFICE.business_time(start, at(3, 9, 9)) == timedelta(seconds=3599, microseconds=999999)
    assert OFFICE.business_seconds(at(3, 9, 9), at(3, 9, 8)) == 0


def test_a_calendar_that_never_opens_cannot_have_time_added():
    with pytest.raises(ValueError, match="has no working hours"):
        BusinessCalendar("Never").add_business_seconds(at(3, 9), 1)
    with pytest.raises(ValueError, match="runs past the year 9999"):
        ALWAYS.add_business_seconds(datetime(9999, 12, 1, tzinfo=UTC), 365 * 24 * HOUR)
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError, match="finite and >= 0"):
            OFFICE.add_business_seconds(at(3, 9), bad)


# -- validation ------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected_with_a_clear_message():
    naive = datetime(2026, 3, 9, 9)
    for call in (
        lambda: OFFICE.intervals(naive, at(3, 10)),
        lambda: OFFICE.business_seconds(at(3, 9), naive),
        lambda: OFFICE.add_business_seconds(naive, 60),
        lambda: OFFICE.explain(naive),
        lambda: Closure(naive, at(3, 10), "move"),
    ):
        with pytest.raises(ValueError, match=r"must be an aware datetime, got naive 2026-03-09T09:00:00"):
            call()


def test_bad_working_hours_and_calendars_are_rejected():
    with pytest.raises(ValueError, match="must be after start"):
        WorkingHours(0, time(18), time(8))
    with pytest.raises(ValueError, match=r"use time\.max"):
        WorkingHours(0, time(22), time(0))
    with pytest.raises(ValueError, match="weekday must be 0"):
        WorkingHours(7, time(8), time(18))
    with pytest.raises(ValueError, match="without tzinfo"):
        WorkingHours(0, time(8, tzinfo=UTC), time(18, tzinfo=UTC))
    with pytest.raises(ValueError, match="takes no working hours"):
        BusinessCalendar("Both", always_open=True, hours=OFFICE.hours)
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Londres'"):
        BusinessCalendar("Typo", timezone="Europe/Londres")
    with pytest.raises(ValueError, match="must end after it starts"):
        Closure(at(3, 9, 12), at(3, 9, 12), "nothing")
    with pytest.raises(ValueError, match="holiday keys must be dates"):
        BusinessCalendar("Bad", holidays={at(3, 9): "a datetime"})


def test_calendars_are_hashable_and_their_holidays_cannot_change_behind_them():
    names = {date(2026, 3, 10): "Force day"}
    calendar = BusinessCalendar("Office", hours=OFFICE.hours, holidays=names)
    names[date(2026, 3, 11)] = "Added later"
    assert calendar.business_seconds(at(3, 9), at(3, 12)) == 20 * HOUR  # only the 10th is shut
    assert calendar == BusinessCalendar("Office", hours=OFFICE.hours, holidays={date(2026, 3, 10): "Force day"})
    assert len({calendar, OFFICE, calendar}) == 2
    with pytest.raises(TypeError):
        calendar.holidays[date(2026, 3, 12)] = "nope"  # type: ignore[index]


def test_explain_names_the_rule_that_applies():
    late = BusinessCalendar("Late", hours=(WorkingHours(6, time(22), time.max),))
    assert OFFICE.explain(at(3, 9, 8)) == "open: Mon 08:00–18:00"
    assert OFFICE.explain(at(3, 9, 18)) == "closed: outside business hours"  # windows are half-open
    assert OFFICE.explain(at(3, 7, 12)) == "closed: outside business hours"
    assert ALWAYS.explain(at(3, 7, 12)) == "open: 24x7"
    assert late.explain(at(3, 8, 23, 59)) == "open: Sun 22:00–24:00"
    assert late.explain(datetime.combine(date(2026, 3, 8), time.max, LONDON)) == "open: Sun 22:00–24:00"


# -- speed -----------------------------------------------------------------------------------


def test_a_year_of_intervals_takes_milliseconds_even_from_a_cold_cache():
    businesstime._open_on_day.cache_clear()
    businesstime._day_pieces.cache_clear()
    began = clock.perf_counter()
    spans = OFFICE.intervals(at(1, 1), at(1, 1, year=2027))
    assert clock.perf_counter() - began < 0.25
    assert len(spans) == 253  # 261 weekdays less 8 weekday bank holidays (Boxing Day 2026 is a Saturday)
    began = clock.perf_counter()
    assert OFFICE.business_seconds(at(1, 1), at(1, 1, year=2036)) > 0
    assert clock.perf_counter() - began < 0.5


# -- properties ------------------------------------------------------------------------------

CALENDARS = [
    OFFICE,
    ALWAYS,
    ALL_DAY_BY_HOURS,
    sunday_only(time(0, 30), time(2, 30)),
    BusinessCalendar(
        "Mixed",
        hours=(WorkingHours(6, time(1, 15), time(1, 45)), *(WorkingHours(d, time(7), time(19)) for d in range(6))),
        holidays=OFFICE.holidays,
        closures=(Closure(at(3, 27, 12), at(3, 30, 9), "Move"), Closure(at(10, 24, 23), at(10, 25, 1, 30), "Patch")),
    ),
]
# In UTC, so timedelta arithmetic is real elapsed time rather than London wall-clock time.
INSTANTS = st.sampled_from([at(3, 20), at(10, 18), at(12, 20)]).flatmap(
    lambda base: st.integers(0, 20 * 24 * 3600).map(lambda s: base.astimezone(UTC) + timedelta(seconds=s))
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CALENDARS), INSTANTS, st.integers(0, 12 * 24 * 3600))
def test_intervals_are_sorted_disjoint_and_agree_with_explain(calendar, start, length):
    end = start + timedelta(seconds=length)
    spans = calendar.intervals(start, end)
    assert all(start <= s < e <= end for s, e in spans)
    assert all(a[1] < b[0] for a, b in pairwise(spans))  # merged: never even touching
    for s, e in spans:  # open inside each span, closed just outside it
        assert calendar.explain(s).startswith("open") and calendar.explain(e - timedelta(microseconds=1)).startswith(
            "open"
        )
        if s > start:
            assert calendar.explain(s - timedelta(microseconds=1)).startswith("closed")
        if e < end:
            assert calendar.explain(e).startswith("closed")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CALENDARS), INSTANTS, st.integers(0, 12 * 24 * 3600), st.integers(0, 12 * 24 * 3600))
def test_business_time_adds_up_and_add_business_seconds_inverts_it(calendar, start, first, second):
    middle, end = start + timedelta(seconds=first), start + timedelta(seconds=first + second)
    assert calendar.business_time(start, end) == calendar.business_time(start, middle) + calendar.business_time(
        middle, end
    )
    amount = calendar.business_seconds(start, end)
    reached = calendar.add_business_seconds(start, amount)
    assert reached <= end and calendar.business_seconds(start, reached) == amount
    assert calendar.business_seconds(reached, end) == 0
    assert calendar.add_business_seconds(start, second) > start or second == 0
    assert calendar.business_seconds(start, calendar.add_business_seconds(start, second)) == second
