"""The demo history as rows: each simulated ticket's Ticket, parties, timeline, hand-offs and engine-computed clocks.

Clocks are replayed by the real engine over the very timeline rows that ticket_clocks_recompute reads, with
the service-level families of towers.servicedesk.services.clocks (cached per service and receiving
organisation), so recomputing any loaded ticket gives back its clocks (towers/demo/tests checks a sample).
A clock that breached leaves a "breached" line on the timeline at the instant it did.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from towers.demo.ticketlife import Hop, Life, Step
from towers.servicedesk.models import HandOff, MajorIncident, Ticket, TicketClock, TicketEvent, TicketParty
from towers.servicedesk.services.clocks import (
    Family,
    due_time,
    engine_timeline,
    handoff_timeline,
    ola_families,
    percent_used,
    sla_families,
    warning_reached,
)
from towers.sla import clock

BATCH = 500  # tickets per flush


class Clocks:
    """The engine's clocks for a ticket, as ticket_clocks_recompute stores them, without a query per ticket."""

    def __init__(self, desk_service_id: uuid.UUID | None) -> None:
        self.desk_service_id = desk_service_id
        self._sla: dict[uuid.UUID | None, list[Family]] = {}
        self._ola: dict[tuple[object, object], list[Family]] = {}

    def sla_for(self, service_id: uuid.UUID | None) -> list[Family]:
        """The SLA families a ticket of this service is measured by (the desk service's included)."""
        if service_id not in self._sla:
            self._sla[service_id] = sla_families(Ticket(service_id=service_id), self.desk_service_id)
        return self._sla[service_id]

    def _ola_families(self, ticket: Ticket, handoff: HandOff) -> list[Family]:
        key = (ticket.service_id, handoff.to_organisation_id)
        if key not in self._ola:
            self._ola[key] = ola_families(ticket, handoff)
        return self._ola[key]

    def replay(
        self, ticket: Ticket, events: list[TicketEvent], handoffs: list[HandOff], now: datetime
    ) -> list[tuple[TicketClock, clock.ClockResult]]:
        full = engine_timeline(events)
        measured: list[tuple[Family, HandOff | None, list[clock.TimelineEvent]]]
        measured = [(family, None, full) for family in self.sla_for(ticket.service_id)]
        for sent in handoffs:
            part = handoff_timeline(events, sent)
            measured += [(family, sent, part) for family in self._ola_families(ticket, sent)] if part else []
        rows = []
        for family, handoff, timeline in measured:
            result = clock.compute(family.spec, timeline, now=now)
            level = family.level_for(result.priority or ticket.priority)
            row = TicketClock(
                ticket=ticket,
                handoff=handoff,
                service_level=level,
                name=level.name,
                kind=family.kind,
                metric=family.metric,
                organisation_id=level.provider_id,
                state=result.state,
                target_seconds=result.target_seconds,
                elapsed_seconds=result.elapsed_seconds,
                percent=percent_used(result),
                due_at=due_time(result),
                breached=result.breached,
                stopped_at=result.stopped_at,
                warned=warning_reached(result),
                by_organisation={k: round(v) for k, v in result.by_organisation.items()},
                computed_at=now,
            )
            rows.append((row, result))
        running = [row for row, _ in rows if row.state == "running" and row.target_seconds]
        ticket.clock_percent = max((row.percent for row in running), default=0)
        ticket.clock_due_at = min((row.due_at for row in running if row.due_at), default=None)
        ticket.breached = any(row.breached for row, _ in rows)
        return rows


class HistoryWriter:
    """Turns lives into rows and writes them with bulk_create, a batch of tickets at a time."""

    def __init__(
        self,
        *,
        clocks: Clocks,
        cis: dict[str, uuid.UUID],
        services: dict[str, uuid.UUID],
        categories: dict[str, uuid.UUID],
        emails: dict[uuid.UUID, str],
        manager: uuid.UUID | None,
        now: datetime,
    ) -> None:
        self.clocks, self.cis, self.services, self.categories = clocks, cis, services, categories
        self.emails, self.manager, self.now = emails, manager, now
        self.counts: Counter[str] = Counter()
        self._clear()

    def _clear(self) -> None:
        self.tickets: list[Ticket] = []
        self.parties: list[TicketParty] = []
        self.links: list[tuple[uuid.UUID, uuid.UUID]] = []
        self.handoffs: list[HandOff] = []
        self.clock_rows: list[TicketClock] = []
        self.events: list[TicketEvent] = []
        self.breach_lines: list[tuple[TicketEvent, TicketClock]] = []
        self.majors: list[MajorIncident] = []

    def add(self, life: Life) -> None:
        ticket = self.ticket(life)
        handoffs = [self.handoff(life, hop) for hop in life.hops]
        events = [self.event(ticket, step) for step in life.steps]
        clocks = self.clocks.replay(ticket, events, handoffs, self.now)
        for row, result in clocks:
            if result.breached and result.breach_at is not None:
                line = self._breach_line(ticket, events, row, result.breach_at)
                self.breach_lines.append((line, row))
        events.sort(key=lambda e: e.at)  # stable: a breach line follows the steps of its instant
        self.tickets.append(ticket)
        self.parties += [TicketParty(ticket=ticket, organisation_id=o) for o in sorted(life.parties, key=str)]
        if life.ci in self.cis:
            self.links.append((ticket.id, self.cis[life.ci]))
        self.handoffs += handoffs
        self.clock_rows += [row for row, _ in clocks]
        self.events += events
        if life.is_major:
            self.majors.append(self.major(life))
        self._count(life, ticket, clocks)
        if len(self.tickets) >= BATCH:
            self.flush()

    def _count(self, life: Life, ticket: Ticket, clocks: list[tuple[TicketClock, clock.ClockResult]]) -> None:
        self.counts.update(
            tickets=1,
            events=len(life.steps),
            handoffs=len(life.hops),
            clocks=len(clocks),
            rejected=sum(h.status == "rejected" for h in life.hops),
            ping_pong=life.ping_pong,
            reopened=life.reopen_count > 0,
            breached=ticket.breached,
            open=life.is_open,
            major=life.is_major,
        )

    def ticket(self, life: Life) -> Ticket:
        return Ticket(**self.ticket_values(life))

    def ticket_values(self, life: Life) -> dict[str, Any]:
        """The ticket's columns (attribute names), as the services would have left them."""
        first, last = life.steps[0], life.steps[-1]
        return {
            "id": life.id,
            "created_at": life.opened_at,
            "updated_at": last.at,
            "version": len(life.steps),
            "reference": life.reference,
            "kind": life.kind,
            "title": life.title,
            "description": first.body,
            "state": life.state,
            "pending_reason": life.pending_reason if life.state == "pending" else "",
            "impact": life.impact,
            "urgency": life.urgency,
            "priority": life.priority,
            "category_id": self.categories.get(life.category),
            "service_id": self.services.get(life.service),
            "channel": life.channel,
            "requester_id": life.requester[0],
            "requester_email": self.emails.get(life.requester[0], "") if life.requester[0] else "",
            "requester_organisation_id": life.requester_organisation_id,
            "team_id": life.team.id,
            "organisation_id": life.team.organisation_id,
            "assignee_id": life.assignee,
            "opened_at": life.opened_at,
            "responded_at": life.responded_at,
            "resolved_at": life.resolved_at,
            "closed_at": life.closed_at,
            "resolution_code": life.resolution_code,
            "resolution_notes": life.resolution_notes,
            "reopen_count": life.reopen_count,
            "parent_id": life.parent.id if life.parent else None,
            "hop_count": life.hop_count,
            "crossed_suppliers": life.crossed,
            "ping_pong": life.ping_pong,
            "is_major": life.is_major,
        }

    @staticmethod
    def handoff(life: Life, hop: Hop) -> HandOff:
        return HandOff(**HistoryWriter.handoff_values(life, hop))

    @staticmethod
    def handoff_values(life: Life, hop: Hop) -> dict[str, Any]:
        return {
            "id": hop.id,
            "created_at": hop.at,
            "updated_at": hop.decided_at or hop.at,
            "ticket_id": life.id,
            "from_team_id": hop.from_team.id,
            "from_organisation_id": hop.from_team.organisation_id,
            "to_team_id": hop.to_team.id,
            "to_organisation_id": hop.to_team.organisation_id,
            "reason": hop.reason,
            "status": hop.status,
            "sent_by": hop.sent_by,
            "decided_by": hop.decided_by,
            "decided_at": hop.decided_at,
            "response": hop.response,
            "released_at": hop.released_at,
        }

    @staticmethod
    def event(ticket: Ticket, step: Step) -> TicketEvent:
        return TicketEvent(ticket=ticket, **HistoryWriter.event_values(step))

    @staticmethod
    def event_values(step: Step) -> dict[str, Any]:
        return {
            "at": step.at,
            "kind": step.kind,
            "actor_label": step.actor,
            "person_id": step.person_id,
            "state": step.state,
            "priority": step.priority,
            "team_id": step.team_id,
            "organisation_id": step.organisation_id,
            "body": step.body,
            "public": step.public,
            "data": step.data,
        }

    @staticmethod
    def _breach_line(ticket: Ticket, events: list[TicketEvent], row: TicketClock, at: datetime) -> TicketEvent:
        before = [e for e in events if e.at <= at][-1]
        line = TicketEvent(
            ticket=ticket,
            at=at,
            kind=TicketEvent.Kind.CLOCK,
            actor_label="system:servicedesk",
            state=before.state,
            priority=before.priority,
            team_id=before.team_id,
            organisation_id=before.organisation_id,
            body=f"{row.name} breached",
            data={"percent": 100},
        )
        events.append(line)
        return line

    def major(self, life: Life) -> MajorIncident:
        declared = life.opened_at + timedelta(minutes=5)
        status = MajorIncident.Status.ACTIVE if life.resolved_at is None else MajorIncident.Status.RESOLVED
        return MajorIncident(
            ticket_id=life.id,
            created_at=declared,
            updated_at=life.resolved_at or declared,
            status=status,
            manager_id=self.manager,
            declared_by=life.steps[0].actor,
            declared_at=declared,
            bridge="Bridge: Teams meeting 'Major incident', dial-in 0300 000 0000",
            cadence=timedelta(minutes=30),
            next_update_due=declared + timedelta(minutes=30) if life.resolved_at is None else None,
            resolved_at=life.resolved_at,
            summary="Service restored." if life.resolved_at else "",
        )

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Add the lives inside this block; the last batch is written as it ends."""
        yield
        self.flush()

    def flush(self) -> None:
        Ticket.objects.bulk_create(self.tickets)
        TicketParty.objects.bulk_create(self.parties)
        through = Ticket.cis.through
        through.objects.bulk_create([through(ticket_id=t, configurationitem_id=c) for t, c in self.links])
        HandOff.objects.bulk_create(self.handoffs)
        TicketClock.objects.bulk_create(self.clock_rows)
        for line, row in self.breach_lines:
            if row.id is not None:
                line.data = {"clock": row.id, "percent": 100}
        TicketEvent.objects.bulk_create(self.events)
        MajorIncident.objects.bulk_create(self.majors)
        self.counts["parties"] += len(self.parties)
        self.counts["events"] += len(self.breach_lines)
        self._clear()
