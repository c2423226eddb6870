"""Writes for the service catalogue, calendars and service levels."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from towers.contracts.models import (
    Calendar,
    CalendarClosure,
    CalendarHours,
    Contract,
    Metric,
    Service,
    ServiceLevel,
    ServiceOffering,
)
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import Organisation, Tower

SERVICE_LEVEL_FIELDS = [
    "code",
    "name",
    "kind",
    "contract",
    "service",
    "provider",
    "customer",
    "metric",
    "priority",
    "target",
    "calendar",
    "pause_states",
    "performance_measure",
    "threshold",
    "higher_is_better",
    "point_bands",
    "is_active",
    "starts_at",
    "ended_at",
]
TIME_METRICS = {Metric.RESPONSE, Metric.RESOLUTION}


def service_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    owner: Organisation,
    category: str,
    tower: Tower | None = None,
    description: str = "",
) -> Service:
    service = Service(code=code, name=name, owner=owner, category=category, tower=tower, description=description)
    ensure_can(actor, "catalogue.manage", service)
    validate(service)
    with transaction.atomic():
        service.save()
        audit.record(
            actor,
            "service.created",
            service,
            after=audit.snapshot(service, ["code", "name", "category", "owner", "tower"]),
        )
    return service


def offering_create(
    *, actor: Actor, service: Service, code: str, name: str, supplier: Organisation | None = None, description: str = ""
) -> ServiceOffering:
    offering = ServiceOffering(
        service=service, code=code, name=name, supplier=supplier or service.owner, description=description
    )
    ensure_can(actor, "catalogue.manage", service)
    validate(offering)
    with transaction.atomic():
        offering.save()
        audit.record(
            actor,
            "service.offering_added",
            service,
            after={"offering": offering.code, "name": name, "supplier": offering.supplier_id},
        )
    return offering


def calendar_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    owner: Organisation,
    always_open: bool = False,
    bank_holidays: bool = True,
    description: str = "",
) -> Calendar:
    calendar = Calendar(
        code=code, name=name, owner=owner, always_open=always_open, bank_holidays=bank_holidays, description=description
    )
    ensure_can(actor, "calendar.manage", owner)
    validate(calendar)
    with transaction.atomic():
        calendar.save()
        audit.record(
            actor,
            "calendar.created",
            calendar,
            after=audit.snapshot(calendar, ["code", "name", "always_open", "bank_holidays"]),
        )
    return calendar


def calendar_set_hours(
    *, actor: Actor, calendar: Calendar, effective_from: date, windows: list[tuple[int, time, time]]
) -> list[CalendarHours]:
    """Set the opening hours from `effective_from` on. Earlier hours stay in force before it, so past clocks keep."""
    ensure_can(actor, "calendar.manage", calendar)
    problems = [f"day {d}: {s:%H:%M}–{e:%H:%M}" for d, s, e in windows if not 0 <= d <= 6 or e <= s]
    if problems:
        raise ValidationFailed.one(
            "windows", "each window needs a weekday 0–6 and an end after its start: " + ", ".join(problems)
        )
    with transaction.atomic():
        before = [(h.weekday, h.start, h.end) for h in calendar.hours.filter(effective_from=effective_from)]
        calendar.hours.filter(effective_from=effective_from).delete()
        rows = CalendarHours.objects.bulk_create(
            CalendarHours(calendar=calendar, effective_from=effective_from, weekday=d, start=s, end=e)
            for d, s, e in sorted(windows)
        )
        audit.record(
            actor,
            "calendar.hours_set",
            calendar,
            before={"effective_from": effective_from, "windows": before},
            after={"effective_from": effective_from, "windows": sorted(windows)},
        )
        events.emit("contracts.calendar.changed", key=str(calendar.id), calendar_id=str(calendar.id))
    return rows


def calendar_add_closure(
    *, actor: Actor, calendar: Calendar, starts_at: datetime, ends_at: datetime, reason: str
) -> CalendarClosure:
    ensure_can(actor, "calendar.manage", calendar)
    closure = CalendarClosure(calendar=calendar, starts_at=starts_at, ends_at=ends_at, reason=reason)
    validate(closure)
    if ends_at <= starts_at:
        raise ValidationFailed.one("ends_at", "must be after starts_at")
    with transaction.atomic():
        closure.save()
        audit.record(
            actor,
            "calendar.closure_added",
            calendar,
            after={"starts_at": starts_at, "ends_at": ends_at, "reason": reason},
        )
        events.emit("contracts.calendar.changed", key=str(calendar.id), calendar_id=str(calendar.id))
    return closure


def _check_service_level(level: ServiceLevel) -> None:
    if level.metric in TIME_METRICS:
        if level.target is None or level.target <= timedelta(0):
            raise ValidationFailed.one("target", "a response or resolution service level needs a positive target")
        if level.calendar_id is None:
            raise ValidationFailed.one("calendar", "a response or resolution service level needs a calendar")
        if not level.priority:
            raise ValidationFailed.one("priority", "a response or resolution service level is per priority")
    if level.threshold is not None and level.threshold > level.performance_measure and level.higher_is_better:
        raise ValidationFailed.one("threshold", "the threshold must not be above the performance measure")
    if level.contract is not None and level.contract.supplier_id != level.provider_id:
        raise ValidationFailed.one("provider", "must be the supplier of the contract")
    for band in level.point_bands:
        if not (isinstance(band, list) and len(band) == 2):
            raise ValidationFailed.one("point_bands", "each band is [lower bound %, points]")
    if level.starts_at and level.ended_at and level.ended_at <= level.starts_at:
        raise ValidationFailed.one("ended_at", "must be after the level's start")


def service_level_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    service: Service,
    provider: Organisation,
    customer: Organisation,
    metric: str,
    performance_measure: Decimal,
    contract: Contract | None = None,
    **terms: Any,
) -> ServiceLevel:
    level = ServiceLevel(
        code=code,
        name=name,
        kind=kind,
        service=service,
        provider=provider,
        customer=customer,
        metric=metric,
        performance_measure=performance_measure,
        contract=contract,
        **terms,
    )
    ensure_can(actor, "service_level.manage", level)
    validate(level)
    _check_service_level(level)
    with transaction.atomic():
        level.save()
        audit.record(actor, "service_level.created", level, after=audit.snapshot(level, SERVICE_LEVEL_FIELDS))
        events.emit("contracts.service_level.created", key=str(level.id), service_level_id=str(level.id))
    return level


def service_level_update(
    *, actor: Actor, level: ServiceLevel, changes: dict[str, Any], expected_version: int | None = None
) -> ServiceLevel:
    ensure_can(actor, "service_level.manage", level)
    unknown = set(changes) - set(SERVICE_LEVEL_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    with transaction.atomic():
        before, after = apply_changes(level, changes, expected_version=expected_version)
        if before:
            validate(level)
            _check_service_level(level)
            audit.record(actor, "service_level.updated", level, before=before, after=after)
            events.emit("contracts.service_level.updated", key=str(level.id), service_level_id=str(level.id))
    return level
