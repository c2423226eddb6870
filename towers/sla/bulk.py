"""Resolution attainment in bulk: business time for a million records at once, with numpy.

The per-record engine (`towers.sla.clock.compute`) replays one timeline at a time, which is right for a live
clock but far too slow for a month of history. Here a calendar is turned once into its cumulative business-time
function B(t) (open seconds before t), so a record's elapsed time is B(stop) - B(start) less B(end) - B(start)
of each pause, and every record is evaluated in the same few array operations.

Counting rule (which month a record is reported in): a record counts once, in the Europe/London calendar month
in which its outcome became known: the month it breached, if it breached (open or not); otherwise the month it
was resolved. An open record that has not breached is not measured yet. Reporting a breach in the month it
happens (not when the ticket is finally resolved) means re-running an earlier month never moves a record
between months and a record open across a month end is never counted twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike, NDArray

from towers.contracts.businesstime import BusinessCalendar
from towers.sla.clock import EventKind, ServiceLevelSpec, Target, TimelineEvent, compute

LONDON = ZoneInfo("Europe/London")

Float = NDArray[np.float64]
Bool = NDArray[np.bool_]
Index = NDArray[np.intp]


@dataclass(frozen=True)
class PriorityTarget:
    """What one priority of the service level promises: a resolution time, counted on a calendar."""

    priority: str
    seconds: float
    calendar: BusinessCalendar


@dataclass(frozen=True)
class Batch:
    """Measurements of one resolution service level, one row per record; times are UTC epoch seconds.

    `stop` is the resolution time, or "now" (the period end) for records still `open`. Pauses are flat arrays:
    pause i belongs to record `pause_record[i]`; a record's pauses do not overlap and lie within [start, stop].
    Times should be whole microseconds (as datetimes are): float64 holds those exactly enough at today's epoch.
    """

    start: Float
    stop: Float
    open: Bool
    priority_index: Index
    pause_record: Index
    pause_start: Float
    pause_end: Float

    @classmethod
    def of(
        cls,
        *,
        start: ArrayLike,
        stop: ArrayLike,
        open: ArrayLike,
        priority_index: ArrayLike,
        pause_record: ArrayLike = (),
        pause_start: ArrayLike = (),
        pause_end: ArrayLike = (),
    ) -> Batch:
        batch = cls(
            start=np.asarray(start, dtype=np.float64),
            stop=np.asarray(stop, dtype=np.float64),
            open=np.asarray(open, dtype=np.bool_),
            priority_index=np.asarray(priority_index, dtype=np.intp),
            pause_record=np.asarray(pause_record, dtype=np.intp),
            pause_start=np.asarray(pause_start, dtype=np.float64),
            pause_end=np.asarray(pause_end, dtype=np.float64),
        )
        if not len(batch.start) == len(batch.stop) == len(batch.open) == len(batch.priority_index):
            raise ValueError("start, stop, open and priority_index must have one entry per record")
        if not len(batch.pause_record) == len(batch.pause_start) == len(batch.pause_end):
            raise ValueError("pause_record, pause_start and pause_end must have one entry per pause")
        if (batch.stop < batch.start).any():
            raise ValueError(f"stop is before start for record {int(np.argmax(batch.stop < batch.start))}")
        if len(batch.pause_record):
            outside = (batch.pause_start < batch.start[batch.pause_record]) | (batch.pause_end < batch.pause_start)
            outside |= batch.pause_end > batch.stop[batch.pause_record]
            if outside.any():
                raise ValueError(
                    f"pause {int(np.argmax(outside))} is not an interval within its record's [start, stop]"
                )
        return batch

    def __len__(self) -> int:
        return len(self.start)

    def take(self, records: ArrayLike) -> Batch:
        """The batch of just `records` (distinct indices), in that order, with their pauses."""
        chosen = np.asarray(records, dtype=np.intp)
        renumber = np.full(len(self), -1, dtype=np.intp)
        renumber[chosen] = np.arange(len(chosen))
        pauses = renumber[self.pause_record] >= 0
        return Batch(
            start=self.start[chosen],
            stop=self.stop[chosen],
            open=self.open[chosen],
            priority_index=self.priority_index[chosen],
            pause_record=renumber[self.pause_record[pauses]],
            pause_start=self.pause_start[pauses],
            pause_end=self.pause_end[pauses],
        )


@dataclass(frozen=True)
class Outcome:
    """Per record: business seconds on the clock, whether it breached, and when its outcome became known."""

    elapsed: Float
    target: Float
    breached: Bool
    breach_at: Float  # epoch seconds; NaN where not breached
    measured: Bool  # resolved, or breached while open
    met: Bool  # measured and within target
    counted_at: Float  # the instant that places the record in a month (module docstring); NaN if not measured
    priority_index: Index
    priorities: tuple[str, ...]


@dataclass(frozen=True)
class Attainment:
    measured: int
    met: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.met / self.measured if self.measured else None


@dataclass(frozen=True)
class MonthAttainment:
    month: date  # the first day of the Europe/London calendar month
    overall: Attainment
    by_priority: dict[str, Attainment]


@dataclass(frozen=True)
class CumulativeBusinessTime:
    """B(t) for one calendar over a span: open business seconds between the span's start and t.

    B is piecewise linear: slope 1 inside an open interval, flat outside, so one `searchsorted` over the interval
    ends locates any number of instants at once.
    """

    starts: Float  # interval starts, with +inf appended so an instant after the last interval adds nothing
    ends: Float
    before: Float  # open seconds before each interval; the extra last entry is the span's total

    @classmethod
    def build(cls, calendar: BusinessCalendar, first: float, last: float) -> CumulativeBusinessTime:
        # Whole seconds either side, so the span converts to datetimes exactly (they hold microseconds).
        intervals = calendar.intervals(
            datetime.fromtimestamp(math.floor(first), UTC), datetime.fromtimestamp(math.ceil(last), UTC)
        )
        starts = np.array([s.timestamp() for s, _ in intervals], dtype=np.float64)
        ends = np.array([e.timestamp() for _, e in intervals], dtype=np.float64)
        before = np.concatenate(([0.0], np.cumsum(ends - starts)))
        return cls(starts=np.append(starts, np.inf), ends=ends, before=before)

    def at(self, t: Float) -> Float:
        """B at each instant of `t`."""
        # k = intervals wholly before t; t is before the end of interval k, so at most its whole length is added.
        k = np.searchsorted(self.ends, t, side="right")
        return self.before[k] + np.maximum(t - self.starts[k], 0.0)

    def instant(self, b: Float) -> Float:
        """The earliest instant at which B reaches each value of `b` (0 < b <= the span's total)."""
        k = np.searchsorted(self.before[1:], b, side="left")
        return self.starts[k] + (b - self.before[k])


def measure(batch: Batch, targets: Sequence[PriorityTarget]) -> Outcome:
    """Elapsed business time, breach and met for every record of `batch`; `priority_index` indexes `targets`."""
    n = len(batch)
    calendar_of, calendars = _calendar_index(targets)
    target_seconds = np.array([t.seconds for t in targets], dtype=np.float64)[batch.priority_index]
    record_calendar = calendar_of[batch.priority_index]
    pause_calendar = record_calendar[batch.pause_record]

    b_start, b_stop = np.zeros(n), np.zeros(n)
    b_pause_start, b_pause_end = np.zeros(len(batch.pause_record)), np.zeros(len(batch.pause_record))
    functions: list[CumulativeBusinessTime] = []
    # One pass per distinct calendar (a handful), never per record.
    for c, calendar in enumerate(calendars):
        records, pauses = record_calendar == c, pause_calendar == c
        if not records.any():
            functions.append(CumulativeBusinessTime.build(calendar, 0.0, 0.0))
            continue
        b = CumulativeBusinessTime.build(calendar, batch.start[records].min(), batch.stop[records].max())
        functions.append(b)
        b_start[records], b_stop[records] = b.at(batch.start[records]), b.at(batch.stop[records])
        b_pause_start[pauses], b_pause_end[pauses] = b.at(batch.pause_start[pauses]), b.at(batch.pause_end[pauses])

    paused = b_pause_end - b_pause_start
    elapsed = b_stop - b_start - np.bincount(batch.pause_record, weights=paused, minlength=n)
    breached = elapsed > target_seconds

    breach_at = np.full(n, np.nan)
    breach_b = _breach_coordinate(batch, b_start, b_pause_start, paused, target_seconds)
    for c, b in enumerate(functions):
        hit = breached & (record_calendar == c)
        breach_at[hit] = b.instant(breach_b[hit])
    # A zero target is reached at the start even when the calendar is closed then (as the clock has it).
    breach_at = np.maximum(breach_at, batch.start)

    return _outcome(batch, targets, elapsed, target_seconds, breached, breach_at)


def _calendar_index(targets: Sequence[PriorityTarget]) -> tuple[Index, list[BusinessCalendar]]:
    """Priorities that share a calendar (P1 and P2 on 24x7, say) share one B(t)."""
    calendars: list[BusinessCalendar] = []
    index = []
    for target in targets:
        if target.calendar not in calendars:
            calendars.append(target.calendar)
        index.append(calendars.index(target.calendar))
    return np.array(index, dtype=np.intp), calendars


def _breach_coordinate(batch: Batch, b_start: Float, b_pause_start: Float, paused: Float, target: Float) -> Float:
    """Each record's breach as a value of B: its start, plus the target, plus the pauses taken before it."""
    order = _pause_order(batch)
    record, length, b_ps = batch.pause_record[order], paused[order], b_pause_start[order]
    # Business seconds paused before each pause of the same record: a cumulative sum restarted at each record.
    taken = np.cumsum(length) - length
    first = np.ones(len(record), dtype=np.bool_)
    first[1:] = record[1:] != record[:-1]
    taken -= taken[first][np.cumsum(first) - 1]
    # The clock's reading when the pause begins; a pause that begins before the target is reached delays the
    # breach by its whole length (the clock stands still through it).
    reading = b_ps - b_start[record] - taken
    delaying = np.where(reading < target[record], length, 0.0)
    return b_start + target + np.bincount(record, weights=delaying, minlength=len(batch))


def _pause_order(batch: Batch) -> Index:
    """Pauses by record, then time; an empty pause sorts before a pause starting at the same instant, so a
    replay of the events leaves the record paused there."""
    return np.lexsort((batch.pause_end, batch.pause_start, batch.pause_record))


def _outcome(
    batch: Batch,
    targets: Sequence[PriorityTarget],
    elapsed: Float,
    target: Float,
    breached: Bool,
    breach_at: Float,
) -> Outcome:
    measured = ~batch.open | breached
    return Outcome(
        elapsed=elapsed,
        target=target,
        breached=breached,
        breach_at=breach_at,
        measured=measured,
        met=measured & ~breached,
        counted_at=np.where(breached, breach_at, np.where(batch.open, np.nan, batch.stop)),
        priority_index=batch.priority_index,
        priorities=tuple(t.priority for t in targets),
    )


def monthly_attainment(outcome: Outcome) -> list[MonthAttainment]:
    """Measured, met and attainment per Europe/London calendar month, overall and per priority."""
    counted = outcome.measured & ~np.isnan(outcome.counted_at)
    if not counted.any():
        return []
    months = _months(float(outcome.counted_at[counted].min()), float(outcome.counted_at[counted].max()))
    boundaries = np.array([m.timestamp() for m in months], dtype=np.float64)
    month = np.searchsorted(boundaries, outcome.counted_at[counted], side="right") - 1
    p = len(outcome.priorities)
    key = month * p + outcome.priority_index[counted]
    measured = np.bincount(key, minlength=len(months) * p).reshape(len(months), p)
    met = np.bincount(key, weights=outcome.met[counted], minlength=len(months) * p).reshape(len(months), p)
    return [
        MonthAttainment(
            month=months[m].date(),
            overall=Attainment(measured=int(measured[m].sum()), met=int(met[m].sum())),
            by_priority={
                name: Attainment(measured=int(measured[m, i]), met=int(met[m, i]))
                for i, name in enumerate(outcome.priorities)
            },
        )
        for m in range(len(months))
    ]


def _months(first: float, last: float) -> list[datetime]:
    """Midnight London on the first of each month from the one holding `first` to the one holding `last`."""
    current = datetime.fromtimestamp(first, LONDON).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = datetime.fromtimestamp(last, LONDON)
    months = []
    while current <= end:
        months.append(current)
        current = current.replace(year=current.year + current.month // 12, month=current.month % 12 + 1)
    return months


def reference_elapsed(batch: Batch, targets: Sequence[PriorityTarget], *, pause_state: str = "on_hold") -> Outcome:
    """The same outcome, record by record, through the per-record clock engine: the reference `measure` must match.

    Each record becomes a timeline (CREATED at start with its priority, into `pause_state` at each pause start and
    back to "in_progress" at each pause end, RESOLVED at stop unless open) replayed with now = stop. Warnings are
    switched off: the bulk path computes none, so leaving them on would inflate the bulk path's speed-up.
    """
    calendar_of, calendars = _calendar_index(targets)
    names = [f"{c}: {calendar.name}" for c, calendar in enumerate(calendars)]
    epoch = datetime.fromtimestamp(0, UTC)
    spec = ServiceLevelSpec(
        name="bulk reference",
        metric="resolution",
        targets={t.priority: Target(t.seconds, names[calendar_of[i]]) for i, t in enumerate(targets)},
        calendars={name: ((epoch, calendar),) for name, calendar in zip(names, calendars, strict=True)},
        pause_states=frozenset({pause_state}),
        warn_at=(),
    )
    n = len(batch)
    order = _pause_order(batch)
    first_pause = np.searchsorted(batch.pause_record[order], np.arange(n + 1))
    elapsed, breached, breach_at = np.zeros(n), np.zeros(n, dtype=np.bool_), np.full(n, np.nan)
    for r in range(n):
        start, stop = _instant(batch.start[r]), _instant(batch.stop[r])
        timeline = [TimelineEvent(start, EventKind.CREATED, priority=targets[batch.priority_index[r]].priority)]
        for p in order[first_pause[r] : first_pause[r + 1]]:
            timeline.append(TimelineEvent(_instant(batch.pause_start[p]), EventKind.STATE, state=pause_state))
            timeline.append(TimelineEvent(_instant(batch.pause_end[p]), EventKind.STATE, state="in_progress"))
        if not batch.open[r]:
            timeline.append(TimelineEvent(stop, EventKind.RESOLVED))
        clock = compute(spec, timeline, now=stop)
        elapsed[r], breached[r] = clock.elapsed_seconds, clock.breached
        if clock.breach_at is not None:
            breach_at[r] = clock.breach_at.timestamp()
    target_seconds = np.array([t.seconds for t in targets], dtype=np.float64)[batch.priority_index]
    return _outcome(batch, targets, elapsed, target_seconds, breached, breach_at)


def _instant(epoch_seconds: np.float64) -> datetime:
    return datetime.fromtimestamp(float(epoch_seconds), UTC)
