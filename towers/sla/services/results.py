"""Monthly results per service level: reported (availability, KPIs) or computed from the records' clocks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from towers.contracts.models import ServiceLevel
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.sla.models import ServiceLevelResult


def save_result(
    actor: Actor, level: ServiceLevel, period: date, values: dict[str, Any], action: str
) -> ServiceLevelResult:
    with transaction.atomic():
        existing = ServiceLevelResult.objects.select_for_update().filter(service_level=level, period=period).first()
        before = (
            {"actual": existing.actual, "measured": existing.measured, "met": existing.met, "source": existing.source}
            if existing
            else None
        )
        result, _ = ServiceLevelResult.objects.update_or_create(service_level=level, period=period, defaults=values)
        audit.record(actor, action, level, before=before, after={"period": period, **values})
        events.emit("sla.result.recorded", key=str(level.id), service_level_id=str(level.id), period=period.isoformat())
    return result


def result_report(
    *, actor: Actor, level: ServiceLevel, period: date, actual: Decimal, evidence: dict[str, Any] | None = None
) -> ServiceLevelResult:
    """Record a measured figure for a period (availability %, a KPI) with where it came from."""
    ensure_can(actor, "results.record", level)
    if period.day != 1:
        raise ValidationFailed.one("period", "must be the first day of a month")
    if not Decimal(0) <= actual <= Decimal(100):
        raise ValidationFailed.one("actual", "must be a percentage between 0 and 100")
    values = {
        "actual": actual,
        "measured": 0,
        "met": 0,
        "source": ServiceLevelResult.Source.REPORTED,
        "evidence": evidence or {},
    }
    return save_result(actor, level, period, values, "sla.result_reported")
