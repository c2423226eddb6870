"""Business-time calendars: when a service is "open", and how much open time lies between instants.

Pure Python (no Django), so the SLA clock can be tested, benchmarked and vectorised alone.

Rules, in the order `explain` applies them:

1. A closure (an aware [start, end) the authority adds) closes whatever it covers.
2. A holiday closes its whole *local* day, whatever that day's length (23 or 25 hours on BST days).
3. An `always_open` calendar is otherwise open; any other calendar is open when the instant's local
   wall-clock reading (weekday and time of day, in `timezone`) lies inside one of that weekday's
   `WorkingHours` windows, each half-open [start, end).

Wall-clock semantics on the days the clocks change (Europe/London, 01:00 UTC both times):

* An 08:00-18:00 window is 10 hours on both change days; a whole day is 23 hours on the last
  Sunday of March and 25 hours on the last Sunday of October.
* Spring forward: readings 01:00-01:59 never occur, so a window is open exactly while the clock
  *shows* a time inside it. 00:30-02:30 gives 00:30 GMT to 02:30 BST: one real hour. A window
  lying wholly in the gap (01:15-01:45) is empty that day.
* Fall back: readings 01:00-01:59 occur twice and a window is open both times, so 00:30-01:30
  is open 00:30-01:30 BST and again 01:00-01:30 GMT (1.5 hours, in two pieces). The rule was
  chosen because it needs no tie-break: open-or-closed depends only on what the clock shows,
  so `explain` and `intervals` always agree.

`WorkingHours.end` of `time.max` means "until midnight" (the start of the next local day), since a
`time` cannot say 24:00. The engine assumes at most one UTC-offset change per local day, which holds
for every zone in the tz database in modern times.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Span = tuple[datetime, datetime]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIDNIGHT = time.max  # as a window end: "until the end of the local day"
_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_MAX_CHUNK = timedelta(days=366)  # add_business_time looks ahead at most a year at a time


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got naive {value.isoformat()} (attach a tzinfo)")
    return value.astimezone(UTC)


def _fmt(t: time) -> str:
    if t == MIDNIGHT:
        return "24:00"
    return t.strftime("%H:%M" if not (t.second or t.microsecond) else "%H:%M:%S")


@dataclass(frozen=True)
class WorkingHours:
    """One opening window on one weekday, in local wall-clock time: [start, end), end=time.max for midnight."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working hours are local wall-clock times: give times without tzinfo")
        if self.end <= self.start:
            raise ValueError(
                f"working hours end {self.end} must be after start {self.start} "
                "(use time.max for 'until midnight'; split overnight windows across two days)"
            )

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {_fmt(self.start)}–{_fmt(self.end)}"


@dataclass(frozen=True)
class Closure:
    """A closure the authority adds (site move, force-wide shutdown): [start, end), aware datetimes."""

    start: datetime
    end: datetime
    reason: str

    def __post_init__(self) -> None:
        if _utc(self.end, "closure end") <= _utc(self.start, "closure start"):
            raise ValueError(f"closure {self.reason!r} must end after it starts")


class HolidayMap(Mapping[date, str]):
    """An immutable, hashable date → name mapping, so a calendar stays hashable (a dict key, cacheable)."""

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[date, str] | Iterable[tuple[date, str]] = ()) -> None:
        pairs = dict(items.items() if isinstance(items, Mapping) else items)
        for day, name in pairs.items():
            # datetime is a date subclass; a datetime key would silently never match a local day.
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"holiday keys must be dates, got {day!r}")
            if not isinstance(name, str):
                raise ValueError(f"holiday {day} needs a name, got {name!r}")
        self._items: dict[date, str] = dict(sorted(pairs.items()))
        self._hash = hash(frozenset(self._items.items()))

    def __getitem__(self, key: date) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:  # Mapping's default goes through a KeyError per miss
        return key in self._items

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and self._items == dict(other.items())

    def __repr__(self) -> str:
        return f"HolidayMap({self._items!r})"


NO_HOLIDAYS = HolidayMap()


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours, holidays and closures in one time zone; all inputs and outputs are aware datetimes.

    Pass `holidays` as any mapping (a dict is fine): it is frozen into a `HolidayMap` on construction,
    so later changes to the caller's dict do not leak in and the calendar stays hashable.
    """

    name: str
    hours: tuple[WorkingHours, ...] = ()
    always_open: bool = False
    holidays: Mapping[date, str] = NO_HOLIDAYS
    closures: tuple[Closure, ...] = ()
    timezone: str = "Europe/London"
    # Derived once: merged windows per weekday, merged closures in UTC, sorted holiday days.
    _weekly: tuple[tuple[tuple[time, time], ...], ...] = field(init=False, repr=False, compare=False)
    _closed: tuple[Span, ...] = field(init=False, repr=False, compare=False)
    _holiday_days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a calendar needs a name")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"calendar {self.name!r}: unknown time zone {self.timezone!r}") from None
        hours, closures = tuple(self.hours), tuple(self.closures)
        if self.always_open and hours:
            raise ValueError(f"calendar {self.name!r} is always open, so it takes no working hours")
        holidays = self.holidays if isinstance(self.holidays, HolidayMap) else HolidayMap(self.holidays)
        assign = object.__setattr__  # frozen dataclass: normalise the inputs once, here
        assign(self, "hours", hours)
        assign(self, "closures", closures)
        assign(self, "holidays", holidays)
        assign(self, "_weekly", tuple(_merge_windows(w for w in hours if w.weekday == d) for d in range(7)))
        spans = sorted((_utc(c.start, "closure start"), _utc(c.end, "closure end")) for c in closures)
        assign(self, "_closed", tuple(_merge(spans)))
        assign(self, "_holiday_days", tuple(holidays))

    # -- queries -----------------------------------------------------------------------------

    def intervals(self, start: datetime, end: datetime) -> list[Span]:
        """Open (business) intervals within [start, end), as aware UTC datetimes, sorted, non-overlapping, merged."""
        lo, hi = _utc(start, "start"), _utc(end, "end")
        return self._open_spans(lo, hi) if lo < hi else []

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Open time within [start, end), exact to the microsecond; zero if end <= start."""
        lo, hi = _utc(start, "start"), _utc(end, "end")
        if hi <= lo:
            return timedelta(0)
        if self.always_open and not self._closed and not self._holiday_days:
            return hi - lo
        return sum((e - s for s, e in self._open_spans(lo, hi)), timedelta(0))

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds within [start, end); 0 if end <= start."""
        return self.business_time(start, end).total_seconds()

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant (UTC) by which `amount` of open time has elapsed since `start`.

        A zero amount returns `start` even when closed; otherwise the answer is never in a closed
        period, so an amount that exactly fills the day ends at closing time, not at next opening.
        """
        lo = _utc(start, "start")
        if amount < timedelta(0):
            raise ValueError(f"cannot add negative business time ({amount})")
        if not amount:
            return lo
        if not self.always_open and not any(self._weekly):
            raise ValueError(f"calendar {self.name!r} has no working hours, so it never opens")
        remaining, cursor = amount, lo
        # Look ahead in growing chunks: a 4-hour target needs one short look, a target of weeks a few
        # long ones; closed days cost nothing because only open spans are returned. This ends: the
        # weekly hours open every week, and holidays and closures are finite.
        chunk = min(max(timedelta(days=7), amount * 4), _MAX_CHUNK)
        try:
            if self.always_open and not self._closed and not self._holiday_days:
                return lo + amount
            while True:
                stop = cursor + chunk
                for s, e in self._open_spans(cursor, stop):
                    if remaining <= e - s:
                        return s + remaining
                    remaining -= e - s
                cursor, chunk = stop, min(chunk * 2, _MAX_CHUNK)
        except OverflowError:
            raise ValueError(f"adding {amount} of business time to {start} runs past the year 9999") from None

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of business time have elapsed since `start` (`start` itself for 0)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"business seconds to add must be finite and >= 0, got {seconds!r}")
        return self.add_business_time(start, timedelta(seconds=seconds))

    def explain(self, instant: datetime) -> str:
        """Why the calendar is open or closed at `instant`, e.g. "open: Mon 08:00–18:00"."""
        at = _utc(instant, "instant")
        for closure in self.closures:
            if closure.start <= at < closure.end:
                return f"closed: closure ({closure.reason})"
        local = at.astimezone(ZoneInfo(self.timezone))
        holiday = self.holidays.get(local.date())
        if holiday is not None:
            return f"closed: bank holiday ({holiday})"
        if self.always_open:
            return "open: 24x7"
        reading = local.time()
        for start, end in self._weekly[local.weekday()]:
            if start <= reading and (reading < end or end == MIDNIGHT):
                return f"open: {WEEKDAYS[local.weekday()]} {_fmt(start)}–{_fmt(end)}"
        return "closed: outside business hours"

    # -- machinery ---------------------------------------------------------------------------

    def _open_spans(self, lo: datetime, hi: datetime) -> list[Span]:
        spans = self._always_open_spans(lo, hi) if self.always_open else self._weekly_spans(lo, hi)
        if self._closed and spans:
            spans = _subtract(spans, self._closed)
        return spans

    def _weekly_spans(self, lo: datetime, hi: datetime) -> list[Span]:
        tz = ZoneInfo(self.timezone)
        day, last = lo.astimezone(tz).date(), (hi - _TICK).astimezone(tz).date()
        out: list[Span] = []
        while day <= last:
            windows = self._weekly[day.weekday()]
            if windows and day not in self.holidays:
                for s, e in _open_on_day(self.timezone, day, windows):
                    s, e = max(s, lo), min(e, hi)
                    if s >= e:
                        continue
                    if out and out[-1][1] == s:  # a window to midnight meets the next day's from midnight
                        out[-1] = (out[-1][0], e)
                    else:
                        out.append((s, e))
            day += _DAY
        return out

    def _always_open_spans(self, lo: datetime, hi: datetime) -> list[Span]:
        if not self._holiday_days:
            return [(lo, hi)]
        tz = ZoneInfo(self.timezone)
        first, last = lo.astimezone(tz).date(), (hi - _TICK).astimezone(tz).date()
        known = self._holiday_days
        days = known[bisect_right(known, first - _DAY) : bisect_right(known, last)]
        return _subtract([(lo, hi)], [_local_day(self.timezone, d) for d in days])


def _merge_windows(windows: Iterable[WorkingHours]) -> tuple[tuple[time, time], ...]:
    merged: list[tuple[time, time]] = []
    for w in sorted(windows, key=lambda w: (w.start, w.end)):
        if merged and w.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], w.end))
        else:
            merged.append((w.start, w.end))
    return tuple(merged)


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Merge sorted spans that overlap or touch."""
    out: list[Span] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _subtract(spans: list[Span], cuts: Iterable[Span]) -> list[Span]:
    """`spans` minus `cuts`; both sorted, non-overlapping."""
    cuts = list(cuts)
    out: list[Span] = []
    j = 0
    for s, e in spans:
        while j < len(cuts) and cuts[j][1] <= s:
            j += 1
        k, cursor = j, s
        while k < len(cuts) and cuts[k][0] < e:
            if cuts[k][0] > cursor:
                out.append((cursor, cuts[k][0]))
            cursor = max(cursor, cuts[k][1])
            k += 1
        if cursor < e:
            out.append((cursor, e))
    return out


def _offset_at(tz: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset for an aware instant
    return offset


def _jump_in(tz: ZoneInfo, lo: datetime, hi: datetime) -> datetime:
    """The first instant in (lo, hi] already on hi's UTC offset (lo is on another): the moment the clocks change."""
    target = _offset_at(tz, hi)
    while hi - lo > _TICK:
        mid = lo + (hi - lo) / 2
        if _offset_at(tz, mid) == target:
            hi = mid
        else:
            lo = mid
    return hi


def _first_showing(tz: ZoneInfo, local: datetime) -> datetime:
    """The first instant whose wall-clock reading is at or after the naive `local`."""
    early = local.replace(tzinfo=tz).astimezone(UTC)
    late = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if early == late:
        return early
    lo, hi = min(early, late), max(early, late)
    if lo.astimezone(tz).replace(tzinfo=None) == local:
        return lo  # a repeated reading (fall back): its first showing
    return _jump_in(tz, lo, hi)  # a skipped reading (spring forward): the clocks jump past it


@lru_cache(maxsize=8192)
def _day_pieces(tz_name: str, day: date) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """The UTC span of one local day, cut where the UTC offset changes, each piece with its offset."""
    tz = ZoneInfo(tz_name)
    midnight = datetime.combine(day, time())
    start, end = _first_showing(tz, midnight), _first_showing(tz, midnight + _DAY)
    before, after = _offset_at(tz, start), _offset_at(tz, end - _TICK)
    if before == after:
        return ((start, end, before),)
    jump = _jump_in(tz, start, end - _TICK)
    return ((start, jump, before), (jump, end, after))


def _local_day(tz_name: str, day: date) -> Span:
    pieces = _day_pieces(tz_name, day)
    return pieces[0][0], pieces[-1][1]


@lru_cache(maxsize=65536)
def _open_on_day(tz_name: str, day: date, windows: tuple[tuple[time, time], ...]) -> tuple[Span, ...]:
    """Instants on local `day` whose wall-clock reading lies in one of `windows`, as merged UTC spans."""
    spans: list[Span] = []
    next_midnight = datetime.combine(day + _DAY, time(), UTC)
    for start, end in windows:
        # A wall-clock reading r is shown at instant u when u + offset == r, so the window [a, b) on a
        # piece of constant offset is [a - offset, b - offset), clipped to the piece.
        a = datetime.combine(day, start, UTC)
        b = next_midnight if end == MIDNIGHT else datetime.combine(day, end, UTC)
        for piece_start, piece_end, offset in _day_pieces(tz_name, day):
            s, e = max(piece_start, a - offset), min(piece_end, b - offset)
            if s < e:
                spans.append((s, e))
    return tuple(_merge(sorted(spans)))


# -- constructors ----------------------------------------------------------------------------


def england_and_wales_holidays(years: Iterable[int]) -> dict[date, str]:
    """Bank holidays in England and Wales (substitute days included, e.g. "Boxing Day (observed)")."""
    import holidays  # imported here: it is large, and most callers of this module never need it

    return dict(holidays.country_holidays("GB", subdiv="ENG", years=sorted(set(years))).items())


def office_hours(
    name: str,
    start: time = time(8),
    end: time = time(18),
    weekdays: Iterable[int] = range(5),
    *,
    bank_holidays_years: Iterable[int] | None = None,
    closures: Iterable[Closure] = (),
    timezone: str = "Europe/London",
) -> BusinessCalendar:
    """The same hours on each of `weekdays` (Mon-Fri by default), closed on E&W bank holidays of the years given."""
    hours = tuple(WorkingHours(day, start, end) for day in sorted(set(weekdays)))
    holidays = england_and_wales_holidays(bank_holidays_years) if bank_holidays_years is not None else {}
    return BusinessCalendar(name, hours=hours, holidays=holidays, closures=tuple(closures), timezone=timezone)


def twenty_four_seven(name: str = "24x7") -> BusinessCalendar:
    """Always open: every wall-clock second counts (23 hours on the spring-forward day, 25 in autumn)."""
    return BusinessCalendar(name, always_open=True)
