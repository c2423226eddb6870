"""The SLA clock: how much business time a record has used against one service level, and why.

Pure Python (plain data in and out, no Django). `compute` replays a record's timeline up to `now`
and returns the clock with every segment explained, so a contract manager can check the arithmetic.

How the clock runs
------------------
* It starts at the CREATED event, or at `start` when given (a retroactive start: the incident was
  phoned in before it was logged). Time from `start` to CREATED always runs, held by the CREATED
  event's team and organisation, priced at its priority (an OLA still needs its organisation to hold).
  With a retroactive start the clock runs from `start` even when `now` is before CREATED.
* Events are applied in time order; events at the same instant in the order given (CREATED first),
  and only the state after all of an instant's events lasts, so a state that lasts no time has no
  effect. Events after `now` are ignored, and `now` ends the last segment.
* At any instant the clock is, in this precedence: *stopped* (resolution: while resolved or closed;
  response: from the first response state or resolution, for good: later reopenings are ignored),
  *paused* (the state is one of `pause_states`; paused time never counts, whatever the calendar
  says), *not held* (an OLA, `holder_organisation`, counts only while that organisation holds the
  record), or *running*. Only running business time is counted.
* RESOLVED/CLOSED/REOPENED set the state to "resolved"/"closed"/"in_progress" unless the event names
  one. A STATE event into "resolved" or "closed" resolves the record too, and out of them reopens it.
  ASSIGNED replaces both team and organisation (None means unassigned). Fields an event kind does
  not use are ignored.
* The target is the one for the priority in force, measured in that priority's calendar from the
  moment the priority applies; elapsed time carries over a re-prioritisation. A calendar has versions
  (edits take effect from their `effective_from`, never rewriting the past): segments are split at
  version boundaries and each piece is measured in the version in force. The first version is taken
  to have always applied before its date.
* A priority without a target (unknown, or not covered by this service level) leaves the clock
  running with no target: no due time, warnings or breach. Its time is measured in the calendar of
  the last priority that had one, or before any, the first target's calendar.

What it reports
---------------
* `breached`: elapsed has *exceeded* the target in force at some instant up to `now`. Meeting the
  target exactly (resolving at the due instant, or at 18:30 after a target reached at 18:00 closing
  time) is not a breach, so `breached` always agrees with elapsed versus target for a stopped clock.
* `breach_at`: the instant elapsed reached the target it went on to exceed, i.e. the due time that
  was missed; after a re-prioritisation onto a target already used up, the instant of the change.
  A breach, once it has happened, stays: a later, more generous priority does not undo it.
* `warnings`: the first instant elapsed reached each `warn_at` fraction of the target in force (these
  fall in business hours, as elapsed only grows while the calendar is open); recorded ones stay.
* `due_at`: only while running with a target: when elapsed reaches the target if the clock keeps
  running from `now`, calendar versions already scheduled included; the instant it was reached if
  that is past. None while paused, not held or stopped: the due time is then not yet known.
* `state` is "paused" both when paused and when an OLA's organisation does not hold the record (the
  last segment's status says which); "not_started", with nothing known, before the clock starts or
  for an empty timeline (any other timeline needs exactly one CREATED event, and nothing before it).
* `by_organisation` / `by_team`: running business seconds per holder ("(unassigned)" when none),
  for plain SLAs too, so hand-offs across suppliers can be reported fairly. They sum to elapsed.
* All instants returned are UTC.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from itertools import groupby, pairwise
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from towers.contracts.businesstime import BusinessCalendar

Status = Literal["running", "paused", "not_held", "stopped"]
CalendarVersions = tuple[tuple[datetime, BusinessCalendar], ...]
RESOLVED_STATES = frozenset({"resolved", "closed"})
UNASSIGNED = "(unassigned)"


class EventKind(StrEnum):
    CREATED = "created"
    STATE = "state"
    PRIORITY = "priority"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: EventKind
    state: str | None = None
    priority: str | None = None
    team: str | None = None
    organisation: str | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", EventKind(self.kind))
        except ValueError:
            raise ValueError(f"unknown event kind {self.kind!r}") from None
        _aware(self.at, f"{self.kind.name} event time")
        if self.kind is EventKind.STATE and not self.state:
            raise ValueError(f"STATE event at {self.at.isoformat()} needs a state")
        if self.kind is EventKind.PRIORITY and not self.priority:
            raise ValueError(f"PRIORITY event at {self.at.isoformat()} needs a priority")


@dataclass(frozen=True)
class Target:
    seconds: float
    calendar: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError(f"target seconds must be finite and >= 0, got {self.seconds!r}")


@dataclass(frozen=True)
class ServiceLevelSpec:
    """One service level: targets by priority, the calendars they are measured in, and what stops the clock.

    The mappings are copied and frozen on construction, so the spec cannot drift after validation.
    """

    name: str
    metric: Literal["response", "resolution"]
    targets: Mapping[str, Target]
    calendars: Mapping[str, CalendarVersions]
    pause_states: frozenset[str] = frozenset()
    response_states: frozenset[str] = frozenset({"in_progress"})
    holder_organisation: str | None = None
    warn_at: tuple[float, ...] = (0.5, 0.75, 0.9)

    def __post_init__(self) -> None:
        where = f"service level {self.name!r}"
        if self.metric not in ("response", "resolution"):
            raise ValueError(f"{where}: metric must be 'response' or 'resolution', got {self.metric!r}")
        if not self.calendars:
            raise ValueError(f"{where}: needs at least one calendar")
        calendars: dict[str, CalendarVersions] = {}
        for name, versions in self.calendars.items():
            versions = tuple((_aware(eff, f"{where}: calendar {name!r} effective_from"), cal) for eff, cal in versions)
            if not versions:
                raise ValueError(f"{where}: calendar {name!r} has no versions")
            if any(later[0] <= earlier[0] for earlier, later in pairwise(versions)):
                raise ValueError(f"{where}: calendar {name!r} versions must be sorted by effective_from, no repeats")
            calendars[name] = versions
        for priority, target in self.targets.items():
            if target.calendar not in calendars:
                raise ValueError(
                    f"{where}: priority {priority} is measured in calendar {target.calendar!r}, "
                    f"which is not one of its calendars ({', '.join(sorted(calendars))})"
                )
        if any(not math.isfinite(f) or f <= 0 for f in self.warn_at):
            raise ValueError(f"{where}: warn_at fractions must be positive, got {self.warn_at!r}")
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))
        object.__setattr__(self, "calendars", MappingProxyType(calendars))
        object.__setattr__(self, "pause_states", frozenset(self.pause_states))
        object.__setattr__(self, "response_states", frozenset(self.response_states))
        object.__setattr__(self, "warn_at", tuple(sorted(set(self.warn_at))))


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    status: Status
    reason: str
    rule: str
    calendar: str
    priority: str | None
    team: str | None
    organisation: str | None
    business_seconds: float


@dataclass(frozen=True)
class ClockResult:
    state: Literal["not_started", "running", "paused", "stopped"]
    priority: str | None
    target_seconds: float | None
    elapsed_seconds: float
    remaining_seconds: float | None
    due_at: datetime | None
    breached: bool
    breach_at: datetime | None
    stopped_at: datetime | None
    warnings: tuple[tuple[float, datetime], ...]
    segments: tuple[Segment, ...]
    by_organisation: Mapping[str, float]
    by_team: Mapping[str, float]
    paused_seconds: float


def version_label(name: str, effective_from: datetime, timezone: str = "Europe/London") -> str:
    """How a segment names a calendar version, in the calendar's own zone: "Office hours (from 2026-04-01)"."""
    local = effective_from.astimezone(ZoneInfo(timezone))
    if local.time() == time(0):
        return f"{name} (from {local.date().isoformat()})"
    return f"{name} (from {local.isoformat(timespec='minutes')})"


def compute(
    spec: ServiceLevelSpec, timeline: Sequence[TimelineEvent], *, now: datetime, start: datetime | None = None
) -> ClockResult:
    """Replay `timeline` up to `now` against `spec` (see the module docstring for the rules)."""
    now = _aware(now, "now")
    start = _aware(start, "start") if start is not None else None
    events = _ordered(timeline, start)
    if not events:
        return _not_started()
    clock_start = start if start is not None else _aware(events[0].at, "CREATED event time")
    if now < clock_start:
        return _not_started()
    phases, track = _phases(spec, events, clock_start, now)
    pieces = _pieces(spec, phases, now)

    meter = _Meter(spec.warn_at)
    paused = timedelta(0)
    by_org: defaultdict[str, timedelta] = defaultdict(timedelta)
    by_team: defaultdict[str, timedelta] = defaultdict(timedelta)
    for piece in pieces:
        meter.set_target(piece.target, piece.segment.start)
        if piece.segment.status == "running":
            meter.run(piece.segment.start, piece.business, piece.version)
            by_org[piece.segment.organisation or UNASSIGNED] += piece.business
            by_team[piece.segment.team or UNASSIGNED] += piece.business
        elif piece.segment.status == "paused":
            paused += piece.business
    final = phases[-1]
    target = _target(spec, track.priority)
    meter.set_target(target, now)  # a priority changed at `now` itself lasts no time but is in force

    due_at = None
    if final.status == "running" and target is not None:
        due_at = meter.reached_at or _add_across(
            spec.calendars[_target_calendar(spec, track.priority)], now, target - meter.elapsed
        )
    stopped_at = None
    if final.status == "stopped":
        for p in reversed(phases):  # the start of the final stop, not a stop-reopen-stop earlier
            if p.status != "stopped":
                break
            stopped_at = p.start
    return ClockResult(
        state="paused" if final.status == "not_held" else final.status,
        priority=track.priority,
        target_seconds=None if target is None else target.total_seconds(),
        elapsed_seconds=meter.elapsed.total_seconds(),
        remaining_seconds=None if target is None else (target - meter.elapsed).total_seconds(),
        due_at=due_at,
        breached=meter.breach_at is not None,
        breach_at=meter.breach_at,
        stopped_at=stopped_at,
        warnings=tuple(sorted(meter.warnings.items())),
        segments=tuple(p.segment for p in pieces),
        by_organisation={k: v.total_seconds() for k, v in by_org.items()},
        by_team={k: v.total_seconds() for k, v in by_team.items()},
        paused_seconds=paused.total_seconds(),
    )


# -- replaying the timeline --------------------------------------------------------------------


@dataclass
class _Track:
    """The record as the clock sees it after the events so far."""

    state: str
    priority: str | None
    team: str | None
    organisation: str | None
    resolved: bool = False
    stop: str | None = None  # why the clock is stopped; a response clock's stays set for good


@dataclass(frozen=True)
class _Phase:
    start: datetime
    status: Status
    reason: str
    priority: str | None
    team: str | None
    organisation: str | None


def _not_started() -> ClockResult:
    return ClockResult("not_started", None, None, 0.0, None, None, False, None, None, (), (), {}, {}, 0.0)


def _ordered(timeline: Sequence[TimelineEvent], start: datetime | None) -> list[TimelineEvent]:
    if not timeline:
        return []
    created = [e for e in timeline if e.kind is EventKind.CREATED]
    if len(created) != 1:
        raise ValueError(f"a timeline needs exactly one CREATED event, got {len(created)}")
    # sorted() is stable, so same-instant events keep their given order; CREATED goes first among them.
    events = sorted(timeline, key=lambda e: (_aware(e.at, "event time"), e.kind is not EventKind.CREATED))
    if events[0] is not created[0]:
        raise ValueError(
            f"{events[0].kind.name} event at {events[0].at.isoformat()} is before the CREATED event "
            f"at {created[0].at.isoformat()}"
        )
    if start is not None and start > created[0].at:
        raise ValueError(
            f"start {start.isoformat()} is after the CREATED event at {created[0].at.isoformat()}; "
            "a start can only be retroactive"
        )
    return events


def _apply(spec: ServiceLevelSpec, track: _Track, event: TimelineEvent) -> None:
    kind = event.kind
    if kind is EventKind.CREATED:
        track.state = event.state or "new"
    elif kind is EventKind.STATE:
        track.state = event.state or track.state
        track.resolved = track.state in RESOLVED_STATES
    elif kind is EventKind.PRIORITY:
        track.priority = event.priority
    elif kind is EventKind.ASSIGNED:
        track.team, track.organisation = event.team, event.organisation
    elif kind is EventKind.RESOLVED:
        track.state, track.resolved = event.state or "resolved", True
    elif kind is EventKind.CLOSED:
        track.state, track.resolved = event.state or "closed", True
    elif kind is EventKind.REOPENED:
        track.state, track.resolved = event.state or "in_progress", False
    if spec.metric == "resolution":
        track.stop = track.state if track.resolved else None
    elif track.stop is None and track.resolved:
        track.stop = "resolved"
    elif track.stop is None and track.state in spec.response_states:
        track.stop = f"responded ({track.state})"


def _status(spec: ServiceLevelSpec, track: _Track, *, retroactive: bool = False) -> tuple[Status, str]:
    if not retroactive:
        if track.stop is not None:
            return "stopped", f"stopped: {track.stop}"
        if track.state in spec.pause_states:
            return "paused", f"paused: {track.state}"
    if spec.holder_organisation is not None and track.organisation != spec.holder_organisation:
        return "not_held", f"not held: {track.organisation or 'unassigned'}"
    return "running", "running: retroactive start" if retroactive else "running"


def _phase(spec: ServiceLevelSpec, track: _Track, at: datetime, *, retroactive: bool = False) -> _Phase:
    status, reason = _status(spec, track, retroactive=retroactive)
    return _Phase(at, status, reason, track.priority, track.team, track.organisation)


def _phases(
    spec: ServiceLevelSpec, events: list[TimelineEvent], clock_start: datetime, now: datetime
) -> tuple[list[_Phase], _Track]:
    """One phase per distinct event instant (plus the retroactive one), each lasting until the next."""
    created = events[0]
    track = _Track("new", created.priority, created.team, created.organisation)
    phases = []
    if clock_start < _aware(created.at, "CREATED event time"):
        phases.append(_phase(spec, track, clock_start, retroactive=True))
    current = [e for e in events if e.at <= now]
    for at, group in groupby(current, key=lambda e: _aware(e.at, "event time")):
        for event in group:
            _apply(spec, track, event)
        phases.append(_phase(spec, track, at))
    return phases, track


# -- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    segment: Segment
    business: timedelta  # exact, so totals add up to the microsecond
    version: BusinessCalendar
    target: timedelta | None


def _target(spec: ServiceLevelSpec, priority: str | None) -> timedelta | None:
    target = spec.targets.get(priority) if priority is not None else None
    return None if target is None else timedelta(seconds=target.seconds)


def _target_calendar(spec: ServiceLevelSpec, priority: str | None, fallback: str | None = None) -> str:
    target = spec.targets.get(priority) if priority is not None else None
    if target is not None:
        return target.calendar
    if fallback is not None:
        return fallback
    first = next(iter(spec.targets.values()), None)
    return first.calendar if first is not None else next(iter(spec.calendars))


def _pieces(spec: ServiceLevelSpec, phases: list[_Phase], now: datetime) -> list[_Piece]:
    """Phases as segments: same-looking neighbours merged, then split where a calendar version begins."""
    spans: list[tuple[datetime, datetime, _Phase, str]] = []
    calendar: str | None = None
    for phase, following in zip(phases, [*phases[1:], None], strict=True):
        end = following.start if following is not None else now
        if end <= phase.start:
            continue  # only the phase opened by events at `now` itself can be empty
        calendar = _target_calendar(spec, phase.priority, calendar)
        if spans and _same(spans[-1][2], phase) and spans[-1][3] == calendar:
            spans[-1] = (spans[-1][0], end, spans[-1][2], calendar)
        else:
            spans.append((phase.start, end, phase, calendar))
    pieces = []
    for span_start, span_end, phase, name in spans:
        versions = spec.calendars[name]
        cuts = [eff for eff, _ in versions if span_start < eff < span_end]
        for start, end in zip([span_start, *cuts], [*cuts, span_end], strict=True):
            effective_from, version = versions[max(bisect_right([v[0] for v in versions], start) - 1, 0)]
            business = version.business_time(start, end)
            segment = Segment(
                start=start,
                end=end,
                status=phase.status,
                reason=phase.reason,
                rule=version.explain(start),
                calendar=version_label(name, effective_from, version.timezone),
                priority=phase.priority,
                team=phase.team,
                organisation=phase.organisation,
                business_seconds=business.total_seconds(),
            )
            pieces.append(_Piece(segment, business, version, _target(spec, phase.priority)))
    return pieces


def _same(a: _Phase, b: _Phase) -> bool:
    return (a.status, a.reason, a.priority, a.team, a.organisation) == (
        b.status, b.reason, b.priority, b.team, b.organisation
    )  # fmt: skip


def _add_across(versions: CalendarVersions, start: datetime, amount: timedelta) -> datetime:
    """`add_business_time` through calendar versions: each stretch is measured in the version in force."""
    froms = [eff for eff, _ in versions]
    i = max(bisect_right(froms, start) - 1, 0)
    cursor, remaining = start, amount
    while i + 1 < len(versions):
        available = versions[i][1].business_time(cursor, froms[i + 1])
        if remaining <= available:
            break
        remaining -= available
        cursor, i = max(cursor, froms[i + 1]), i + 1
    return versions[i][1].add_business_time(cursor, remaining)


@dataclass
class _Meter:
    """Elapsed business time against the target in force: warnings, and the breach once elapsed exceeds it."""

    warn_at: tuple[float, ...]
    elapsed: timedelta = timedelta(0)
    target: timedelta | None = None
    reached_at: datetime | None = None  # when elapsed reached the target in force, if it has
    breach_at: datetime | None = None
    warnings: dict[float, datetime] = field(default_factory=dict)

    def set_target(self, target: timedelta | None, at: datetime) -> None:
        if target == self.target:
            return  # a new priority with the same target keeps the instant it was reached
        self.target, self.reached_at = target, None
        if target is None:
            return
        if self.elapsed >= target:
            self.reached_at = at
        if self.elapsed > target and self.breach_at is None:
            self.breach_at = at
        for fraction in self.warn_at:
            if fraction not in self.warnings and self.elapsed >= target * fraction:
                self.warnings[fraction] = at

    def run(self, start: datetime, amount: timedelta, calendar: BusinessCalendar) -> None:
        """Count `amount` of running time from `start`; `calendar` places the crossings inside it."""
        target = self.target
        if target is not None and amount:
            after = self.elapsed + amount
            for fraction in self.warn_at:
                threshold = target * fraction
                if fraction not in self.warnings and after >= threshold:
                    still_to_go = max(threshold - self.elapsed, timedelta(0))
                    self.warnings[fraction] = calendar.add_business_time(start, still_to_go)
            if self.reached_at is None and after >= target:
                self.reached_at = calendar.add_business_time(start, target - self.elapsed)
            if self.breach_at is None and self.reached_at is not None and after > target:
                self.breach_at = self.reached_at
        self.elapsed += amount
