"""Writes to tickets through the Table API: a ServiceNow body read into the service desk's own service calls.

An update is what ServiceNow's PUT and PATCH both are: a change of the fields given. Each part goes through
the service that owns it (fields, assignment or hand-off, state, comments), all in one transaction so a refused
part changes nothing. `work_notes` and `comments` are write-only, as in ServiceNow: a private and a public
comment. Towers keeps every ticket, so DELETE cancels one (`ticket_cancel`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from towers.cmdb.selectors import ci_get
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.integration.now_body import body_fields, level, reference, text
from towers.integration.now_records import FIELDS
from towers.integration.now_tables import STATE_CHOICES
from towers.organisations.models import Team
from towers.organisations.selectors import person_get, team_get
from towers.servicedesk.models import PendingReason, State, Ticket, TicketKind
from towers.servicedesk.selectors import category_by_code
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.tickets import (
    ticket_assign,
    ticket_comment,
    ticket_create,
    ticket_transition,
    ticket_update,
)

CREATABLE = ("short_description", "description", "impact", "urgency", "caller_id", "assignment_group", "cmdb_ci",
             "category")  # fmt: skip
COMMENTS = ("work_notes", "comments")  # write-only: a private and a public comment
UPDATABLE = ("short_description", "description", "impact", "urgency", "category", "cmdb_ci", "assigned_to",
             "assignment_group", "state", "close_code", "close_notes", "hold_reason", *COMMENTS)  # fmt: skip
# ServiceNow's on-hold reasons (1 awaiting caller, 4 awaiting vendor, 5 awaiting change); Towers' own are taken too.
HOLD_REASONS = {"1": PendingReason.REQUESTER, "4": PendingReason.SUPPLIER, "5": PendingReason.CHANGE}


def incident_create(*, actor: Actor, body: Any) -> Ticket:
    """Raise an incident from a ServiceNow incident body; fields Towers does not take are named, not ignored."""
    fields = body_fields(body, CREATABLE, (*FIELDS, *UPDATABLE), read_only="is not set on create here")
    ci = reference("cmdb_ci", fields.get("cmdb_ci"), lambda pk: ci_get(actor=actor, id=pk))
    return ticket_create(
        actor=actor,
        kind=TicketKind.INCIDENT,
        title=text("short_description", fields.get("short_description"), required=True)[:300],
        description=text("description", fields.get("description")),
        impact=level("impact", fields.get("impact", 3)),
        urgency=level("urgency", fields.get("urgency", 3)),
        requester=reference("caller_id", fields.get("caller_id"), lambda pk: person_get(actor=actor, id=pk)),
        team=reference("assignment_group", fields.get("assignment_group"), lambda pk: team_get(actor=actor, id=pk)),
        cis=[ci] if ci else [],
        service=ci.service if ci else None,
        category=category_by_code(actor=actor, code=text("category", fields.get("category"))),
        channel="api",
    )


def _field_changes(actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """What ticket_update takes, read from the body."""
    changes: dict[str, Any] = {}
    if "short_description" in fields:
        changes["title"] = text("short_description", fields["short_description"], required=True)[:300]
    if "description" in fields:
        changes["description"] = text("description", fields["description"])
    for name in ("impact", "urgency"):
        if name in fields:
            changes[name] = level(name, fields[name])
    if "category" in fields:
        changes["category"] = category_by_code(actor=actor, code=text("category", fields["category"]))
    if "cmdb_ci" in fields:
        ci = reference("cmdb_ci", fields["cmdb_ci"], lambda pk: ci_get(actor=actor, id=pk))
        changes["cis"] = [ci] if ci else []
    if "assigned_to" in fields and "assignment_group" not in fields:
        changes["assignee"] = reference("assigned_to", fields["assigned_to"], lambda pk: person_get(actor=actor, id=pk))
    return changes


def _reassign(actor: Actor, ticket: Ticket, team: Team, fields: dict[str, Any]) -> None:
    """A team of the holding organisation is an assignment; another organisation's team is a hand-off."""
    assignee = reference("assigned_to", fields.get("assigned_to"), lambda pk: person_get(actor=actor, id=pk))
    if ticket.organisation_id is None or team.organisation_id == ticket.organisation_id:
        ticket_assign(actor=actor, ticket=ticket, team=team, assignee=assignee)
        return
    if assignee is not None:
        raise ValidationFailed.one("assigned_to", f"{team} assigns its own people once it accepts the ticket")
    ticket_hand_off(actor=actor, ticket=ticket, to_team=team, reason=f"Assigned to {team} through the Table API.")


def _transition(actor: Actor, ticket: Ticket, fields: dict[str, Any]) -> None:
    code = text("state", fields["state"]).split(" ", 1)[0]
    if code not in STATE_CHOICES:
        raise ValidationFailed.one("state", f"must be one of {', '.join(STATE_CHOICES)}")
    if ticket.state in STATE_CHOICES[code]:
        return
    hold = text("hold_reason", fields.get("hold_reason"))
    ticket_transition(
        actor=actor,
        ticket=ticket,
        state=STATE_CHOICES[code][-1],  # "2" (in progress) is Towers' assigned or in progress: work has started
        pending_reason=HOLD_REASONS.get(hold, hold),
        resolution_code=text("close_code", fields.get("close_code")),
        resolution_notes=text("close_notes", fields.get("close_notes")),
    )


def ticket_change(*, actor: Actor, ticket: Ticket, body: Any) -> Ticket:
    """Apply a PUT or PATCH body to a ticket through the service desk's services, all or nothing."""
    fields = body_fields(body, UPDATABLE, FIELDS)
    stray = [name for name in ("close_code", "close_notes", "hold_reason") if name in fields and "state" not in fields]
    if stray:
        raise ValidationFailed({name: ["is set together with state (6 resolves, 3 puts on hold)"] for name in stray})
    with transaction.atomic():
        changes = _field_changes(actor, fields)
        if changes:
            ticket_update(actor=actor, ticket=ticket, changes=changes)
        if "assignment_group" in fields:
            team = reference("assignment_group", fields["assignment_group"], lambda pk: team_get(actor=actor, id=pk))
            if team is None:
                raise ValidationFailed.one("assignment_group", "a ticket cannot be left without a team")
            if team.pk != ticket.team_id or "assigned_to" in fields:
                _reassign(actor, ticket, team, fields)
        if "state" in fields:
            _transition(actor, ticket, fields)
        for name in COMMENTS:
            if text(name, fields.get(name)):
                ticket_comment(actor=actor, ticket=ticket, body=text(name, fields[name]), public=name == "comments")
    return ticket


def ticket_cancel(*, actor: Actor, ticket: Ticket) -> None:
    """DELETE on a ticket: cancelled (audited), never destroyed; cancelling a cancelled ticket changes nothing."""
    if ticket.state != State.CANCELLED:
        note = "Cancelled through the Table API (DELETE)."
        ticket_transition(actor=actor, ticket=ticket, state=State.CANCELLED, note=note)
