"""Properties of the SLA clock over random timelines: weeks either side of a clock change, with bank
holidays, pauses, hand-offs, re-prioritisations, reopenings, calendar edits and closures."""

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from towers.contracts.businesstime import BusinessCalendar, Closure, WorkingHours, office_hours, twenty_four_seven
from towers.sla.clock import EventKind, ServiceLevelSpec, Target, TimelineEvent, compute, version_label

LONDON = ZoneInfo("Europe/London")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
YEARS = [2026, 2027]
OFFICE = office_hours("Office hours", bank_holidays_years=YEARS)
EXTENDED = office_hours("Extended hours", time(7), time(20), range(6), bank_holidays_years=YEARS)
# Windows that start or end inside the hour the clocks skip (March) or repeat (October), and a closure.
ODD = BusinessCalendar(
    "Odd hours",
    hours=(
        WorkingHours(6, time(0, 30), time(2, 30)),
        WorkingHours(6, time(22), time.max),
        WorkingHours(0, time(0), time(1, 30)),
        *(WorkingHours(d, time(7, 15), time(12)) for d in range(1, 6)),
        *(WorkingHours(d, time(13), time(19, 45)) for d in range(1, 6)),
    ),
    holidays={datetime(2026, 4, 3).date(): "Good Friday", datetime(2026, 12, 25).date(): "Christmas Day"},
    closures=(Closure(datetime(2026, 3, 31, 10, tzinfo=UTC), datetime(2026, 4, 1, 15, tzinfo=UTC), "Site move"),),
)
ALWAYS_WITH_HOLIDAYS = BusinessCalendar("24x7 bar holidays", always_open=True, holidays=OFFICE.holidays)
CALENDARS = {
    "Office hours": ((EPOCH, OFFICE),),
    "24x7": ((EPOCH, twenty_four_seven()),),
    "24x7 bar holidays": ((EPOCH, ALWAYS_WITH_HOLIDAYS),),
    "Odd hours": ((EPOCH, ODD),),
    "Edited": (
        (EPOCH, OFFICE),
        (datetime(2026, 3, 25, 12, tzinfo=UTC), EXTENDED),
        (datetime(2026, 10, 21, tzinfo=LONDON), ODD),
        (datetime(2026, 12, 22, 9, 30, tzinfo=LONDON), OFFICE),
    ),
}
VERSIONS = {
    version_label(name, eff, cal.timezone): cal for name, versions in CALENDARS.items() for eff, cal in versions
}
# Four weeks from each of these spans a clock change (29 Mar, 25 Oct) or Easter/Christmas holidays.
# In UTC: adding a timedelta to a London datetime adds *wall-clock* time, which would skew the tests.
BASES = [datetime(2026, month, day, tzinfo=LONDON).astimezone(UTC) for month, day in [(3, 16), (10, 12), (12, 14)]]
PRIORITIES = ["P1", "P2", "P3", "P4", "P9"]  # P9 has no target
STATES = ["new", "in_progress", "pending_requester", "pending_supplier", "resolved", "closed"]
HOLDERS = [("Service Desk", "Integrator"), ("Hosting", "Integrator"), ("App Support", "Apex"), ("Network", "Netco")]
ORGANISATIONS = ["Integrator", "Apex", "Netco"]
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def specs(draw, *, calendar=None, pausing=True, ola=True, metric=None):
    names = sorted(CALENDARS)
    targets = {
        p: Target(draw(st.integers(1, 60 * 3600)), calendar or draw(st.sampled_from(names))) for p in PRIORITIES[:4]
    }
    return ServiceLevelSpec(
        name="Random SLA",
        metric=metric or draw(st.sampled_from(["resolution", "response"])),
        targets=targets,
        calendars=CALENDARS,
        pause_states=draw(st.frozensets(st.sampled_from(STATES[1:4]))) if pausing else frozenset(),
        holder_organisation=draw(st.none() | st.sampled_from(ORGANISATIONS)) if ola else None,
        warn_at=(0.5, 0.75, 0.9),
    )


@st.composite
def timelines(draw, *, resolving=True):
    """(events, now, start): up to 14 events over about four weeks, some at the same instant."""
    base = draw(st.sampled_from(BASES))
    seconds = st.integers(0, 59) | st.just(0)
    created_at = base + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)), seconds=draw(seconds))
    team, organisation = draw(st.sampled_from(HOLDERS))
    events = [
        TimelineEvent(
            created_at,
            EventKind.CREATED,
            priority=draw(st.sampled_from(PRIORITIES)),
            team=team,
            organisation=organisation,
        )
    ]
    kinds = [EventKind.STATE, EventKind.PRIORITY, EventKind.ASSIGNED, EventKind.REOPENED]
    if resolving:
        kinds += [EventKind.RESOLVED, EventKind.CLOSED]
    states = STATES if resolving else STATES[:4]
    when = created_at
    for _ in range(draw(st.integers(0, 14))):
        when += draw(st.just(timedelta(0)) | st.timedeltas(timedelta(0), timedelta(days=3)))
        when = when.replace(microsecond=0)
        kind = draw(st.sampled_from(kinds))
        if kind is EventKind.STATE:
            events.append(TimelineEvent(when, kind, state=draw(st.sampled_from(states))))
        elif kind is EventKind.PRIORITY:
            events.append(TimelineEvent(when, kind, priority=draw(st.sampled_from(PRIORITIES))))
        elif kind is EventKind.ASSIGNED:
            team, organisation = draw(st.sampled_from([*HOLDERS, (None, None)]))
            events.append(TimelineEvent(when, kind, team=team, organisation=organisation))
        else:
            events.append(TimelineEvent(when, kind))
    now = created_at + timedelta(seconds=draw(st.integers(0, 25 * 24 * 3600)))
    start = draw(st.none() | st.integers(0, 3 * 3600).map(lambda s: created_at - timedelta(seconds=s)))
    return events, now, start


def clock_start(events, start):
    return start if start is not None else events[0].at


def business(segment, until=None):
    """A segment's business time in its own calendar version, optionally only up to `until`."""
    end = segment.end if until is None else min(segment.end, until)
    return VERSIONS[segment.calendar].business_time(segment.start, end)


def total(segments, status=None):
    return sum((business(s) for s in segments if status is None or s.status == status), timedelta(0)).total_seconds()


@SETTINGS
@given(specs(), timelines())
def test_elapsed_never_exceeds_wall_clock_time(spec, timeline):
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    assert 0 <= result.elapsed_seconds <= max((now - clock_start(events, start)).total_seconds(), 0)


@SETTINGS
@given(specs(calendar="24x7", pausing=False, ola=False, metric="resolution"), timelines(resolving=False))
def test_on_24x7_with_no_pauses_elapsed_is_wall_clock_time(spec, timeline):
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    assert result.elapsed_seconds == max((now - clock_start(events, start)).total_seconds(), 0)


@SETTINGS
@given(specs(), timelines())
def test_segments_are_contiguous_and_cover_start_to_now(spec, timeline):
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    begin = clock_start(events, start)
    if now <= begin:
        assert result.segments == () and result.state in {"not_started", "running", "stopped", "paused"}
        return
    segments = result.segments
    assert segments[0].start == begin and segments[-1].end == now
    assert all(s.start < s.end for s in segments)
    assert all(a.end == b.start for a, b in pairwise(segments))
    if all(e.at != now for e in events):  # else events at `now` set a state that has lasted no time yet
        last = segments[-1].status
        assert result.state == ("paused" if last == "not_held" else last)


@SETTINGS
@given(specs(), timelines())
def test_segment_business_time_adds_up_to_elapsed_and_paused(spec, timeline):
    """Each segment's business time is its calendar's; running ones sum to elapsed, paused to paused."""
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    for segment in result.segments:
        assert segment.business_seconds == business(segment).total_seconds()
    assert result.elapsed_seconds == pytest.approx(total(result.segments, "running"), abs=1e-6)
    assert result.paused_seconds == pytest.approx(total(result.segments, "paused"), abs=1e-6)


@SETTINGS
@given(
    st.sampled_from(sorted(CALENDARS)).flatmap(lambda name: st.tuples(st.just(name), specs(calendar=name))), timelines()
)
def test_elapsed_paused_and_not_counted_make_up_the_calendar_business_time(named_spec, timeline):
    """On one calendar: elapsed + paused + not held + stopped = the calendar's business time from start to now."""
    name, spec = named_spec
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    begin = clock_start(events, start)
    whole = sum(
        (cal.business_time(max(a, begin), max(b, begin)) for a, b, cal in _version_spans(name, now)), timedelta()
    )
    parts = result.elapsed_seconds + result.paused_seconds
    parts += total(result.segments, "not_held") + total(result.segments, "stopped")
    assert parts == pytest.approx(whole.total_seconds(), abs=1e-6)


def _version_spans(name, now):
    versions = CALENDARS[name]
    far_past = datetime(2000, 1, 1, tzinfo=UTC)
    starts = [far_past, *(eff for eff, _ in versions[1:])]
    ends = [*(eff for eff, _ in versions[1:]), now]
    return [(a, min(b, now), cal) for a, b, (_, cal) in zip(starts, ends, versions, strict=True) if a < now]


@SETTINGS
@given(specs(), timelines(), st.frozensets(st.sampled_from(STATES[:4]), min_size=1))
def test_pausing_in_more_states_never_increases_elapsed(spec, timeline, more):
    events, now, start = timeline
    fewer = compute(spec, events, now=now, start=start)
    pausing = ServiceLevelSpec(**{**spec.__dict__, "pause_states": spec.pause_states | more})
    result = compute(pausing, events, now=now, start=start)
    assert result.elapsed_seconds <= fewer.elapsed_seconds
    assert result.paused_seconds >= fewer.paused_seconds


@SETTINGS
@given(specs(), timelines())
def test_elapsed_is_attributed_to_exactly_one_holder(spec, timeline):
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    assert sum(result.by_organisation.values()) == pytest.approx(result.elapsed_seconds, abs=1e-6)
    assert sum(result.by_team.values()) == pytest.approx(result.elapsed_seconds, abs=1e-6)
    if spec.holder_organisation is not None:
        assert set(result.by_organisation) <= {spec.holder_organisation}


@SETTINGS
@given(specs(), timelines(), st.floats(0, 1), st.booleans())
def test_cut_and_resume_gives_the_same_totals(spec, timeline, fraction, at_an_event):
    """Computing at an earlier `now` = t gives what the full computation's segments say up to t."""
    events, now, start = timeline
    begin = clock_start(events, start)
    full = compute(spec, events, now=now, start=start)
    t = begin + timedelta(seconds=int(max((now - begin).total_seconds(), 0) * fraction))
    if at_an_event:  # cutting exactly where events happen is where a replay is most likely to go wrong
        t = min(events[int(fraction * (len(events) - 1))].at, now)
    cut = compute(spec, events, now=t, start=start)
    up_to_t = sum((business(s, t) for s in full.segments if s.status == "running" and s.start < t), timedelta())
    assert cut.elapsed_seconds == up_to_t.total_seconds()
    clipped = [s for s in full.segments if s.start < t]
    assert len(cut.segments) == len(clipped)
    for mine, theirs in zip(cut.segments, clipped, strict=True):
        assert mine.end == min(theirs.end, t)
        assert (mine.start, mine.status, mine.reason, mine.calendar, mine.rule) == (
            theirs.start,
            theirs.status,
            theirs.reason,
            theirs.calendar,
            theirs.rule,
        )
        assert (mine.priority, mine.team, mine.organisation) == (theirs.priority, theirs.team, theirs.organisation)
    assert cut.warnings == tuple(w for w in full.warnings if w[1] <= t)
    if cut.breached:
        assert full.breached and full.breach_at == cut.breach_at


@SETTINGS
@given(specs(), timelines())
def test_a_clock_over_its_target_is_breached(spec, timeline):
    events, now, start = timeline
    result = compute(spec, events, now=now, start=start)
    if result.target_seconds is not None and result.elapsed_seconds > result.target_seconds:
        assert result.breached and result.breach_at is not None and result.breach_at <= now
    if result.breached:
        assert result.breach_at <= now
    for fraction, instant in result.warnings:
        assert fraction in spec.warn_at and instant <= now


@SETTINGS
@given(specs(), timelines())
def test_due_at_is_when_elapsed_would_reach_the_target(spec, timeline):
    """With no more events, at due_at elapsed equals the target; a second before, it is still short."""
    events, now, start = timeline
    known = [e for e in events if e.at <= now]
    result = compute(spec, known, now=now, start=start)
    if result.due_at is None:
        assert result.state != "running" or result.target_seconds is None
        return
    assert result.state == "running"
    if result.remaining_seconds <= 0:
        assert result.due_at <= now
        return
    assert result.due_at > now
    at_due = compute(spec, known, now=result.due_at, start=start)
    assert at_due.elapsed_seconds == pytest.approx(result.target_seconds, abs=1e-6)
    assert at_due.remaining_seconds == pytest.approx(0, abs=1e-6)
    just_before = max(result.due_at - timedelta(seconds=1), now)
    assert compute(spec, known, now=just_before, start=start).elapsed_seconds < result.target_seconds


@SETTINGS
@given(
    st.sampled_from([cal for versions in CALENDARS.values() for _, cal in versions]),
    st.sampled_from(BASES),
    st.integers(0, 30 * 24 * 3600),
    st.integers(0, 20 * 24 * 3600),
)
def test_add_business_seconds_and_business_seconds_are_inverse(calendar, base, offset, seconds):
    start = base + timedelta(seconds=offset)
    end = calendar.add_business_seconds(start, seconds)
    assert calendar.business_seconds(start, end) == seconds
    assert end == start or calendar.business_seconds(start, end - timedelta(microseconds=1)) < seconds
    back = calendar.add_business_seconds(start, calendar.business_seconds(start, base + timedelta(days=40)))
    assert back <= base + timedelta(days=40)
    assert calendar.business_seconds(back, base + timedelta(days=40)) == 0
