"""Clocks on tickets: each applicable service level replayed by the SLA engine over the ticket's timeline.

SLAs apply to a ticket through its service (and the desk's own end-to-end service levels); OLAs and UCs
apply per hand-off, to the organisation that received it, and count only while that organisation held
the ticket. Levels of one family (same service, kind, metric, provider) share one clock whose target
follows the ticket's priority. Warnings at 50/75/90% and the breach are told once each.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from towers.contracts.calendars import business_calendar_versions
from towers.contracts.models import Metric, ServiceLevel, ServiceLevelKind
from towers.core import events
from towers.core.actor import Actor
from towers.servicedesk.models import DeskSettings, HandOff, PendingReason, Ticket, TicketClock, TicketEvent
from towers.sla import clock
from towers.sla.clock import EventKind, TimelineEvent

# The states a pending ticket shows the engine (see timeline.clock_state): "pending" and why.
PENDING_STATES = tuple(f"pending_{reason}" for reason in PendingReason.values)
RESPONSE_STATES = frozenset({"in_progress", *PENDING_STATES})
WARN_AT = (0.5, 0.75, 0.9)
PRIORITIES = ("P1", "P2", "P3", "P4")
SPEC_TTL = 30.0  # seconds a compiled family is reused; calendar edits show within this


@dataclass(frozen=True)
class Family:
    """Service levels measured by one clock: their specification and the level for each priority."""

    spec: clock.ServiceLevelSpec
    levels: dict[str, ServiceLevel]
    kind: str
    metric: str

    def level_for(self, priority: str) -> ServiceLevel:
        return self.levels.get(priority) or self.levels.get("") or next(iter(self.levels.values()))


_spec_cache: dict[tuple[object, ...], tuple[float, Family]] = {}


def _pause_states(levels: Iterable[ServiceLevel]) -> frozenset[str]:
    states: set[str] = set()
    for level in levels:
        for state in level.pause_states:
            states.update(PENDING_STATES if state == "pending" else (state,))
    return frozenset(states)


def _targets(levels: Sequence[ServiceLevel]) -> dict[str, clock.Target]:
    """Targets by priority; a level with no priority (e.g. "requests fulfilled in 5 days") covers the rest."""
    timed = [
        (lv.priority, clock.Target(lv.target.total_seconds(), lv.calendar.code))
        for lv in levels
        if lv.target is not None and lv.calendar is not None
    ]
    targets = {priority: target for priority, target in timed if priority}
    for priority, target in timed:
        if not priority:
            targets |= {p: target for p in PRIORITIES if p not in targets}
    return targets


def _family(levels: Sequence[ServiceLevel], *, holder: bool) -> Family:
    key = tuple(
        sorted(
            (str(lv.id), lv.version, str(lv.calendar_id), lv.calendar.version if lv.calendar else 0) for lv in levels
        )
    )
    cached = _spec_cache.get((*key, holder))
    if cached and time.monotonic() - cached[0] < SPEC_TTL:
        return cached[1]
    first = levels[0]
    calendars = {lv.calendar.code: business_calendar_versions(lv.calendar) for lv in levels if lv.calendar}
    spec = clock.ServiceLevelSpec(
        name=first.code,
        metric=first.metric,  # type: ignore[arg-type]  # only response/resolution levels reach here
        targets=_targets(levels),
        calendars=calendars,
        pause_states=_pause_states(levels),
        response_states=RESPONSE_STATES,
        holder_organisation=str(first.provider_id) if holder else None,
        warn_at=WARN_AT,
    )
    family = Family(spec, {lv.priority: lv for lv in levels}, first.kind, first.metric)
    _spec_cache[(*key, holder)] = (time.monotonic(), family)
    return family


def _families(levels: Iterable[ServiceLevel], *, holder: bool) -> list[Family]:
    grouped: defaultdict[tuple[object, ...], list[ServiceLevel]] = defaultdict(list)
    for level in levels:
        if level.target is not None and level.calendar is not None:
            grouped[(level.service_id, level.kind, level.metric, level.provider_id, level.customer_id)].append(level)
    return [_family(group, holder=holder) for group in grouped.values()]


def _timed_levels(at: datetime | None) -> Q:
    """Response and resolution levels in force at `at` (None: active now): active, or ended after it, and begun.

    A supplier transition ends the outgoing levels and starts their copies at its date, so work measured before
    the date stays with the levels that measured it, however often its clocks are recomputed afterwards.
    """
    timed = Q(metric__in=[Metric.RESPONSE, Metric.RESOLUTION], target__isnull=False)
    if at is None:
        return timed & Q(is_active=True)
    return timed & (Q(is_active=True) | Q(ended_at__gt=at)) & (Q(starts_at__isnull=True) | Q(starts_at__lte=at))


def sla_families(ticket: Ticket, desk_service_id: UUID | None, at: datetime | None = None) -> list[Family]:
    """The SLAs of the ticket's service (and the desk's), as in force when it was resolved, or at `at` while open."""
    services = {s for s in (ticket.service_id, desk_service_id) if s is not None}
    if not services:
        return []
    moment = ticket.resolved_at or at
    levels = ServiceLevel.objects.filter(_timed_levels(moment), kind=ServiceLevelKind.SLA, service_id__in=services)
    return _families(levels.select_related("calendar"), holder=False)


def ola_families(ticket: Ticket, handoff: HandOff) -> list[Family]:
    """The OLAs and UCs of the receiving organisation in force when the hand-off was sent: for the ticket's
    service, else all it has, unless its levels for that service have ended (it no longer answers for the service:
    a supplier that handed it over is not measured on it by its OLAs for other services)."""
    sent = handoff.created_at
    in_force = _timed_levels(sent)
    ended_for_service = Q(service_id=ticket.service_id, ended_at__lte=sent) if ticket.service_id else Q(pk__in=[])
    rows = ServiceLevel.objects.filter(
        Q(kind__in=[ServiceLevelKind.OLA, ServiceLevelKind.UC], provider_id=handoff.to_organisation_id),
        in_force | ended_for_service,
    ).select_related("calendar")
    ended = [lv for lv in rows if not lv.is_active and lv.ended_at is not None and lv.ended_at <= sent]
    levels = [lv for lv in rows if lv not in ended]
    for_service = [lv for lv in levels if lv.service_id == ticket.service_id]
    if for_service or ended:  # ended for its service: it no longer answers for it, and no fallback stands in
        return _families(for_service, holder=True)
    return _families(levels, holder=True)


ENGINE_KIND = {
    TicketEvent.Kind.STATE: EventKind.STATE,
    TicketEvent.Kind.PRIORITY: EventKind.PRIORITY,
    TicketEvent.Kind.ASSIGNED: EventKind.ASSIGNED,
    TicketEvent.Kind.HANDED_OFF: EventKind.ASSIGNED,
    TicketEvent.Kind.REJECTED: EventKind.ASSIGNED,
    TicketEvent.Kind.RESOLVED: EventKind.RESOLVED,
    TicketEvent.Kind.REOPENED: EventKind.REOPENED,
    TicketEvent.Kind.CLOSED: EventKind.CLOSED,
    TicketEvent.Kind.ACCEPTED: EventKind.STATE,
}


def _engine_state(state: str) -> str:
    return "closed" if state == "cancelled" else state


def engine_timeline(rows: Sequence[TicketEvent]) -> list[TimelineEvent]:
    """The ticket's timeline in the engine's terms; comments and other events that change nothing drop out."""
    timeline: list[TimelineEvent] = []
    for row in rows:
        team = str(row.team_id) if row.team_id else None
        organisation = str(row.organisation_id) if row.organisation_id else None
        state = _engine_state(row.state)
        if not timeline:
            timeline.append(
                TimelineEvent(
                    row.at, EventKind.CREATED, state=state, priority=row.priority, team=team, organisation=organisation
                )
            )
            continue
        kind = ENGINE_KIND.get(row.kind)  # type: ignore[call-overload]  # kinds are stored as plain strings
        if kind is None:
            continue
        if kind is EventKind.ASSIGNED:
            timeline.append(TimelineEvent(row.at, kind, team=team, organisation=organisation))
            timeline.append(TimelineEvent(row.at, EventKind.STATE, state=state))
        elif kind is EventKind.PRIORITY:
            timeline.append(TimelineEvent(row.at, kind, priority=row.priority))
        else:
            timeline.append(TimelineEvent(row.at, kind, state=state))
    return timeline


def handoff_timeline(rows: Sequence[TicketEvent], handoff: HandOff) -> list[TimelineEvent]:
    """The part of the timeline the receiving organisation is measured on: from the hand-off to its release."""
    start = next((i for i, row in enumerate(rows) if row.data.get("handoff") == str(handoff.id)), None)
    if start is None:
        return []
    timeline = engine_timeline(rows[start:])
    if handoff.released_at is not None:
        timeline = [e for e in timeline if e.at <= handoff.released_at]
        timeline.append(TimelineEvent(handoff.released_at, EventKind.RESOLVED, state="resolved"))
    return timeline


def due_time(result: clock.ClockResult) -> datetime | None:
    """When the clock falls due while it runs; once breached, the due time it missed, kept after it stops, so a
    stopped breach still says when it breached (the month it counts in, and who held the ticket then)."""
    return result.due_at or result.breach_at


def percent_used(result: clock.ClockResult) -> int:
    if not result.target_seconds:
        return 0
    return min(999, int(result.elapsed_seconds * 100 // result.target_seconds))


def warning_reached(result: clock.ClockResult) -> int:
    if result.breached:
        return 100
    reached = [int(fraction * 100) for fraction, _at in result.warnings]
    return max(reached, default=0)


def ticket_clocks_recompute(
    *, ticket: Ticket, actor: Actor, now: datetime | None = None, settings: DeskSettings | None = None
) -> list[TicketClock]:
    """Replay every applicable clock on `ticket`, store them, tell newly reached warnings; call inside the write."""
    from towers.servicedesk.services.config import desk_settings

    now = now or timezone.now()
    settings = settings or desk_settings()
    rows = list(ticket.events.order_by("at", "id"))
    existing = {(c.service_level_id, c.handoff_id): c for c in ticket.clocks.all()}
    measured: list[tuple[Family, HandOff | None, list[TimelineEvent]]] = []
    full = engine_timeline(rows)
    measured += [(family, None, full) for family in sla_families(ticket, settings.desk_service_id, now)]
    for sent in ticket.handoffs.all():
        part = handoff_timeline(rows, sent)
        measured += [(family, sent, part) for family in ola_families(ticket, sent)] if part else []
    kept: list[TicketClock] = []
    for family, handoff, timeline in measured:
        result = clock.compute(family.spec, timeline, now=now)
        level = family.level_for(result.priority or ticket.priority)
        handoff_id = handoff.id if handoff else None
        family_ids = {lv.id for lv in family.levels.values()}
        row = next((c for (lid, hid), c in existing.items() if hid == handoff_id and lid in family_ids), None)
        if row is not None:
            del existing[(row.service_level_id, row.handoff_id)]
        elif result.target_seconds is None:
            # A family with no target for this priority (a P1/P2 SLA on a P3) promises nothing here: no clock,
            # unless one was already running under an earlier priority (then it stays, for the record).
            continue
        else:
            row = TicketClock(ticket=ticket, handoff=handoff)
        previous_warning = row.warned
        row.service_level = level
        row.name, row.kind, row.metric, row.organisation_id = level.name, family.kind, family.metric, level.provider_id
        row.state = result.state
        row.target_seconds = result.target_seconds
        row.elapsed_seconds = result.elapsed_seconds
        row.percent = percent_used(result)
        row.due_at = due_time(result)
        row.breached = result.breached
        row.stopped_at = result.stopped_at
        row.by_organisation = {k: round(v) for k, v in result.by_organisation.items()}
        row.computed_at = now
        row.warned = max(previous_warning, warning_reached(result))
        row.save()
        if row.warned > previous_warning:
            _tell_warning(ticket, row, actor)
        kept.append(row)
    if existing:
        TicketClock.objects.filter(id__in=[c.id for c in existing.values()]).delete()
    _summarise(ticket, kept)
    return kept


def _tell_warning(ticket: Ticket, row: TicketClock, actor: Actor) -> None:
    from towers.servicedesk.services.timeline import record_event

    what = "breached" if row.warned >= 100 else f"reached {row.warned}%"
    record_event(
        ticket, TicketEvent.Kind.CLOCK, actor, body=f"{row.name} {what}", data={"clock": row.id, "percent": row.warned}
    )
    events.emit(
        "servicedesk.clock.warning",
        key=str(ticket.id),
        ticket_id=str(ticket.id),
        clock_id=row.id,
        percent=row.warned,
        clock=row.name,
    )


def _summarise(ticket: Ticket, clocks: list[TicketClock]) -> None:
    """The ticket's most urgent clock, kept on the ticket for queue colouring and sorting."""
    running = [c for c in clocks if c.state == "running" and c.target_seconds]
    percent = max((c.percent for c in running), default=0)
    due = min((c.due_at for c in running if c.due_at), default=None)
    breached = any(c.breached for c in clocks)
    if (ticket.clock_percent, ticket.clock_due_at, ticket.breached) != (percent, due, breached):
        ticket.clock_percent, ticket.clock_due_at, ticket.breached = percent, due, breached
        Ticket.objects.filter(pk=ticket.pk).update(clock_percent=percent, clock_due_at=due, breached=breached)


def clocks_sweep(*, actor: Actor, now: datetime | None = None, limit: int = 2000) -> int:
    """Recompute running clocks of open tickets so warnings are told while nobody touches the ticket."""
    ids = list(
        dict.fromkeys(
            TicketClock.objects.filter(state="running", ticket__state__in=["new", "assigned", "in_progress", "pending"])
            .order_by("due_at")
            .values_list("ticket_id", flat=True)[:limit]
        )
    )
    for ticket in Ticket.objects.filter(id__in=ids):
        ticket_clocks_recompute(ticket=ticket, actor=actor, now=now)
    return len(ids)
