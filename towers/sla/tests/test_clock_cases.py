"""Hand-worked SLA clock cases: each docstring writes out the arithmetic the assertions check.

Office hours are Mon-Fri 08:00-18:00 Europe/London with England & Wales bank holidays; all times
are London wall-clock unless marked UTC. March 2026: Fri 6, Mon 9, Tue 10, Wed 11, Thu 12.
"""

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from towers.contracts.businesstime import BusinessCalendar, Closure, WorkingHours, office_hours, twenty_four_seven
from towers.sla.clock import EventKind, ServiceLevelSpec, Target, TimelineEvent, compute

LONDON = ZoneInfo("Europe/London")
HOUR = 3600.0
OFFICE = office_hours("Office hours", bank_holidays_years=[2025, 2026, 2027])
ALWAYS = twenty_four_seven("24x7")
SINCE = datetime(2025, 1, 1, tzinfo=UTC)
CALENDARS = {"Office hours": ((SINCE, OFFICE),), "24x7": ((SINCE, ALWAYS),)}


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def sla(targets: dict[str, tuple[float, str]], **options) -> ServiceLevelSpec:
    """A resolution SLA with targets given in hours, by priority: {"P3": (8, "Office hours")}."""
    return ServiceLevelSpec(
        name=options.pop("name", "Incident resolution"),
        metric=options.pop("metric", "resolution"),
        targets={p: Target(hours * HOUR, cal) for p, (hours, cal) in targets.items()},
        calendars=options.pop("calendars", CALENDARS),
        **options,
    )


def created(when, priority="P3", team="Service Desk", organisation="Integrator", state=None):
    return TimelineEvent(when, EventKind.CREATED, state=state, priority=priority, team=team, organisation=organisation)


def state(when, name):
    return TimelineEvent(when, EventKind.STATE, state=name)


def event(when, kind, **fields):
    return TimelineEvent(when, kind, **fields)


def hours(seconds: float) -> float:
    return seconds / HOUR


P3_OFFICE = sla({"P3": (4, "Office hours")})
PAUSING = sla({"P3": (8, "Office hours"), "P2": (24, "24x7")}, pause_states=frozenset({"pending_requester"}))


# -- weekends, nights and pauses ----------------------------------------------------------------


def test_friday_afternoon_ticket_is_due_monday_morning():
    """Created Fri 16:00, 4h: Fri 16-18 = 2h, weekend closed, Mon 08-10 = 2h → due Mon 10:00."""
    result = compute(P3_OFFICE, [created(at(3, 6, 16))], now=at(3, 6, 17))
    assert hours(result.elapsed_seconds) == 1
    assert result.due_at == at(3, 9, 10)
    assert result.state == "running" and not result.breached


def test_weekend_adds_no_business_time():
    """Created Fri 17:00, now Mon 09:00: Fri 17-18 = 1h + Mon 08-09 = 1h = 2h, though 64h passed."""
    result = compute(P3_OFFICE, [created(at(3, 6, 17))], now=at(3, 9, 9))
    assert hours(result.elapsed_seconds) == 2
    assert [hours(s.business_seconds) for s in result.segments] == [2]


def test_pending_requester_over_a_weekend_does_not_count_even_on_24x7():
    """24x7 P2: Fri 12:00 → pending Fri 18:00 = 6h; paused Fri 18:00 → Mon 09:00 = 63h; Mon 09-12 = 3h → 9h."""
    timeline = [
        created(at(3, 6, 12), priority="P2"),
        state(at(3, 6, 18), "pending_requester"),
        state(at(3, 9, 9), "in_progress"),
    ]
    result = compute(PAUSING, timeline, now=at(3, 9, 12))
    assert hours(result.elapsed_seconds) == 9
    assert hours(result.paused_seconds) == 63
    assert [s.reason for s in result.segments] == ["running", "paused: pending_requester", "running"]
    assert result.due_at == at(3, 9, 12) + timedelta(hours=15)  # 24h - 9h, all 24x7


def test_pause_across_a_night_counts_neither_the_night_nor_paused_office_hours():
    """Office 8h: Tue 09-16 = 7h running; paused Tue 16:00 → Wed 10:00 (business inside: Tue 16-18 2h +
    Wed 08-10 2h = 4h paused); Wed 10-12 = 2h running → 9h elapsed, 4h paused, breached at Wed 11:00."""
    timeline = [
        created(at(3, 10, 9)),
        state(at(3, 10, 16), "pending_requester"),
        state(at(3, 11, 10), "in_progress"),
    ]
    result = compute(PAUSING, timeline, now=at(3, 11, 12))
    assert hours(result.elapsed_seconds) == 9
    assert hours(result.paused_seconds) == 4
    assert result.breach_at == at(3, 11, 11)  # 7h by Tue 16:00, the 8th hour ends Wed 11:00


def test_paused_clock_has_no_due_time():
    """While paused the due time is unknown: it depends on when the requester answers."""
    timeline = [created(at(3, 10, 9)), state(at(3, 10, 10), "pending_requester")]
    result = compute(PAUSING, timeline, now=at(3, 10, 12))
    assert result.state == "paused" and result.due_at is None
    assert hours(result.elapsed_seconds) == 1 and hours(result.remaining_seconds) == 7


def test_ticket_created_out_of_hours_starts_counting_at_next_opening():
    """Created Tue 20:00, 4h: nothing until Wed 08:00, then Wed 08-12 = 4h → due Wed 12:00."""
    result = compute(P3_OFFICE, [created(at(3, 10, 20))], now=at(3, 11, 7, 59))
    assert result.elapsed_seconds == 0
    assert result.due_at == at(3, 11, 12)
    assert result.segments[0].rule == "closed: outside business hours"


# -- bank holidays ----------------------------------------------------------------------------


def test_good_friday_and_easter_monday_do_not_count():
    """Created Thu 2 Apr 16:00, 8h: Thu 16-18 = 2h; Good Friday 3 Apr, Sat, Sun, Easter Monday 6 Apr
    closed; Tue 7 Apr 08-14 = 6h → due Tue 7 Apr 14:00 BST."""
    spec = sla({"P3": (8, "Office hours")})
    result = compute(spec, [created(at(4, 2, 16))], now=at(4, 2, 17))
    assert result.due_at == at(4, 7, 14)
    assert OFFICE.explain(at(4, 3, 12)) == "closed: bank holiday (Good Friday)"
    assert OFFICE.explain(at(4, 6, 12)) == "closed: bank holiday (Easter Monday)"


def test_ticket_logged_on_good_friday_starts_on_tuesday_and_says_why():
    """Created Good Friday 10:00; now Tue 7 Apr 09:00: only Tue 08-09 = 1h counts."""
    result = compute(P3_OFFICE, [created(at(4, 3, 10))], now=at(4, 7, 9))
    assert hours(result.elapsed_seconds) == 1
    assert result.segments[0].rule == "closed: bank holiday (Good Friday)"


def test_christmas_2026_with_boxing_day_observed_on_monday_28th():
    """Created Thu 24 Dec 15:00, 10h: Thu 15-18 = 3h; Fri 25 Christmas Day, Sat 26 Boxing Day, Sun 27,
    Mon 28 Boxing Day (observed) closed; Tue 29 08-15 = 7h → due Tue 29 Dec 15:00."""
    spec = sla({"P3": (10, "Office hours")})
    result = compute(spec, [created(at(12, 24, 15))], now=at(12, 28, 12))
    assert hours(result.elapsed_seconds) == 3
    assert result.due_at == at(12, 29, 15)
    assert OFFICE.explain(at(12, 28, 12)) == "closed: bank holiday (Boxing Day (observed))"


# -- British Summer Time ------------------------------------------------------------------------


def test_24x7_day_when_bst_starts_has_23_hours():
    """Sat 28 Mar 12:00 GMT to Sun 29 Mar 12:00 BST: the clocks go forward at 01:00, so 23 real hours."""
    spec = sla({"P1": (48, "24x7")})
    result = compute(spec, [created(at(3, 28, 12), priority="P1")], now=at(3, 29, 12))
    assert hours(result.elapsed_seconds) == 23


def test_24x7_day_when_bst_ends_has_25_hours():
    """Sat 24 Oct 12:00 BST to Sun 25 Oct 12:00 GMT: the clocks go back at 02:00, so 25 real hours."""
    spec = sla({"P1": (48, "24x7")})
    result = compute(spec, [created(at(10, 24, 12), priority="P1")], now=at(10, 25, 12))
    assert hours(result.elapsed_seconds) == 25


def test_24x7_p1_over_the_spring_forward_night_is_due_after_four_real_hours():
    """P1 4h 24x7, created Sun 29 Mar 00:30 GMT (00:30 UTC): due 04:30 UTC, which London shows as 05:30 BST."""
    spec = sla({"P1": (4, "24x7")})
    result = compute(spec, [created(at(3, 29, 0, 30), priority="P1")], now=at(3, 29, 0, 45))
    assert result.due_at == datetime(2026, 3, 29, 4, 30, tzinfo=UTC) == at(3, 29, 5, 30)


def test_office_hours_keep_ten_hour_days_when_bst_starts():
    """Created Fri 27 Mar 08:00 GMT, 20h: Fri 08-18 GMT = 10h, Mon 30 Mar 08-18 BST = 10h → due Mon 18:00 BST
    (17:00 UTC); the lost hour falls on Sunday, when the office is shut anyway."""
    spec = sla({"P3": (20, "Office hours")})
    result = compute(spec, [created(at(3, 27, 8))], now=at(3, 27, 9))
    assert result.due_at == at(3, 30, 18) == datetime(2026, 3, 30, 17, tzinfo=UTC)


def test_office_hours_across_bst_end():
    """Created Fri 23 Oct 13:00 BST, 8h: Fri 13-18 = 5h; Mon 26 Oct 08-11 GMT = 3h → due Mon 11:00 GMT."""
    spec = sla({"P3": (8, "Office hours")})
    result = compute(spec, [created(at(10, 23, 13))], now=at(10, 26, 9))
    assert hours(result.elapsed_seconds) == 6
    assert result.due_at == at(10, 26, 11) == datetime(2026, 10, 26, 11, tzinfo=UTC)


# -- warnings, breaches, targets -------------------------------------------------------------------


def test_escalation_warnings_fall_in_business_hours_not_at_midnight():
    """10h from Mon 9 Mar 14:00: Mon 14-18 = 4h. 50% = 5h → Tue 09:00; 75% = 7.5h → Tue 11:30;
    90% = 9h → Tue 13:00; 100% → Tue 14:00. (Counted 24x7 they would be Mon 19:00, 21:30, 23:00.)"""
    spec = sla({"P3": (10, "Office hours")})
    result = compute(spec, [created(at(3, 9, 14))], now=at(3, 11, 12))
    assert result.warnings == ((0.5, at(3, 10, 9)), (0.75, at(3, 10, 11, 30)), (0.9, at(3, 10, 13)))
    assert result.breach_at == at(3, 10, 14) and result.breached
    assert hours(result.elapsed_seconds) == 4 + 10 + 4  # Mon 14-18, Tue 08-18, Wed 08-12
    assert hours(result.remaining_seconds) == -8


def test_resolved_exactly_at_the_target_is_not_a_breach():
    """4h from Tue 09:00, resolved Tue 13:00: elapsed 4h = target, remaining 0 → met."""
    timeline = [created(at(3, 10, 9)), event(at(3, 10, 13), EventKind.RESOLVED)]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 17))
    assert result.elapsed_seconds == result.target_seconds == 4 * HOUR
    assert result.remaining_seconds == 0
    assert not result.breached and result.breach_at is None
    assert result.state == "stopped" and result.stopped_at == at(3, 10, 13) and result.due_at is None


def test_resolved_one_second_after_the_target_is_a_breach():
    """4h from Tue 09:00, resolved Tue 13:00:01: elapsed 4h 0m 1s → breached, at the due time 13:00:00."""
    timeline = [created(at(3, 10, 9)), event(at(3, 10, 13, 0, 1), EventKind.RESOLVED)]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 17))
    assert result.breached and result.breach_at == at(3, 10, 13)
    assert result.remaining_seconds == -1


def test_target_reached_at_closing_time_is_breached_only_when_business_time_runs_on():
    """4h from Tue 14:00 is used up at Tue 18:00 closing time. Resolved 18:30 the same evening: elapsed is
    still exactly 4h, so met. Left open, it exceeds the target from Wed 08:00, breached at the due 18:00."""
    evening = compute(P3_OFFICE, [created(at(3, 10, 14)), event(at(3, 10, 18, 30), EventKind.RESOLVED)], now=at(3, 12))
    assert evening.elapsed_seconds == 4 * HOUR and not evening.breached
    overnight = compute(P3_OFFICE, [created(at(3, 10, 14))], now=at(3, 11, 7))
    assert not overnight.breached and overnight.due_at == at(3, 10, 18) and overnight.remaining_seconds == 0
    morning = compute(P3_OFFICE, [created(at(3, 10, 14))], now=at(3, 11, 8, 0, 1))
    assert morning.breached and morning.breach_at == at(3, 10, 18)


def test_reprioritised_up_past_the_new_target_breaches_at_the_change():
    """P3 8h from Tue 08:00; at 13:00 (5h used) raised to P1 4h: 5h > 4h → breached at 13:00.
    Warnings: 50% of 8h = 4h at 12:00 under P3; 75% and 90% of 4h already passed → both at 13:00."""
    spec = sla({"P3": (8, "Office hours"), "P1": (4, "Office hours")})
    timeline = [created(at(3, 10, 8)), event(at(3, 10, 13), EventKind.PRIORITY, priority="P1")]
    result = compute(spec, timeline, now=at(3, 10, 14))
    assert result.breached and result.breach_at == at(3, 10, 13)
    assert result.priority == "P1" and hours(result.remaining_seconds) == -2
    assert result.warnings == ((0.5, at(3, 10, 12)), (0.75, at(3, 10, 13)), (0.9, at(3, 10, 13)))
    assert result.due_at == at(3, 10, 13)  # already reached: when it was


def test_reprioritised_down_moves_the_due_time_out_and_keeps_elapsed():
    """P2 4h from Tue 08:00 (50% warning at 10:00); lowered to P3 8h at 10:30 with 2.5h used;
    now 12:00 → 4h used, 4h left → due 16:00; no breach."""
    spec = sla({"P2": (4, "Office hours"), "P3": (8, "Office hours")})
    timeline = [created(at(3, 10, 8), priority="P2"), event(at(3, 10, 10, 30), EventKind.PRIORITY, priority="P3")]
    result = compute(spec, timeline, now=at(3, 10, 12))
    assert hours(result.elapsed_seconds) == 4 and hours(result.remaining_seconds) == 4
    assert result.due_at == at(3, 10, 16) and not result.breached
    assert result.warnings == ((0.5, at(3, 10, 10)),)


def test_a_breach_stays_after_the_priority_is_lowered():
    """P1 4h from Tue 08:00 is breached at 12:00; lowered to P3 8h at 13:00; now 14:00 → 6h of 8h used,
    2h left, but the breach that happened at 12:00 stands."""
    spec = sla({"P1": (4, "Office hours"), "P3": (8, "Office hours")})
    timeline = [created(at(3, 10, 8), priority="P1"), event(at(3, 10, 13), EventKind.PRIORITY, priority="P3")]
    result = compute(spec, timeline, now=at(3, 10, 14))
    assert result.breached and result.breach_at == at(3, 10, 12)
    assert hours(result.remaining_seconds) == 2 and result.due_at == at(3, 10, 16)


def test_reprioritised_onto_a_target_exactly_used_up_is_met_until_business_time_runs_on():
    """P3 8h from Tue 14:00: Tue 14-18 = 4h. Raised to P1 4h at 18:30: elapsed = target, not over it.
    Resolved Wed 07:30 before opening → met. Left open past Wed 08:00 → breached, at the change (18:30)."""
    spec = sla({"P3": (8, "Office hours"), "P1": (4, "Office hours")})
    timeline = [created(at(3, 10, 14)), event(at(3, 10, 18, 30), EventKind.PRIORITY, priority="P1")]
    resolved = compute(spec, [*timeline, event(at(3, 11, 7, 30), EventKind.RESOLVED)], now=at(3, 11, 12))
    assert resolved.elapsed_seconds == resolved.target_seconds == 4 * HOUR and not resolved.breached
    left_open = compute(spec, timeline, now=at(3, 11, 8, 0, 1))
    assert left_open.breached and left_open.breach_at == at(3, 10, 18, 30)


def test_priority_raised_at_now_itself_applies_at_once():
    """P3 8h from Tue 08:00; raised to P1 4h at 13:00, looked at from 13:00: 5h used > 4h → breached now."""
    spec = sla({"P3": (8, "Office hours"), "P1": (4, "Office hours")})
    timeline = [created(at(3, 10, 8)), event(at(3, 10, 13), EventKind.PRIORITY, priority="P1")]
    result = compute(spec, timeline, now=at(3, 10, 13))
    assert result.priority == "P1" and result.target_seconds == 4 * HOUR
    assert result.breached and result.breach_at == at(3, 10, 13)
    assert result.warnings == ((0.5, at(3, 10, 12)), (0.75, at(3, 10, 13)), (0.9, at(3, 10, 13)))


def test_a_warning_reached_exactly_when_the_clock_stops_is_recorded():
    """4h from Tue 08:00, resolved 10:00 with 2h used: the 50% mark is reached at 10:00 itself."""
    timeline = [created(at(3, 10, 8)), event(at(3, 10, 10), EventKind.RESOLVED)]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 12))
    assert result.warnings == ((0.5, at(3, 10, 10)),)


def test_state_events_into_and_out_of_resolved_stop_and_restart_a_resolution_clock():
    """STATE resolved at Tue 10:00 and STATE in_progress at 11:00 act as RESOLVED and REOPENED: 09-10 + 11-12 = 2h."""
    timeline = [created(at(3, 10, 9)), state(at(3, 10, 10), "resolved"), state(at(3, 10, 11), "in_progress")]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 12))
    assert hours(result.elapsed_seconds) == 2
    assert [s.reason for s in result.segments] == ["running", "stopped: resolved", "running"]
    closed = compute(P3_OFFICE, [*timeline, state(at(3, 10, 12), "closed")], now=at(3, 10, 15))
    assert closed.state == "stopped" and closed.stopped_at == at(3, 10, 12)


def test_priority_change_moves_the_ticket_onto_the_new_priority_calendar():
    """P3 office hours from Fri 16:00, raised to P1 (24x7, 8h) at Fri 17:00: Fri 16-17 = 1h office,
    then every hour counts: Fri 17:00 + 7h → due Sat 00:00."""
    spec = sla({"P3": (40, "Office hours"), "P1": (8, "24x7")})
    timeline = [created(at(3, 6, 16)), event(at(3, 6, 17), EventKind.PRIORITY, priority="P1")]
    result = compute(spec, timeline, now=at(3, 6, 20))
    assert hours(result.elapsed_seconds) == 1 + 3
    assert result.due_at == at(3, 7)
    assert [s.calendar for s in result.segments] == ["Office hours (from 2025-01-01)", "24x7 (from 2025-01-01)"]


def test_priority_without_a_target_runs_with_no_due_time_or_breach():
    """P5 is not in this SLA: the clock runs (measured in the first target's calendar, office hours) but
    has no target. Tue 09:00 → Wed 17:00 = 9h + 9h = 18h, far past any 4h target, and no breach."""
    result = compute(P3_OFFICE, [created(at(3, 10, 9), priority="P5")], now=at(3, 11, 17))
    assert result.state == "running" and result.target_seconds is None
    assert result.due_at is None and result.remaining_seconds is None
    assert not result.breached and result.warnings == ()
    assert hours(result.elapsed_seconds) == 18


def test_priority_given_a_target_later_counts_the_time_already_used():
    """Created without a known priority Tue 09:00; set to P3 (4h) at 12:00 with 3h used; now 14:00 →
    5h > 4h: breached at 13:00 (the 4th hour)."""
    timeline = [created(at(3, 10, 9), priority=None), event(at(3, 10, 12), EventKind.PRIORITY, priority="P3")]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 14))
    assert hours(result.elapsed_seconds) == 5 and result.breach_at == at(3, 10, 13)


# -- start, stop, reopen, response ---------------------------------------------------------------


def test_retroactive_start_counts_the_time_before_the_ticket_was_logged():
    """Phoned in Tue 09:00, logged at 10:00 by the service desk; now 12:00 → 1h + 2h = 3h, all held
    by the service desk that logged it."""
    result = compute(P3_OFFICE, [created(at(3, 10, 10))], now=at(3, 10, 12), start=at(3, 10, 9))
    assert hours(result.elapsed_seconds) == 3
    assert result.segments[0].reason == "running: retroactive start"
    assert (result.segments[0].start, result.segments[0].end) == (at(3, 10, 9), at(3, 10, 10))
    assert result.by_team == {"Service Desk": 3 * HOUR}


def test_retroactive_start_runs_before_the_ticket_is_even_logged():
    """Start Tue 09:00, logged 11:00; looked at from 10:00 the clock has already run 1h at P3."""
    result = compute(P3_OFFICE, [created(at(3, 10, 11))], now=at(3, 10, 10), start=at(3, 10, 9))
    assert result.state == "running" and hours(result.elapsed_seconds) == 1 and result.priority == "P3"


def test_reopened_ticket_carries_elapsed_over_and_skips_the_time_it_was_resolved():
    """Tue 09-11 = 2h, resolved Tue 11:00 → Wed 10:00 (not counted), reopened, Wed 10-12 = 2h → 4h."""
    spec = sla({"P3": (8, "Office hours")})
    timeline = [
        created(at(3, 10, 9)),
        event(at(3, 10, 11), EventKind.RESOLVED),
        event(at(3, 11, 10), EventKind.REOPENED),
    ]
    result = compute(spec, timeline, now=at(3, 11, 12))
    assert hours(result.elapsed_seconds) == 4 and result.state == "running"
    assert [s.status for s in result.segments] == ["running", "stopped", "running"]
    assert result.segments[1].reason == "stopped: resolved"
    assert result.due_at == at(3, 11, 16) and result.stopped_at is None


def test_response_clock_stops_at_the_first_in_progress_and_ignores_reopening():
    """Response 1h: new Tue 09:00, in progress 09:40 → 40 min, stopped for good; resolved 10:00 and
    reopened 11:00 change nothing."""
    spec = sla({"P3": (1, "Office hours")}, metric="response")
    timeline = [
        created(at(3, 10, 9)),
        state(at(3, 10, 9, 40), "in_progress"),
        event(at(3, 10, 10), EventKind.RESOLVED),
        event(at(3, 10, 11), EventKind.REOPENED),
    ]
    result = compute(spec, timeline, now=at(3, 10, 12))
    assert result.elapsed_seconds == 40 * 60 and result.state == "stopped"
    assert result.stopped_at == at(3, 10, 9, 40)
    assert [s.reason for s in result.segments] == ["running", "stopped: responded (in_progress)"]


def test_resolution_clock_keeps_running_past_the_response():
    """The same timeline on a resolution clock: Tue 09-10 = 1h, resolved 10-11, reopened 11-12 = 1h → 2h."""
    timeline = [
        created(at(3, 10, 9)),
        state(at(3, 10, 9, 40), "in_progress"),
        event(at(3, 10, 10), EventKind.RESOLVED),
        event(at(3, 10, 11), EventKind.REOPENED),
    ]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 12))
    assert hours(result.elapsed_seconds) == 2 and result.state == "running"


def test_response_clock_is_stopped_by_a_resolution_without_any_in_progress():
    """Response 1h: resolved straight from new at Tue 09:20 → 20 min, stopped: resolved."""
    spec = sla({"P3": (1, "Office hours")}, metric="response")
    timeline = [created(at(3, 10, 9)), event(at(3, 10, 9, 20), EventKind.RESOLVED)]
    result = compute(spec, timeline, now=at(3, 10, 12))
    assert result.elapsed_seconds == 20 * 60 and result.segments[-1].reason == "stopped: resolved"


def test_response_clock_for_a_ticket_created_in_progress_never_runs():
    """Logged already in progress Tue 09:00 (the desk took it at once) → response 0s at 09:00."""
    spec = sla({"P3": (1, "Office hours")}, metric="response")
    result = compute(spec, [created(at(3, 10, 9), state="in_progress")], now=at(3, 10, 12))
    assert result.elapsed_seconds == 0 and result.stopped_at == at(3, 10, 9) and not result.breached


# -- who holds the record --------------------------------------------------------------------------


HAND_OFFS = [
    created(at(3, 10, 9), team="Service Desk", organisation="Integrator"),
    event(at(3, 10, 10), EventKind.ASSIGNED, team="App Support", organisation="Apex Applications"),
    event(at(3, 10, 15), EventKind.ASSIGNED, team="Hosting", organisation="Integrator"),
]


def test_ola_counts_only_while_its_organisation_holds_the_record_across_two_hand_offs():
    """Integrator OLA: Tue 09-10 Service Desk = 1h; 10-15 with Apex = not held; Tue 15-18 Hosting = 3h;
    Wed 08-09 = 1h → 5h, all the Integrator's (Service Desk 1h, Hosting 4h)."""
    spec = sla({"P3": (8, "Office hours")}, name="Integrator OLA", holder_organisation="Integrator")
    result = compute(spec, HAND_OFFS, now=at(3, 11, 9))
    assert hours(result.elapsed_seconds) == 5
    assert result.segments[1].status == "not_held" and result.segments[1].reason == "not held: Apex Applications"
    assert result.by_organisation == {"Integrator": 5 * HOUR}
    assert result.by_team == {"Service Desk": 1 * HOUR, "Hosting": 4 * HOUR}


def test_ola_of_the_other_organisation_counts_only_its_own_spell():
    """Apex OLA on the same timeline: only Tue 10-15 = 5h; while the Integrator holds it, the clock waits."""
    spec = sla({"P3": (8, "Office hours")}, name="Apex OLA", holder_organisation="Apex Applications")
    result = compute(spec, HAND_OFFS, now=at(3, 11, 9))
    assert hours(result.elapsed_seconds) == 5 and result.state == "paused" and result.due_at is None
    assert result.by_organisation == {"Apex Applications": 5 * HOUR}


def test_plain_sla_splits_elapsed_time_by_organisation_across_hand_offs():
    """The end-to-end SLA counts all of it, Tue 09-18 = 9h + Wed 08-09 = 1h = 10h:
    Integrator 1h + 3h + 1h = 5h, Apex Applications 10-15 = 5h."""
    spec = sla({"P3": (16, "Office hours")})
    result = compute(spec, HAND_OFFS, now=at(3, 11, 9))
    assert hours(result.elapsed_seconds) == 10
    assert result.by_organisation == {"Integrator": 5 * HOUR, "Apex Applications": 5 * HOUR}
    assert result.by_team == {"Service Desk": HOUR, "App Support": 5 * HOUR, "Hosting": 4 * HOUR}


# -- calendar edits and closures ----------------------------------------------------------------------


def test_calendar_edit_extends_hours_from_its_date_without_rewriting_the_past():
    """Hours become 07:00-20:00 from Wed 11 Mar. Created Tue 10 Mar 16:00, 8h: Tue 16-18 = 2h under the
    old hours; Wed 07-13 = 6h under the new → due Wed 13:00 (Wed 14:00 under the old hours). Looked at
    from Tue 17:00, the scheduled edit is already in the projection."""
    extended = BusinessCalendar("Office hours", hours=tuple(WorkingHours(d, time(7), time(20)) for d in range(5)))
    calendars = {"Office hours": ((SINCE, OFFICE), (at(3, 11), extended))}
    spec = sla({"P3": (8, "Office hours")}, calendars=calendars)
    timeline = [created(at(3, 10, 16))]
    assert compute(spec, timeline, now=at(3, 10, 17)).due_at == at(3, 11, 13)
    # Time that runs out at Tue 18:00 closing is due then, not at the edit's midnight.
    assert compute(spec, [created(at(3, 10, 10))], now=at(3, 10, 11)).due_at == at(3, 10, 18)  # 10-18 = 8h
    result = compute(spec, timeline, now=at(3, 11, 14))
    assert hours(result.elapsed_seconds) == 2 + 7 and result.breach_at == at(3, 11, 13)
    assert [s.calendar for s in result.segments] == ["Office hours (from 2025-01-01)", "Office hours (from 2026-03-11)"]
    assert [hours(s.business_seconds) for s in result.segments] == [2, 7]


def test_authority_closure_subtracts_from_open_time_and_is_named():
    """Data-centre move closes Wed 11 Mar 13:00-17:00. Created Wed 09:00, 8h: 09-13 = 4h, closed 13-17,
    17-18 = 1h, Thu 08-11 = 3h → due Thu 11:00. A hand-off at 14:00 starts a segment inside the closure."""
    move = Closure(at(3, 11, 13), at(3, 11, 17), "Data-centre move")
    closing = office_hours("Office hours", bank_holidays_years=[2026], closures=[move])
    spec = sla({"P3": (8, "Office hours")}, calendars={"Office hours": ((SINCE, closing),)})
    timeline = [created(at(3, 11, 9)), event(at(3, 11, 14), EventKind.ASSIGNED, team="Hosting", organisation="I")]
    result = compute(spec, timeline, now=at(3, 11, 18))
    assert result.due_at == at(3, 12, 11) and hours(result.elapsed_seconds) == 5
    assert result.segments[1].rule == "closed: closure (Data-centre move)"


# -- ordering, `now` and validation -------------------------------------------------------------------


def test_events_at_the_same_instant_apply_in_order_and_only_the_last_state_lasts():
    """At Tue 10:00 the ticket goes pending and straight back in progress: no pause lasts, so 09-12 = 3h.
    An ASSIGNED listed before CREATED at the same instant is still applied after it."""
    timeline = [
        event(at(3, 10, 9), EventKind.ASSIGNED, team="Network", organisation="Netco"),
        created(at(3, 10, 9)),
        state(at(3, 10, 10), "pending_requester"),
        state(at(3, 10, 10), "in_progress"),
    ]
    result = compute(PAUSING, timeline, now=at(3, 10, 12))
    assert hours(result.elapsed_seconds) == 3 and result.paused_seconds == 0
    assert [s.status for s in result.segments] == ["running"]
    assert result.by_organisation == {"Netco": 3 * HOUR}


def test_resolved_at_now_itself_is_stopped():
    """Resolved at exactly `now`: the stop lasts no time yet but is in force, so the clock is stopped."""
    timeline = [created(at(3, 10, 9)), event(at(3, 10, 11), EventKind.RESOLVED)]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 11))
    assert result.state == "stopped" and result.stopped_at == at(3, 10, 11) and hours(result.elapsed_seconds) == 2


def test_now_before_any_event_is_not_started():
    result = compute(P3_OFFICE, [created(at(3, 10, 9))], now=at(3, 10, 8))
    assert result.state == "not_started" and result.elapsed_seconds == 0 and result.segments == ()
    assert compute(P3_OFFICE, [], now=at(3, 10, 8)).state == "not_started"


def test_events_after_now_are_ignored():
    """Resolved Tue 11:00, looked at from 10:00: still running, 1h used, due 13:00."""
    timeline = [created(at(3, 10, 9)), event(at(3, 10, 11), EventKind.RESOLVED)]
    result = compute(P3_OFFICE, timeline, now=at(3, 10, 10))
    assert result.state == "running" and hours(result.elapsed_seconds) == 1 and result.due_at == at(3, 10, 13)


def test_naive_datetimes_are_rejected_naming_the_field():
    with pytest.raises(ValueError, match="now must be an aware datetime"):
        compute(P3_OFFICE, [created(at(3, 10, 9))], now=datetime(2026, 3, 10, 12))
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        compute(P3_OFFICE, [created(at(3, 10, 9))], now=at(3, 10, 12), start=datetime(2026, 3, 10, 8))
    with pytest.raises(ValueError, match="CREATED event time must be an aware datetime"):
        created(datetime(2026, 3, 10, 9))


def test_events_before_the_clock_start_are_rejected():
    with pytest.raises(ValueError, match=r"STATE event at 2026-03-10T08:00:00\+00:00 is before the CREATED event"):
        compute(P3_OFFICE, [state(at(3, 10, 8), "in_progress"), created(at(3, 10, 9))], now=at(3, 10, 12))
    with pytest.raises(ValueError, match=r"start .* is after the CREATED event"):
        compute(P3_OFFICE, [created(at(3, 10, 9))], now=at(3, 10, 12), start=at(3, 10, 10))
    with pytest.raises(ValueError, match="exactly one CREATED event, got 0"):
        compute(P3_OFFICE, [state(at(3, 10, 8), "in_progress")], now=at(3, 10, 12))


def test_unknown_calendar_names_are_rejected():
    with pytest.raises(ValueError, match="priority P1 is measured in calendar 'Weekends', which is not one of"):
        sla({"P1": (4, "Weekends")})
    with pytest.raises(ValueError, match=r"STATE event .* needs a state"):
        TimelineEvent(at(3, 10, 9), EventKind.STATE)


def test_clock_modules_import_without_django():
    """The pure cores must load in a process that has never imported Django."""
    code = (
        "import sys, towers.sla.clock, towers.contracts.businesstime; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    root = Path(__file__).resolve().parents[3]
    run = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
