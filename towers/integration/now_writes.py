"""Writes through the ServiceNow-compatible Table API: a ServiceNow body read into Towers' own service calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from towers.cmdb.selectors import ci_get
from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.integration.now_tables import sys_id
from towers.organisations.selectors import person_get, team_get
from towers.servicedesk.models import Ticket, TicketKind
from towers.servicedesk.selectors import category_by_code
from towers.servicedesk.services.tickets import ticket_create

CREATABLE = ("short_description", "description", "impact", "urgency", "caller_id", "assignment_group", "cmdb_ci",
             "category")  # fmt: skip


def _level(name: str, value: Any) -> int:
    try:
        level = int(str(value).split(" ", 1)[0])  # "2" or "2 - Medium"
    except ValueError:
        raise ValidationFailed.one(name, "must be 1 (high), 2 or 3 (low)") from None
    if level not in (1, 2, 3):
        raise ValidationFailed.one(name, "must be 1 (high), 2 or 3 (low)")
    return level


def _reference(name: str, value: Any, get: Callable[[str], Any]) -> Any:
    """A reference field's record by sys_id; not found and not visible are the same answer."""
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        value = value.get("value", "")
    try:
        return get(sys_id(str(value)).hex)
    except (ValueError, NotFound):
        raise ValidationFailed.one(name, f"no record with sys_id {str(value)[:40]!r}") from None


def incident_create(*, actor: Actor, body: Any) -> Ticket:
    """Raise an incident from a ServiceNow incident body; fields Towers does not take are named, not ignored."""
    if not isinstance(body, dict):
        raise ValidationFailed.one("body", "must be a JSON object of field: value")
    unknown = sorted(set(body) - set(CREATABLE))
    if unknown:
        raise ValidationFailed({name: ["is not set on create here"] for name in unknown})
    title = str(body.get("short_description") or "").strip()
    if not title:
        raise ValidationFailed.one("short_description", "is required")
    ci = _reference("cmdb_ci", body.get("cmdb_ci"), lambda pk: ci_get(actor=actor, id=pk))
    category = body.get("category")
    return ticket_create(
        actor=actor,
        kind=TicketKind.INCIDENT,
        title=title[:300],
        description=str(body.get("description") or ""),
        impact=_level("impact", body.get("impact", 3)),
        urgency=_level("urgency", body.get("urgency", 3)),
        requester=_reference("caller_id", body.get("caller_id"), lambda pk: person_get(actor=actor, id=pk)),
        team=_reference("assignment_group", body.get("assignment_group"), lambda pk: team_get(actor=actor, id=pk)),
        cis=[ci] if ci else [],
        service=ci.service if ci else None,
        category=category_by_code(actor=actor, code=str(category)) if category else None,
        channel="api",
    )
