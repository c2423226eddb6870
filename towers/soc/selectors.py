"""Reads for the SOC, restricted to what the actor may see, with constant query counts; MTTD, MTTA and MTTR."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast

from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.core.permissions import get_visible, visible_to
from towers.organisations.models import Membership, Person
from towers.soc.models import Alert, AlertStatus, CaseClock, CaseTask, DetectionRule, SecurityCase

OPEN_ALERT_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED)
TECHNIQUE = re.compile(r"T\d{4}(\.\d{3})?")
TACTIC = re.compile(r"[a-z]+(-[a-z]+)*")


def _json_list_has(qs: QuerySet[Alert], field: str, values: list[str]) -> QuerySet[Alert]:
    """Rows whose JSON list `field` holds one of `values` (each a whole element or, ending in ".", its prefix).

    Matched on the list's JSON text, which reads the same on SQLite and PostgreSQL (["T1059.001", "T1027"]);
    the values are validated first, so no quote or wildcard of theirs can reach the pattern.
    """
    text = f"{field}_text"
    condition = Q()
    for value in values:
        pattern = f'"{value}' if value.endswith(".") else f'"{value}"'
        condition |= Q(**{f"{text}__contains": pattern})
    return qs.annotate(**{text: Cast(field, TextField())}).filter(condition)


def _attack_filters(qs: QuerySet[Alert], technique: str, tactic: str) -> QuerySet[Alert]:
    """ATT&CK filters: a technique matches its sub-techniques too (T1059 finds T1059.001)."""
    if technique:
        technique = technique.strip().upper()
        if not TECHNIQUE.fullmatch(technique):
            raise ValidationFailed.one("technique", "must be an ATT&CK technique id such as T1059 or T1059.001")
        sub = [f"{technique}."] if "." not in technique else []
        qs = _json_list_has(qs, "techniques", [technique, *sub])
    if tactic:
        tactic = tactic.strip().lower().replace("_", "-").replace(" ", "-")
        if not TACTIC.fullmatch(tactic):
            raise ValidationFailed.one("tactic", "must be an ATT&CK tactic such as execution or defense-evasion")
        qs = _json_list_has(qs, "tactics", [tactic])
    return qs


def alert_list(
    *,
    actor: Actor,
    status: str = "",
    severity: str = "",
    rule: str = "",
    host: str = "",
    open_only: bool = False,
    technique: str = "",
    tactic: str = "",
) -> QuerySet[Alert]:
    qs = _attack_filters(visible_to(actor, Alert.objects).select_related("rule", "ci", "case"), technique, tactic)
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
    """Cases newest first, each with its clocks (one query for the page) for nearest_due."""
    qs = visible_to(actor, SecurityCase.objects).select_related("ci", "incident", "assignee")
    qs = qs.prefetch_related(Prefetch("clocks", queryset=CaseClock.objects.order_by("metric", "id")))
    return (qs.filter(status=status) if status else qs).order_by("-opened_at", "id")


def nearest_due(case: SecurityCase) -> CaseClock | None:
    """The running clock due soonest (of the prefetched clocks), else the first breached one."""
    clocks = list(case.clocks.all())
    running = sorted((c for c in clocks if c.state == "running" and c.due_at is not None), key=lambda c: c.due_at)  # type: ignore[arg-type,return-value]
    return next(iter(running), None) or next((c for c in clocks if c.breached), None)


def case_task_get(*, actor: Actor, case: SecurityCase, id: UUID | str) -> CaseTask:
    return get_visible(actor, CaseTask.objects.select_related("case", "assignee"), pk=id, case=case)


def case_people(*, actor: Actor, case: SecurityCase) -> QuerySet[Person]:
    """The people of the case's SOC a task can be assigned to."""
    members = Membership.objects.filter(organisation=case.organisation_id).values("person_id")
    return (
        visible_to(actor, Person.objects)
        .filter(pk__in=members, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


def case_get(*, actor: Actor, id: UUID | str) -> SecurityCase:
    related = ("ci__service", "ci__owner", "ci__support_team__organisation", "incident__team", "assignee")
    clocks = Prefetch("clocks", queryset=CaseClock.objects.select_related("service_level__calendar"))
    return get_visible(actor, SecurityCase.objects.select_related(*related).prefetch_related(clocks), pk=id)


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
        "tasks": list(case.tasks.select_related("assignee")),
        "clocks": list(case.clocks.all()),  # prefetched by case_get
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
