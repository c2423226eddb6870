"""SLA/OLA attainment by service level for the month, and the month's breaches with why they were late.

Attainment prefers the SLA engine's stored results (ServiceLevelResult for the period); a level without one is
counted from the tickets' clocks the way `sla.services.clocks.attainment_compute` counts: a clock belongs to the
month it breached in (its due time), or else the month it stopped in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from towers.contracts.models import ServiceLevel
from towers.core.permissions import visible_to
from towers.organisations.models import Organisation
from towers.reporting.pack import Attainment, Breach, Series
from towers.reporting.pack_common import (
    LONDON,
    PackScope,
    as_month,
    clocks_link,
    hours,
    link,
    percent,
    tickets_via,
)
from towers.servicedesk.models import TicketClock, TicketEvent
from towers.sla.models import ServiceLevelResult

BREACHES_LISTED = 100
TIMELINE_KINDS = ("created", "state", "assigned", "handed_off", "accepted", "rejected", "resolved", "reopened")


def _levels(scope: PackScope) -> list[ServiceLevel]:
    """The levels in force in the month: active now, or measured in it (a level a transition ended since still
    answers for the months it measured)."""
    measured = Q(id__in=month_clocks(scope).values("service_level_id")) | Q(
        id__in=ServiceLevelResult.objects.filter(period=scope.month).values("service_level_id")
    )
    qs = visible_to(scope.actor, ServiceLevel.objects).filter(Q(is_active=True) | measured)
    if scope.members is not None:
        qs = qs.filter(provider__in=scope.members)
    return list(qs.select_related("service", "provider").order_by("service__name", "kind", "metric", "priority"))


def _in_month(scope: PackScope) -> Q:
    """Breached: counted when it breached (due time); met: when it stopped."""
    breached_in = Q(breached=True) & (
        Q(due_at__gte=scope.start, due_at__lt=scope.end)
        | Q(due_at__isnull=True, stopped_at__gte=scope.start, stopped_at__lt=scope.end)
    )
    return breached_in | Q(breached=False, stopped_at__gte=scope.start, stopped_at__lt=scope.end)


def month_clocks(scope: PackScope) -> Any:
    return tickets_via(scope, TicketClock.objects, "ticket").filter(_in_month(scope))


def attainment_trend(scope: PackScope) -> Series:
    """SLA clocks met as a share of those measured, per month for twelve months (two GROUP BYs)."""
    clocks = tickets_via(scope, TicketClock.objects, "ticket").filter(kind="sla")
    if scope.members is not None:
        clocks = clocks.filter(organisation__in=scope.members)
    window = {"gte": scope.trend_start, "lt": scope.end}
    met = _per_month(clocks.filter(breached=False), "stopped_at", window)
    missed = _per_month(clocks.filter(breached=True, due_at__isnull=False), "due_at", window)
    points = []
    for month in scope.trend_months():
        share = percent(met.get(month, 0), met.get(month, 0) + missed.get(month, 0))
        points.append((month, share if share is not None else Decimal(0)))
    return Series(label="SLA attainment", points=tuple(points), unit="%")


def _per_month(qs: Any, field: str, window: dict[str, datetime]) -> dict[date, int]:
    rows = (
        qs.filter(**{f"{field}__{op}": at for op, at in window.items()})
        .annotate(m=TruncMonth(field, tzinfo=LONDON))
        .order_by()
        .values_list("m")
        .annotate(n=Count("id"))
        .values_list("m", "n")
    )
    return {as_month(m): n for m, n in rows}


def _missed(level: ServiceLevel, actual: Decimal | None) -> bool:
    if actual is None:
        return False
    return actual < level.performance_measure if level.higher_is_better else actual > level.performance_measure


def attainment(scope: PackScope) -> tuple[Attainment, ...]:
    """One row per service level in scope: 2 queries for levels and results, 1 for the clocks of the rest."""
    levels = _levels(scope)
    results = {
        r.service_level_id: r
        for r in visible_to(scope.actor, ServiceLevelResult.objects).filter(
            period=scope.month, service_level__in=[lv.id for lv in levels]
        )
    }
    counted = {
        row["service_level_id"]: (row["measured"], row["met"])
        for row in month_clocks(scope)
        .filter(service_level__in=[lv.id for lv in levels if lv.id not in results])
        .values("service_level_id")
        .annotate(measured=Count("id"), met=Count("id", filter=Q(breached=False)))
    }
    rows = []
    for level in levels:
        result = results.get(level.id)
        actual: Decimal | None
        if result is not None:
            measured, met, actual = result.measured, result.met, result.actual.quantize(Decimal("0.1"))
        else:
            measured, met = counted.get(level.id, (0, 0))
            actual = percent(met, measured)
        rows.append(
            Attainment(
                service=level.service.name,
                priority=level.priority or "Any",
                level=level.name,
                kind=level.kind,
                provider=level.provider.name,
                measured=measured,
                met=met,
                target_percent=level.performance_measure,
                attained_percent=actual,
                breached=_missed(level, actual),
                link=clocks_link(scope, level=level.pk),
            )
        )
    return tuple(rows)


@dataclass
class History:
    """What a ticket's timeline says about its lateness: pending time by reason, hand-offs, holder over time."""

    pending: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    handoffs: int = 0
    rejected: int = 0
    holders: list[tuple[datetime, UUID | None]] = field(default_factory=list)

    def holder_at(self, moment: datetime) -> UUID | None:
        held = [org for at, org in self.holders if at <= moment]
        return held[-1] if held else None


def _histories(scope: PackScope, ticket_ids: list[UUID], until: dict[UUID, datetime]) -> dict[UUID, History]:
    """Replay the breached tickets' timelines (one query) up to each one's stop or now."""
    rows = (
        visible_to(scope.actor, TicketEvent.objects)
        .filter(ticket_id__in=ticket_ids, kind__in=TIMELINE_KINDS)
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "kind", "state", "organisation_id")
    )
    histories: dict[UUID, History] = defaultdict(History)
    pending_since: dict[UUID, tuple[str, datetime]] = {}
    for ticket_id, at, kind, state, organisation_id in rows:
        history = histories[ticket_id]
        history.holders.append((at, organisation_id))
        history.handoffs += kind == "handed_off"
        history.rejected += kind == "rejected"
        if ticket_id in pending_since:
            reason, since = pending_since.pop(ticket_id)
            history.pending[reason] += (min(at, until[ticket_id]) - since).total_seconds()
        if state.startswith("pending_") and at < until[ticket_id]:
            pending_since[ticket_id] = (state.removeprefix("pending_"), at)
    for ticket_id, (reason, since) in pending_since.items():
        histories[ticket_id].pending[reason] += max(0.0, (until[ticket_id] - since).total_seconds())
    return histories


def _reason(history: History, shares: dict[str, Any], names: dict[str, str]) -> str:
    parts = [f"pending {reason} {hours(seconds)} h" for reason, seconds in history.pending.items() if seconds >= 60]
    if history.handoffs:
        parts.append(f"{history.handoffs} hand-off{'s' if history.handoffs != 1 else ''}")
    if history.rejected:
        parts.append(f"{history.rejected} rejected")
    if shares:
        longest = max(shares, key=lambda org: shares[org])
        parts.append(f"held longest by {names.get(longest, 'another organisation')} ({hours(shares[longest])} h)")
    return "; ".join(parts) or "no pending time or hand-offs: worked over target"


def breaches(scope: PackScope) -> tuple[tuple[Breach, ...], int]:
    """The month's breached clocks, most overdue first (at most BREACHES_LISTED), and how many there were."""
    breached = month_clocks(scope).filter(breached=True)
    total = breached.count()
    clocks = list(
        breached.select_related("ticket__service", "service_level", "organisation")
        .annotate(overdue=F("elapsed_seconds") - F("target_seconds"))
        .order_by(F("overdue").desc(nulls_last=True), "id")[:BREACHES_LISTED]
    )
    now = timezone.now()
    until = {c.ticket_id: c.stopped_at or now for c in clocks}
    histories = _histories(scope, list(until), until)
    org_ids = {org for c in clocks for org in c.by_organisation} | {
        org for h in histories.values() for _at, org in h.holders if org
    }
    names = {str(pk): name for pk, name in Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name")}
    rows = []
    for c in clocks:
        history = histories.get(c.ticket_id, History())
        holder = history.holder_at(c.due_at or c.stopped_at or now) or c.organisation_id
        rows.append(
            Breach(
                reference=c.ticket.reference,
                title=c.ticket.title,
                priority=c.ticket.priority,
                service=c.ticket.service.name if c.ticket.service else "",
                level=c.name,
                holder=names.get(str(holder), c.organisation.name),
                overdue_hours=hours(max(0.0, c.overdue or 0.0)) or Decimal(0),
                reason=_reason(history, c.by_organisation, names),
                link=link("ticket_detail", c.ticket.reference),
            )
        )
    return tuple(rows), total
