"""Clocks on security cases: the SOC's contracted response and resolution levels, replayed by the SLA engine.

Which levels apply: the active response and resolution service levels of a security-operations service
(the catalogue's own category, the way the desk finds its service by the "service_desk" category) that the
case's organisation provides. Levels of one family (service, kind, metric, customer) share one clock whose
target follows the case's severity: critical P1, high P2, medium P3, low and informational P4.

The response clock stops when the case is acknowledged (work starts, or an alert already acknowledged joins
it); the resolution clock stops while the case is resolved or closed and resumes if it is reopened. Business
calendars are honoured by the engine. Warnings at 50/75/90% and the breach are written once each, to the
case's timeline (at the instant they were reached) and to the audit log.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from towers.contracts.calendars import business_calendar_versions
from towers.contracts.models import Calendar, Metric, ServiceCategory, ServiceLevel
from towers.core import audit, events
from towers.core.actor import Actor
from towers.sla import clock
from towers.sla.clock import EventKind, TimelineEvent
from towers.soc.models import OPEN_CASE_STATUSES, CaseClock, CaseEvent, CaseStatus, SecurityCase, Severity

PRIORITY_OF = {"critical": "P1", "high": "P2", "medium": "P3", "low": "P4", "informational": "P4"}
PRIORITIES = ("P1", "P2", "P3", "P4")
ACKNOWLEDGED = "acknowledged"  # what the engine sees for a case acknowledged while still open
RESPONSE_STATES = frozenset({CaseStatus.IN_PROGRESS.value, ACKNOWLEDGED})
WARN_AT = (0.5, 0.75, 0.9)
REFRESH_EVERY = timedelta(minutes=10)
STATUS_KIND, SEVERITY_KIND, CLOCK_KIND = "status", "severity", "clock"
_STATUS_OF_LABEL = {str(label): value for value, label in CaseStatus.choices}
_SEVERITY_OF_LABEL = {str(label): value for value, label in Severity.choices}
SEVERITY_ARROW = " → "
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Family:
    """Service levels measured by one clock: the engine's specification and the level for each priority."""

    spec: clock.ServiceLevelSpec
    levels: dict[str, ServiceLevel]
    metric: str

    def level_for(self, priority: str | None) -> ServiceLevel:
        return self.levels.get(priority or "") or self.levels.get("") or next(iter(self.levels.values()))

    @property
    def level_ids(self) -> set[UUID]:
        return {level.id for level in self.levels.values()}


def severity_change_body(old: str, new: str) -> str:
    """The timeline line of a severity change; the clocks read the severity history back from it."""
    return f"{Severity(old).label}{SEVERITY_ARROW}{Severity(new).label}"


def _severity_change(body: str) -> tuple[str, str] | None:
    old, _, new = body.partition(SEVERITY_ARROW)
    if old in _SEVERITY_OF_LABEL and new in _SEVERITY_OF_LABEL:
        return _SEVERITY_OF_LABEL[old], _SEVERITY_OF_LABEL[new]
    return None


# -- which service levels apply ----------------------------------------------------------------


def _targets(levels: Sequence[ServiceLevel]) -> dict[str, clock.Target]:
    """Targets by priority; a level with no priority covers the priorities no other level names."""
    timed = [(lv.priority, clock.Target(lv.target.total_seconds(), lv.calendar.code)) for lv in levels]  # type: ignore[union-attr]
    targets = {priority: target for priority, target in timed if priority}
    for priority, target in timed:
        if not priority:
            targets |= {p: target for p in PRIORITIES if p not in targets}
    return targets


def _family(levels: Sequence[ServiceLevel]) -> Family:
    calendars: dict[str, Calendar] = {lv.calendar.code: lv.calendar for lv in levels if lv.calendar is not None}
    spec = clock.ServiceLevelSpec(
        name=levels[0].code,
        metric=levels[0].metric,  # type: ignore[arg-type]  # only response and resolution levels reach here
        targets=_targets(levels),
        calendars={code: business_calendar_versions(calendar) for code, calendar in calendars.items()},
        pause_states=frozenset(state for lv in levels for state in lv.pause_states),
        response_states=RESPONSE_STATES,
        warn_at=WARN_AT,
    )
    return Family(spec, {lv.priority: lv for lv in levels}, levels[0].metric)


def case_families(organisation_id: UUID) -> list[Family]:
    """The clocks a case of this SOC runs: one per family of its security-operations service levels."""
    calendars = Calendar.objects.prefetch_related("hours", "closures")
    levels = (
        ServiceLevel.objects.filter(
            is_active=True,
            metric__in=[Metric.RESPONSE, Metric.RESOLUTION],
            target__isnull=False,
            calendar__isnull=False,
            provider_id=organisation_id,
            service__category=ServiceCategory.SECURITY_OPERATIONS,
            service__is_active=True,
        )
        .prefetch_related(Prefetch("calendar", queryset=calendars))
        .order_by("service_id", "kind", "metric", "customer_id", "priority", "code")
    )
    grouped: defaultdict[tuple[object, ...], list[ServiceLevel]] = defaultdict(list)
    for level in levels:
        grouped[(level.service_id, level.kind, level.metric, level.customer_id)].append(level)
    return [_family(group) for group in grouped.values()]


# -- the case's timeline in the engine's terms -----------------------------------------------------


def engine_timeline(case: SecurityCase, rows: Sequence[CaseEvent]) -> list[TimelineEvent]:
    """Opening, status changes, severity changes and acknowledgement as engine events (nothing before opening).

    Status changes come from the case's "status" lines; a case without them (made before there were any,
    or imported) is read from its acknowledged_at and resolved_at instead.
    """
    opened = case.opened_at
    changes = [
        (max(r.at, opened), change) for r in rows if r.kind == SEVERITY_KIND if (change := _severity_change(r.body))
    ]
    first_severity = changes[0][1][0] if changes else case.severity
    timeline = [TimelineEvent(opened, EventKind.CREATED, state=CaseStatus.OPEN, priority=PRIORITY_OF[first_severity])]
    timeline += [TimelineEvent(at, EventKind.PRIORITY, priority=PRIORITY_OF[new]) for at, (_old, new) in changes]
    statuses = [
        (max(r.at, opened), _STATUS_OF_LABEL[r.body])
        for r in rows
        if r.kind == STATUS_KIND and r.body in _STATUS_OF_LABEL
    ]
    timeline += [TimelineEvent(at, EventKind.STATE, state=status) for at, status in statuses]
    first_leaves = next((at for at, status in statuses if status != CaseStatus.OPEN), None)
    acknowledged = case.acknowledged_at
    if acknowledged is not None and (first_leaves is None or acknowledged < first_leaves):
        timeline.append(TimelineEvent(max(acknowledged, opened), EventKind.STATE, state=ACKNOWLEDGED))
    if not statuses and case.resolved_at is not None and case.status not in OPEN_CASE_STATUSES:
        timeline.append(TimelineEvent(max(case.resolved_at, opened), EventKind.STATE, state=case.status))
    return timeline


# -- recomputing and telling ---------------------------------------------------------------------


def _percent(result: clock.ClockResult) -> int:
    if not result.target_seconds:
        return 0
    return min(999, int(result.elapsed_seconds * 100 // result.target_seconds))


def _reached(result: clock.ClockResult) -> list[tuple[int, datetime]]:
    """Each warning level reached so far (100 for the breach), with the instant it was reached."""
    reached = [(round(fraction * 100), at) for fraction, at in result.warnings]
    if result.breached and result.breach_at is not None:
        reached.append((100, result.breach_at))
    return reached


def case_clocks_recompute(
    *, case: SecurityCase, actor: Actor, now: datetime | None = None, families: list[Family] | None = None
) -> list[CaseClock]:
    """Replay every applicable clock on `case`, store them, tell newly reached warnings; call inside the write."""
    now = now or timezone.now()
    families = case_families(case.organisation_id) if families is None else families
    existing = list(case.clocks.all())
    if not families and not existing:
        return []
    rows = list(case.events.filter(kind__in=[STATUS_KIND, SEVERITY_KIND]).order_by("at", "id"))
    timeline = engine_timeline(case, rows)
    kept: list[CaseClock] = []
    for family in families:
        result = clock.compute(family.spec, timeline, now=now)
        row = next((c for c in existing if c.service_level_id in family.level_ids), None)
        if row is not None:
            existing.remove(row)
        elif result.target_seconds is None:
            continue  # no target for this severity: the level promises nothing about this case
        else:
            row = CaseClock(case=case)
        level = family.level_for(result.priority)
        previous = row.warned
        row.service_level, row.name, row.metric = level, level.name, family.metric
        row.state, row.target_seconds, row.elapsed_seconds = result.state, result.target_seconds, result.elapsed_seconds
        row.percent, row.due_at, row.breached = _percent(result), result.due_at, result.breached
        row.stopped_at, row.computed_at = result.stopped_at, now
        newly = [(percent, at) for percent, at in _reached(result) if percent > previous]
        row.warned = max([previous, *(percent for percent, _at in newly)])
        row.save()
        for percent, at in newly:
            _tell(case, row, actor, percent, at)
        kept.append(row)
    if existing:
        CaseClock.objects.filter(id__in=[c.id for c in existing]).delete()
    return kept


def _tell(case: SecurityCase, row: CaseClock, actor: Actor, percent: int, at: datetime) -> None:
    what = "breached" if percent >= 100 else f"reached {percent}%"
    CaseEvent.objects.create(case=case, at=at, kind=CLOCK_KIND, actor_label=actor.label, body=f"{row.name} {what}")
    audit.record(actor, "soc.case.clock_warning", case, after={"clock": row.name, "percent": percent, "at": at})
    events.emit("soc.case.clock_warning", key=str(case.id), case_id=str(case.id), clock=row.name, percent=percent)


# -- the periodic sweep --------------------------------------------------------------------------


def _due_for_a_look(
    computed_at: datetime, target: float | None, elapsed: float, warned: int, due_at: datetime | None, now: datetime
) -> bool:
    """Whether a running clock may have reached its next warning or its due time since it was computed, or
    has not been computed for REFRESH_EVERY (so the percentages the pages show stay fresh).

    Business time never runs faster than wall time, so the next level cannot come before
    computed_at + (that level's share of the target - elapsed): until then a recompute would tell nothing.
    """
    if (due_at is not None and due_at <= now and warned < 100) or now - computed_at >= REFRESH_EVERY:
        return True
    following = next((f for f in (*WARN_AT, 1.0) if round(f * 100) > warned), None)
    if following is None or not target:
        return False
    return computed_at + timedelta(seconds=max(0.0, following * target - elapsed)) <= now


def case_clocks_sweep(*, actor: Actor, now: datetime | None = None, limit: int = 500) -> int:
    """Recompute the running clocks of open cases that may have reached a warning or their due time."""
    now = now or timezone.now()
    running = CaseClock.objects.filter(state="running", case__status__in=OPEN_CASE_STATUSES).order_by("due_at", "id")
    rows = running.values_list("case_id", "computed_at", "target_seconds", "elapsed_seconds", "warned", "due_at")
    looks = (
        case_id
        for case_id, at, target, elapsed, warned, due in rows
        if _due_for_a_look(at, target, elapsed, warned, due, now)
    )
    ids = list(dict.fromkeys(looks))[:limit]
    families: dict[UUID, list[Family]] = {}
    for case in SecurityCase.objects.filter(id__in=ids).order_by("opened_at"):
        if case.organisation_id not in families:
            families[case.organisation_id] = case_families(case.organisation_id)
        try:
            with transaction.atomic():  # one short transaction per case; one bad case must not stop the others
                case_clocks_recompute(case=case, actor=actor, now=now, families=families[case.organisation_id])
        except Exception:
            logger.exception("case clocks of %s could not be recomputed", case.reference)
    return len(ids)
