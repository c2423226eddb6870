"""Clocks on records and monthly attainment: the engine and the bulk calculator fed from stored service levels."""

from __future__ import annotations

import calendar as monthcal
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from towers.contracts.calendars import business_calendar_versions
from towers.contracts.models import Metric, ServiceLevel
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.sla import bulk, clock
from towers.sla.models import ClockMeasurement, ServiceLevelResult
from towers.sla.services.results import save_result

LONDON = ZoneInfo("Europe/London")
BREACHES_KEPT_AS_EVIDENCE = 50


def service_level_spec(level: ServiceLevel) -> clock.ServiceLevelSpec:
    """The stored service level as the engine's specification (one priority, one calendar)."""
    if level.metric not in (Metric.RESPONSE, Metric.RESOLUTION) or level.target is None or level.calendar is None:
        raise ValidationFailed.one("metric", f"{level.code} is not measured by a clock")
    return clock.ServiceLevelSpec(
        name=level.code,
        metric=level.metric,  # type: ignore[arg-type]  # narrowed by the check above
        targets={level.priority: clock.Target(level.target.total_seconds(), level.calendar.code)},
        calendars={level.calendar.code: business_calendar_versions(level.calendar)},
        pause_states=frozenset(level.pause_states),
        holder_organisation=level.provider.code if level.kind == "ola" else None,
    )


def _measurement(
    level: ServiceLevel,
    spec: clock.ServiceLevelSpec,
    record_ref: str,
    timeline: list[clock.TimelineEvent],
    now: datetime,
) -> ClockMeasurement:
    try:
        result = clock.compute(spec, timeline, now=now)
    except ValueError as exc:
        raise ValidationFailed.one("timeline", f"{record_ref}: {exc}") from None
    pauses = [[s.start.isoformat(), s.end.isoformat()] for s in result.segments if s.status in {"paused", "not_held"}]
    return ClockMeasurement(
        service_level=level,
        record_ref=record_ref,
        priority=level.priority,
        started_at=result.segments[0].start if result.segments else now,
        stopped_at=result.stopped_at,
        pauses=pauses,
        elapsed_seconds=result.elapsed_seconds,
        breached=result.breached,
    )


def clocks_record(
    *, actor: Actor, level: ServiceLevel, records: list[tuple[str, list[clock.TimelineEvent], datetime]]
) -> list[ClockMeasurement]:
    """Measure records against `level` with the engine (each: reference, timeline, now) and keep the facts
    bulk attainment needs, replacing earlier measurements of the same records."""
    ensure_can(actor, "results.record", level)
    spec = service_level_spec(level)
    measurements = [_measurement(level, spec, ref, timeline, now) for ref, timeline, now in records]
    with transaction.atomic():
        ClockMeasurement.objects.filter(
            service_level=level, record_ref__in=[m.record_ref for m in measurements]
        ).delete()
        return ClockMeasurement.objects.bulk_create(measurements)


def clock_record(
    *, actor: Actor, level: ServiceLevel, record_ref: str, timeline: list[clock.TimelineEvent], now: datetime
) -> ClockMeasurement:
    """Measure one record against `level`."""
    return clocks_record(actor=actor, level=level, records=[(record_ref, timeline, now)])[0]


def month_bounds(period: date) -> tuple[datetime, datetime]:
    if period.day != 1:
        raise ValidationFailed.one("period", "must be the first day of a month")
    last = monthcal.monthrange(period.year, period.month)[1]
    start = datetime(period.year, period.month, 1, tzinfo=LONDON)
    end = datetime.combine(date(period.year, period.month, last), datetime.max.time(), tzinfo=LONDON)
    return start, end


def _batch(rows: list[ClockMeasurement], period_end: datetime) -> bulk.Batch:
    pause_record, pause_start, pause_end = [], [], []
    for index, row in enumerate(rows):
        for start, end in row.pauses:
            pause_record.append(index)
            pause_start.append(datetime.fromisoformat(start).timestamp())
            pause_end.append(datetime.fromisoformat(end).timestamp())
    return bulk.Batch.of(
        start=[row.started_at.timestamp() for row in rows],
        stop=[(row.stopped_at or period_end).timestamp() for row in rows],
        open=[row.stopped_at is None for row in rows],
        priority_index=[0] * len(rows),
        pause_record=pause_record,
        pause_start=pause_start,
        pause_end=pause_end,
    )


def attainment_compute(*, actor: Actor, level: ServiceLevel, period: date) -> ServiceLevelResult:
    """The share of the level's records that met their target in `period`, computed in bulk from their clocks.

    Records count in the month their outcome became known (breached, or else resolved); see towers.sla.bulk.
    The month is measured in the calendar version in force when it starts.
    """
    ensure_can(actor, "results.record", level)
    spec = service_level_spec(level)
    start, end = month_bounds(period)
    now = datetime.now(UTC)
    rows = list(
        ClockMeasurement.objects.filter(service_level=level, started_at__lte=end)
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=start))
        .order_by("started_at")
    )
    versions = spec.calendars[level.calendar.code]  # type: ignore[union-attr]  # checked by service_level_spec
    in_force = [cal for effective, cal in versions if effective <= start] or [versions[0][1]]
    target = bulk.PriorityTarget(level.priority, level.target.total_seconds(), in_force[-1])  # type: ignore[union-attr]
    months = bulk.monthly_attainment(bulk.measure(_batch(rows, min(end, now)), [target])) if rows else []
    month = next((m for m in months if m.month == period), None)
    measured, met = (month.overall.measured, month.overall.met) if month else (0, 0)
    actual = (Decimal(met) * 100 / Decimal(measured)).quantize(Decimal("0.001"), ROUND_HALF_UP) if measured else None
    if actual is None:
        raise ValidationFailed.one("period", f"no record of {level.code} was resolved or breached in {period:%B %Y}")
    breaches = [row.record_ref for row in rows if row.breached][:BREACHES_KEPT_AS_EVIDENCE]
    values = {
        "actual": actual,
        "measured": measured,
        "met": met,
        "source": ServiceLevelResult.Source.COMPUTED,
        "evidence": {
            "records_considered": len(rows),
            "breached_records": breaches,
            "rule": "counted in the month breached, or else resolved",
        },
    }
    return save_result(actor, level, period, values, "sla.attainment_computed")
