"""The tickets part: each ticket the supplier held, with its whole timeline, hand-offs, clocks and attachments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch

from towers.cmdb.models import ConfigurationItem
from towers.reporting.exit_scope import PackScope, batches, tickets_of
from towers.reporting.exit_writer import Part, Row
from towers.servicedesk.models import Attachment, HandOff, Ticket, TicketClock, TicketEvent

COLUMNS = (
    ("id", "the ticket's UUID"),
    ("reference", "its reference (INC…, REQ…, TSK…, PRB…, CHG…)"),
    ("kind", "incident, request, task, problem or change"),
    ("title", "its title"),
    ("state", "new, assigned, in_progress, pending, resolved, closed or cancelled"),
    ("priority", "P1–P4"),
    ("impact", "1 high … 3 low"),
    ("urgency", "1 high … 3 low"),
    ("service", "the catalogue service's code"),
    ("category", "the category's code"),
    ("channel", "how it was raised"),
    ("requester_organisation", "the requester's organisation (code)"),
    ("holder_team", "the team holding it at export (code)"),
    ("holder_organisation", "that team's organisation (code)"),
    ("opened_at", "when it was raised"),
    ("responded_at", "first response"),
    ("resolved_at", "when it was resolved"),
    ("closed_at", "when it was closed"),
    ("resolution_code", "how it was resolved"),
    ("reopen_count", "times reopened"),
    ("hop_count", "hand-offs between organisations"),
    ("crossed_suppliers", "true if it passed between suppliers"),
    ("ping_pong", "true if it went back and forth between two organisations"),
    ("is_major", "true for a major incident"),
    ("breached", "true if a service level clock breached"),
    ("held_by_supplier", "true if the pack's supplier held it at export"),
    ("events", "lines in its timeline (tickets.jsonl has them)"),
    ("handoffs", "hand-offs (tickets.jsonl has them)"),
    ("cis", "names of the configuration items it affects, separated by ';'"),
    ("description", "its description"),
    ("resolution_notes", "the resolution notes"),
)
DESCRIPTION = (
    "Tickets of every kind the supplier held at any time (it was the holder, sent or received a hand-off, or "
    "was otherwise party to it), or raised. tickets.jsonl holds each with `timeline` (every event, oldest "
    "first, with who, the state and holder it left, comments and their data), `handoffs`, `clocks` (each "
    "service level's clock) and `attachments` (name, size and SHA-256 as recorded at upload; the files "
    "themselves are under attachments/, listed in attachments.csv)."
)


def _code(obj: Any) -> str | None:
    return getattr(obj, "code", None) if obj is not None else None


def _event(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.id, "at": event.at, "kind": event.kind, "actor": event.actor_label, "state": event.state,
        "priority": event.priority, "team": _code(event.team), "organisation": _code(event.organisation),
        "body": event.body, "public": event.public, "data": event.data,
    }  # fmt: skip


def _handoff(handoff: HandOff) -> dict[str, Any]:
    return {
        "id": handoff.id, "sent_at": handoff.created_at, "from_team": _code(handoff.from_team),
        "from_organisation": _code(handoff.from_organisation), "to_team": _code(handoff.to_team),
        "to_organisation": _code(handoff.to_organisation), "reason": handoff.reason, "status": handoff.status,
        "sent_by": handoff.sent_by, "decided_by": handoff.decided_by, "decided_at": handoff.decided_at,
        "response": handoff.response, "released_at": handoff.released_at,
    }  # fmt: skip


def _clock(clock: TicketClock) -> dict[str, Any]:
    return {
        "service_level": clock.service_level.code, "name": clock.name, "kind": clock.kind, "metric": clock.metric,
        "organisation": _code(clock.organisation), "handoff": clock.handoff_id, "state": clock.state,
        "target_seconds": clock.target_seconds, "elapsed_seconds": clock.elapsed_seconds, "percent": clock.percent,
        "due_at": clock.due_at, "breached": clock.breached, "stopped_at": clock.stopped_at,
        "by_organisation": clock.by_organisation, "computed_at": clock.computed_at,
    }  # fmt: skip


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id, "filename": attachment.filename, "content_type": attachment.content_type,
        "size": attachment.size, "sha256": attachment.sha256, "uploaded_by": attachment.uploaded_by,
        "uploaded_at": attachment.created_at, "public": attachment.public,
    }  # fmt: skip


def _ref(ticket: Ticket | None, shown: set[Any]) -> str | None:
    return ticket.reference if ticket is not None and ticket.pk in shown else None


def ticket_row(ticket: Ticket, supplier_id: object, shown: set[Any]) -> Row:
    """`shown`: the linked tickets (parent, problem, cause) the pack's readers may see, to name by reference."""
    cis = list(ticket.cis.all())
    flat: dict[str, Any] = {
        "id": ticket.id, "reference": ticket.reference, "kind": ticket.kind, "title": ticket.title,
        "state": ticket.state, "priority": ticket.priority, "impact": ticket.impact, "urgency": ticket.urgency,
        "service": _code(ticket.service), "category": _code(ticket.category), "channel": ticket.channel,
        "requester_organisation": _code(ticket.requester_organisation), "holder_team": _code(ticket.team),
        "holder_organisation": _code(ticket.organisation), "opened_at": ticket.opened_at,
        "responded_at": ticket.responded_at, "resolved_at": ticket.resolved_at, "closed_at": ticket.closed_at,
        "resolution_code": ticket.resolution_code, "reopen_count": ticket.reopen_count,
        "hop_count": ticket.hop_count, "crossed_suppliers": ticket.crossed_suppliers, "ping_pong": ticket.ping_pong,
        "is_major": ticket.is_major, "breached": ticket.breached,
        "held_by_supplier": ticket.organisation_id == supplier_id, "events": len(ticket.events.all()),
        "handoffs": len(ticket.handoffs.all()), "cis": ";".join(ci.name for ci in cis),
        "description": ticket.description, "resolution_notes": ticket.resolution_notes,
    }  # fmt: skip
    obj = {
        **{k: v for k, v in flat.items() if k not in {"events", "handoffs", "cis"}},
        "pending_reason": ticket.pending_reason,
        "requester": ticket.requester.get_username() if ticket.requester else ticket.requester_email or None,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "parent": _ref(ticket.parent, shown),
        "problem": _ref(ticket.problem, shown),
        "caused_by": _ref(ticket.caused_by, shown),
        "answers": ticket.answers,
        "cis": [{"id": ci.id, "name": ci.name, "ci_class": ci.ci_class} for ci in cis],
        "timeline": [_event(e) for e in ticket.events.all()],
        "handoffs": [_handoff(h) for h in ticket.handoffs.all()],
        "clocks": [_clock(c) for c in ticket.clocks.all()],
        "attachments": [_attachment(a) for a in ticket.attachments.all()],
    }
    return obj, flat


def _rows(scope: PackScope) -> Iterator[Row]:
    visible_cis = scope.within(ConfigurationItem.objects.all()).only("id", "name", "ci_class")
    tickets = tickets_of(scope).select_related(
        "service", "category", "requester", "requester_organisation", "team", "organisation", "assignee",
        "parent", "problem", "caused_by",
    ).prefetch_related(
        Prefetch("events", TicketEvent.objects.select_related("team", "organisation").order_by("at", "id")),
        Prefetch("handoffs", HandOff.objects.select_related(
            "from_team", "from_organisation", "to_team", "to_organisation").order_by("created_at")),
        Prefetch("clocks", TicketClock.objects.select_related("service_level", "organisation")),
        Prefetch("attachments", Attachment.objects.order_by("created_at")),
        Prefetch("cis", visible_cis.order_by("name")),
    )  # fmt: skip
    for batch in batches(tickets, key="reference"):
        linked = {pk for t in batch for pk in (t.parent_id, t.problem_id, t.caused_by_id) if pk}
        visible = scope.within(Ticket.objects.filter(pk__in=linked)) if linked else Ticket.objects.none()
        shown = set(visible.values_list("pk", flat=True))
        for ticket in batch:
            yield ticket_row(ticket, scope.supplier.id, shown)


def tickets_part(scope: PackScope) -> Part:
    return Part("tickets", "Tickets with their timelines", DESCRIPTION, COLUMNS, lambda: _rows(scope))
