"""The large history's writer: a million tickets through PostgreSQL COPY (bulk_create elsewhere), in minutes.

A loader, not a way to record tickets (as towers.cmdb.largeestate is for CIs): rows go straight into the
tables, with the one audit entry of towers.demo.servicedesk for the whole load. The tickets are the same
stories as the small history's, so the state mix is what they give: most closed, a backlog of thousands
still open across teams at `now`.

Clocks: replaying a million timelines through the engine would take longer than the load, so
* open tickets get every clock from the engine itself (TicketClock rows and the summary on the ticket), as in
  the small history;
* closed tickets get `breached` from their SLA resolution clocks measured in bulk by towers.sla.bulk (which
  bench.sla checks against the engine): priority as finally set, pending and resolved-until-reopened time
  paused, each level's current calendar. Their TicketClock rows are not written (a recompute writes them);
  they are stopped, so clock_percent and clock_due_at stay empty as the engine's summary leaves them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

from towers.demo.desk_rows import Clocks, HistoryWriter
from towers.demo.ticketlife import Life
from towers.servicedesk.models import HandOff, Ticket, TicketClock, TicketEvent, TicketParty
from towers.sla.bulk import Batch, PriorityTarget, measure

BATCH = 10_000  # tickets per flush
CIS = Ticket.cis.through
TABLES: list[type[models.Model]] = [Ticket, TicketParty, CIS, HandOff, TicketClock, TicketEvent]
STOPPED = frozenset({"resolved", "closed", "cancelled"})


def _columns(model: type[models.Model]) -> tuple[list[str], dict[str, Any]]:
    """The columns COPY writes (all but an auto-incremented id) and each one's default."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    return [f.attname for f in fields], {f.attname: f.get_default() for f in fields}


class CopyWriter:
    """Same interface as HistoryWriter (add, flush, counts), writing with COPY and measuring clocks in bulk."""

    def __init__(self, rows: HistoryWriter, clocks: Clocks) -> None:
        self.rows, self.clocks = rows, clocks
        self.counts: Counter[str] = rows.counts
        self.method = "copy" if connection.vendor == "postgresql" else "bulk_create"
        self.layout = {model: _columns(model) for model in TABLES}
        self.pending: dict[type[models.Model], list[dict[str, Any]]] = defaultdict(list)
        self.closed: list[tuple[Life, dict[str, Any]]] = []

    def add(self, life: Life) -> None:
        if life.is_open:
            self._add_open(life)
        else:
            self._add_closed(life)
        self.counts.update(
            tickets=1,
            events=len(life.steps),
            handoffs=len(life.hops),
            rejected=sum(h.status == "rejected" for h in life.hops),
            ping_pong=life.ping_pong,
            reopened=life.reopen_count > 0,
            open=life.is_open,
        )
        if len(self.closed) >= BATCH:
            self.flush()

    def _add_open(self, life: Life) -> None:
        """Open tickets are few: the engine measures them as in the small history."""
        ticket = self.rows.ticket(life)
        handoffs = [self.rows.handoff(life, hop) for hop in life.hops]
        events = [self.rows.event(ticket, step) for step in life.steps]
        clocks = self.clocks.replay(ticket, events, handoffs, self.rows.now)
        self._common(life, self._fields(ticket))
        for handoff in handoffs:
            self.pending[HandOff].append(self._fields(handoff))
        for row, _result in clocks:
            self.pending[TicketClock].append(self._fields(row, ticket_id=ticket.id, handoff_id=row.handoff_id))
        self.counts.update(clocks=len(clocks), breached=ticket.breached)

    def _add_closed(self, life: Life) -> None:
        fields = self.rows.ticket_values(life) | {"breached": False}
        self.closed.append((life, fields))
        self._common(life, fields)
        self.pending[HandOff] += [self.rows.handoff_values(life, hop) for hop in life.hops]

    def _common(self, life: Life, ticket: dict[str, Any]) -> None:
        self.pending[Ticket].append(ticket)
        self.pending[TicketParty] += [{"ticket_id": life.id, "organisation_id": o} for o in life.parties]
        if life.ci in self.rows.cis:
            self.pending[CIS].append({"ticket_id": life.id, "configurationitem_id": self.rows.cis[life.ci]})
        self.pending[TicketEvent] += [self.rows.event_values(step) | {"ticket_id": life.id} for step in life.steps]

    @staticmethod
    def _fields(obj: models.Model, **extra: Any) -> dict[str, Any]:
        values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
        return values | extra

    def _breaches(self) -> None:
        """Closed tickets' SLA resolution clocks, measured in bulk per family of service levels."""
        groups: dict[int, tuple[Any, list[int]]] = {}
        for n, (life, fields) in enumerate(self.closed):
            for family in self.clocks.sla_for(fields["service_id"]):
                if family.metric == "resolution" and life.priority in family.spec.targets:
                    groups.setdefault(id(family), (family, []))[1].append(n)
        for family, members in groups.values():
            priorities = sorted(family.spec.targets)
            targets = [
                PriorityTarget(p, t.seconds, family.spec.calendars[t.calendar][-1][1])
                for p, t in ((p, family.spec.targets[p]) for p in priorities)
            ]
            start, stop, index, pause_record, pause_start, pause_end = [], [], [], [], [], []
            for k, n in enumerate(members):
                life = self.closed[n][0]
                opened, ended, pauses = _resolution_spans(life, family.spec.pause_states)
                start.append(opened)
                stop.append(ended)
                index.append(priorities.index(life.priority))
                for a, b in pauses:
                    pause_record.append(k)
                    pause_start.append(a)
                    pause_end.append(b)
            batch = Batch.of(
                start=start,
                stop=stop,
                open=np.zeros(len(members), dtype=bool),
                priority_index=index,
                pause_record=pause_record,
                pause_start=pause_start,
                pause_end=pause_end,
            )
            for n, breached in zip(members, measure(batch, targets).breached, strict=True):
                if breached:
                    self.closed[n][1]["breached"] = True
        self.counts["breached"] += sum(fields["breached"] for _life, fields in self.closed)

    def flush(self) -> None:
        self._breaches()
        for model in TABLES:
            rows = self.pending.pop(model, [])
            if rows:
                self._write(model, rows)
        self.closed = []

    def _write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        columns, defaults = self.layout[model]
        if model is TicketParty:
            self.counts["parties"] += len(rows)
        if self.method != "copy":
            model._default_manager.bulk_create([model(**{c: r.get(c, defaults[c]) for c in columns}) for r in rows])
            return
        json_columns = [c for c in columns if isinstance(model._meta.get_field(c), models.JSONField)]
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                for c in json_columns:
                    row[c] = json.dumps(row.get(c, defaults[c]))
                copy.write_row([row[c] if c in row else defaults[c] for c in columns])

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Load with the tables' secondary indexes and foreign keys dropped, then put them back (as pg_restore
        does): one sorted index build and one join per key cost far less than keeping them up row by row.

        Inside the caller's transaction, so a failed load leaves the schema as it was.
        """
        if self.method != "copy":
            yield
            self.flush()
            return
        tables = [model._meta.db_table for model in TABLES]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Checks still pending from earlier writes in this transaction would block the ALTERs: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                [tables],
            )
            keys = cursor.fetchall()
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _definition in keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        self.flush()
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in keys:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for table in tables:  # fresh statistics, or the planner prices the loaded tables as empty
                cursor.execute(f"ANALYZE {table}")

    def settle(self) -> None:
        """After the load commits: VACUUM the tables queues read, so their index-only scans need no heap visits."""
        if self.method == "copy" and not connection.in_atomic_block:  # VACUUM cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {Ticket._meta.db_table}, {TicketParty._meta.db_table}")


def _resolution_spans(life: Life, pause_states: frozenset[str]) -> tuple[float, float, list[tuple[float, float]]]:
    """When the resolution clock starts and finally stops, and the spans it stands still in between (epoch seconds)."""
    pauses: list[tuple[float, float]] = []
    since: float | None = None
    stopped = life.steps[-1].at.timestamp()
    for step in life.steps:
        at = step.at.timestamp()
        still = step.state in pause_states or step.state in STOPPED
        if still and since is None:
            since = at
        elif not still and since is not None:
            pauses.append((since, at))
            since = None
        if step.state in STOPPED and since is not None:
            stopped = since
    if since is not None:
        stopped = since
    return life.opened_at.timestamp(), max(stopped, life.opened_at.timestamp()), pauses
