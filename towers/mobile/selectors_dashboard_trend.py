"""The fleet's twelve-month trend, counted in the database by month rather than device by device.

Method. Months are calendar months in the site's time zone (Europe/London); a figure is taken at the end of each
month (for the current month: now).

- In service at a month's end: enrolled (else created) by then and not yet retired. A device is retired from its
  first DeviceEvent whose status is "retired"; a device that is retired today without such an event is taken as
  retired from its last update. One GROUP BY (start month, retirement month), then sums in Python.
- Non-compliant at a month's end: the device is in service and its latest "compliance_changed" event
  (data {"compliance": …}, or data {"reasons": [breaches]} as devices_evaluate writes it) at or before that
  moment says non-compliant. Each non-compliant event holds from its
  own month until the month of the device's next such event; one GROUP BY (from, until, retirement month). Where the
  devices have no such events at all, there is no history: past months show no figure and the current month
  shows today's count of non-compliant devices in service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Case, Count, DateTimeField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from towers.mobile.models import Compliance, Device, DeviceEvent, DeviceStatus

MONTHS = 12
COMPLIANCE_EVENT = "compliance_changed"


@dataclass(frozen=True)
class TrendPoint:
    month: date
    in_service: int
    non_compliant: int | None  # None: no compliance history for that month

    @property
    def non_compliant_share(self) -> float | None:
        if self.non_compliant is None or not self.in_service:
            return None
        return self.non_compliant / self.in_service


def fleet_trend(
    devices: QuerySet[Device], *, today: date, non_compliant_now: int
) -> tuple[tuple[TrendPoint, ...], bool]:
    """The last twelve months of `devices` (already restricted to the actor); True when compliance history exists.

    non_compliant_now (today's non-compliant devices in service) is the current month's figure without history.
    """
    months = _months(today)
    in_service = _in_service(devices, months)
    history = _non_compliant(devices, months)
    non_compliant: list[int | None] = [None] * (MONTHS - 1) + [non_compliant_now] if history is None else [*history]
    points = tuple(TrendPoint(m, n, nc) for m, n, nc in zip(months, in_service, non_compliant, strict=True))
    return points, history is not None


def _months(today: date) -> list[date]:
    first = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return [date((first + i) // 12, (first + i) % 12 + 1, 1) for i in range(MONTHS)]


def _retired_at(device: str) -> Coalesce:
    """When the device (a path from the query's rows, "" for the device itself) was retired, or null."""
    prefix = f"{device}__" if device else ""
    first_retirement = (
        DeviceEvent.objects.filter(device=OuterRef(device or "pk"), status=DeviceStatus.RETIRED)
        .order_by("at")
        .values("at")[:1]
    )
    retired_now = When(**{f"{prefix}status": DeviceStatus.RETIRED}, then=F(f"{prefix}updated_at"))
    return Coalesce(Subquery(first_retirement), Case(retired_now), output_field=DateTimeField())


def _bucket(name: str, months: list[date]) -> Case:
    """The index of the first month by whose end `name` had happened: 0 for the first month or before, MONTHS
    when after the last month or never (null). Plain comparisons: on SQLite a date truncation is a Python call."""
    ends = [*months[1:], date(months[-1].year + months[-1].month // 12, months[-1].month % 12 + 1, 1)]
    # The null test first: SQLite evaluates a correlated subquery at every When that names it, and most are null.
    whens = [When(**{f"{name}__isnull": True}, then=Value(MONTHS))]
    whens += [
        When(**{f"{name}__lt": timezone.make_aware(datetime.combine(end, time.min))}, then=Value(index))
        for index, end in enumerate(ends)
    ]
    return Case(*whens, default=Value(MONTHS), output_field=IntegerField())


def _holds(month: int, start: int, until: int) -> bool:
    """Whether a state that began in month `start` and ended in month `until` holds at the end of `month`."""
    return start <= month < until


def _grouped(rows: QuerySet[Any]) -> list[tuple[tuple[Any, ...], int]]:
    """Each distinct combination of the rows' values with how many rows share it."""
    return [(tuple(row[:-1]), row[-1]) for row in rows.annotate(n=Count("pk")).order_by()]


def _says_non_compliant() -> Q:
    """The event's data names the new state, or (as devices_evaluate writes it) lists the breaches that made it."""
    named = Q(data__compliance=Compliance.NON_COMPLIANT)
    return named | (Q(data__has_key="reasons") & ~Q(data__has_key="compliance") & ~Q(data__reasons=[]))


def _in_service(devices: QuerySet[Device], months: list[date]) -> list[int]:
    rows = (
        devices.alias(started=Coalesce("enrolled_at", "created_at"), retired_at=_retired_at(""))
        .annotate(start=_bucket("started", months), retired=_bucket("retired_at", months))
        .values_list("start", "retired")
    )
    groups = _grouped(rows)
    return [sum(n for (start, retired), n in groups if _holds(m, start, retired)) for m in range(MONTHS)]


def _non_compliant(devices: QuerySet[Device], months: list[date]) -> list[int] | None:
    events = DeviceEvent.objects.filter(device__in=devices.values("pk"), kind=COMPLIANCE_EVENT)
    later = DeviceEvent.objects.filter(device=OuterRef("device"), kind=COMPLIANCE_EVENT).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id"))
    )
    rows = (
        events.filter(_says_non_compliant())
        .alias(next_at=Subquery(later.order_by("at", "id").values("at")[:1]), retired_at=_retired_at("device"))
        .annotate(start=_bucket("at", months), until=_bucket("next_at", months), retired=_bucket("retired_at", months))
        .values_list("start", "until", "retired")
    )
    grouped = _grouped(rows)
    if not grouped and not events.exists():
        return None
    return [
        sum(n for (start, until, retired), n in grouped if _holds(m, start, min(until, retired))) for m in range(MONTHS)
    ]
