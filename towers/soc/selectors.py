"""Reads for the SOC, restricted to what the actor may see, with constant query counts; MTTD, MTTA and MTTR."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.core.permissions import get_visible, visible_to
from towers.soc.models import Alert, AlertStatus, DetectionRule, SecurityCase

OPEN_ALERT_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)


def alert_list(
    *, actor: Actor, status: str = "", severity: str = "", rule: str = "", host: str = "", open_only: bool = False
) -> QuerySet[Alert]:
    qs = visible_to(actor, Alert.objects).select_related("rule", "ci", "case")
    if status:
        qs = qs.filter(status=status)
    elif open_only:
        qs = qs.filter(status__in=OPEN_ALERT_STATUSES)
    if severity:
        qs = qs.filter(severity=severity)
    if rule:
        qs = qs.filter(rule__rule_id=rule)
    if host:
        qs = qs.filter(host__icontains=host)
    return qs.order_by("-last_seen", "id")


def alert_get(*, actor: Actor, id: UUID | str) -> Alert:
    return get_visible(actor, Alert.objects.select_related("rule", "ci", "case"), pk=id)


def alerts_get(*, actor: Actor, ids: list[UUID]) -> list[Alert]:
    """Every alert named, or NotFound if any is missing or not the actor's to see."""
    alerts = list(visible_to(actor, Alert.objects).select_related("rule", "case").filter(pk__in=ids))
    if len(alerts) != len(set(ids)):
        raise NotFound("No such alert.")
    return alerts


def case_list(*, actor: Actor, status: str = "") -> QuerySet[SecurityCase]:
    qs = visible_to(actor, SecurityCase.objects).select_related("ci", "incident", "assignee")
    return (qs.filter(status=status) if status else qs).order_by("-opened_at", "id")


def case_get(*, actor: Actor, id: UUID | str) -> SecurityCase:
    related = ("ci__service", "ci__owner", "ci__support_team__organisation", "incident__team", "assignee")
    return get_visible(actor, SecurityCase.objects.select_related(*related), pk=id)


def rule_list(*, actor: Actor, enabled: bool | None = None, search: str = "") -> QuerySet[DetectionRule]:
    qs = visible_to(actor, DetectionRule.objects)
    if enabled is not None:
        qs = qs.filter(enabled=enabled)
    if search:
        qs = qs.filter(title__icontains=search)
    return qs.order_by("title", "id")


def rule_get(*, actor: Actor, id: UUID | str) -> DetectionRule:
    return get_visible(actor, DetectionRule.objects, pk=id)


@dataclass(frozen=True)
class CaseMetrics:
    mttd: timedelta | None
    mtta: timedelta | None
    mttr: timedelta | None


def _span(start: datetime | None, end: datetime | None) -> timedelta | None:
    return end - start if start is not None and end is not None else None


def case_metrics(case: SecurityCase) -> CaseMetrics:
    """MTTD: first event to first alert; MTTA: first alert to acknowledgement; MTTR: opened to resolved."""
    return CaseMetrics(
        mttd=_span(case.detected_at, case.alerted_at),
        mtta=_span(case.alerted_at, case.acknowledged_at),
        mttr=_span(case.opened_at, case.resolved_at),
    )


def _mean(spans: list[timedelta | None]) -> timedelta | None:
    known = [s for s in spans if s is not None]
    return sum(known, timedelta()) / len(known) if known else None


def case_metrics_average(*, actor: Actor) -> CaseMetrics:
    """The averages over every case the actor may see, in one query."""
    rows = visible_to(actor, SecurityCase.objects).values_list(
        "detected_at", "alerted_at", "acknowledged_at", "opened_at", "resolved_at"
    )
    spans = [(_span(d, a), _span(a, k), _span(o, r)) for d, a, k, o, r in rows]
    return CaseMetrics(*(_mean([s[i] for s in spans]) for i in range(3)))


def case_detail(*, actor: Actor, case: SecurityCase) -> dict[str, Any]:
    """What the case page shows beside the case, in a fixed number of queries."""
    ci = case.ci
    return {
        "alerts": list(case.alerts.select_related("rule").order_by("first_seen")),
        "tasks": list(case.tasks.all()),
        "observables": list(case.observables.all()),
        "notes": list(case.notes.all()),
        "timeline": list(case.events.all()),
        "metrics": case_metrics(case),
        "enrichment": None
        if ci is None
        else {
            "ci": ci,
            "criticality": ci.get_criticality_display(),
            "service": ci.service,
            "supplier": ci.owner,
            "support_team": ci.support_team,
        },
    }
