"""Tickets as ServiceNow task records: the field names, values and display values its Table API returns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from towers.integration.now_tables import NOW_STATE
from towers.servicedesk.models import State, Ticket
from towers.servicedesk.models.tickets import OPEN_STATES

LONDON = ZoneInfo("Europe/London")  # display values, as a UK user of the tool would see them
STATE_LABELS = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
PRIORITY_LABELS = {"1": "1 - Critical", "2": "2 - High", "3": "3 - Moderate", "4": "4 - Low", "5": "5 - Planning"}
LEVEL_LABELS = {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"}
# Reference fields: the table the referenced record lives in, and how to reach it from a ticket.
REFERENCES: dict[str, tuple[str, Callable[[Ticket], Any]]] = {
    "assignment_group": ("sys_user_group", lambda t: t.team),
    "assigned_to": ("sys_user", lambda t: t.assignee),
    "caller_id": ("sys_user", lambda t: t.requester),
    "cmdb_ci": ("cmdb_ci", lambda t: next(iter(t.cis.all()), None)),
}


def now_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _display_time(value: datetime | None) -> str:
    return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def _plain(ticket: Ticket, table: str) -> dict[str, tuple[str, str]]:
    """Every non-reference field as (value, display value)."""
    state = NOW_STATE.get(State(ticket.state), "1")
    priority, impact, urgency = ticket.priority.removeprefix("P"), str(ticket.impact), str(ticket.urgency)
    times = {
        "opened_at": ticket.opened_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "sys_created_on": ticket.created_at,
        "sys_updated_on": ticket.updated_at,
    }
    active = "true" if ticket.state in OPEN_STATES else "false"
    return {
        "sys_id": (ticket.pk.hex, ticket.pk.hex),
        "number": (ticket.reference, ticket.reference),
        "sys_class_name": (table, table),
        "short_description": (ticket.title, ticket.title),
        "description": (ticket.description, ticket.description),
        "state": (state, STATE_LABELS[state]),
        "priority": (priority, PRIORITY_LABELS.get(priority, priority)),
        "impact": (impact, LEVEL_LABELS.get(impact, impact)),
        "urgency": (urgency, LEVEL_LABELS.get(urgency, urgency)),
        "category": (ticket.category.code if ticket.category else "", ticket.category.name if ticket.category else ""),
        "close_code": (ticket.resolution_code, ticket.resolution_code),
        "close_notes": (ticket.resolution_notes, ticket.resolution_notes),
        "reopen_count": (str(ticket.reopen_count), str(ticket.reopen_count)),
        "active": (active, active),
        **{name: (now_time(at), _display_time(at)) for name, at in times.items()},
    }


FIELDS = (
    "sys_id",
    "number",
    "sys_class_name",
    "short_description",
    "description",
    "state",
    "priority",
    "impact",
    "urgency",
    "category",
    "assignment_group",
    "assigned_to",
    "caller_id",
    "cmdb_ci",
    "opened_at",
    "resolved_at",
    "closed_at",
    "close_code",
    "close_notes",
    "reopen_count",
    "active",
    "sys_created_on",
    "sys_updated_on",
)


def _reference(ticket: Ticket, name: str, base_url: str) -> tuple[str, str, str]:
    """(sys_id, display name, link) of a reference field; empty strings when it is empty."""
    table, get = REFERENCES[name]
    target = get(ticket)
    if target is None:
        return "", "", ""
    label = getattr(target, "name", None) or getattr(target, "username", "") or str(target)
    return target.pk.hex, label, f"{base_url}/api/now/table/{table}/{target.pk.hex}"


def ticket_record(
    ticket: Ticket,
    *,
    table: str,
    fields: list[str] | None = None,
    display: str = "false",
    links: bool = True,
    base_url: str = "",
) -> dict[str, Any]:
    """One record as the Table API shows it: `display` is sysparm_display_value (false, true or all)."""
    plain = _plain(ticket, table)
    out: dict[str, Any] = {}
    for name in fields or FIELDS:
        if name in REFERENCES:
            value, label, link = _reference(ticket, name, base_url)
            if display == "true":
                out[name] = label
            elif display == "all":
                out[name] = {"display_value": label, "value": value, **({"link": link} if links and value else {})}
            else:
                out[name] = {"link": link, "value": value} if links and value else value
        elif name in plain:
            value, label = plain[name]
            if display == "true":
                out[name] = label
            elif display == "all":
                out[name] = {"display_value": label, "value": value}
            else:
                out[name] = value
    return out
