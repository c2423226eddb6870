"""Records as the Table API returns them: each field as a value, a display value or both, references as sys_ids
with links (`shape_record`, for every table); and tickets as ServiceNow task records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
Pair = tuple[str, str]  # (value, display value)


@dataclass(frozen=True)
class Shape:
    """How the caller asked for records: sysparm_fields, sysparm_display_value, reference links, the host."""

    fields: Sequence[str] | None = None
    display: str = "false"  # false, true or all
    links: bool = True
    base_url: str = ""


# Reference fields: the table the referenced record lives in, and how to reach it from a ticket.
REFERENCES: dict[str, tuple[str, Callable[[Ticket], Any]]] = {
    "assignment_group": ("sys_user_group", lambda t: t.team),
    "assigned_to": ("sys_user", lambda t: t.assignee),
    "caller_id": ("sys_user", lambda t: t.requester),
    "cmdb_ci": ("cmdb_ci", lambda t: next(iter(t.cis.all()), None)),
}


def api_time(value: datetime | None) -> str:
    """A time as the API gives it: UTC, `YYYY-MM-DD HH:MM:SS`."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def time_pair(value: datetime | None) -> Pair:
    """A time as ServiceNow's API value (UTC) and display value (as a UK user sees it)."""
    return api_time(value), value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M:%S") if value else ""


def flag_pair(value: bool) -> Pair:
    return ("true", "true") if value else ("false", "false")


def _label(target: Any) -> str:
    return str(getattr(target, "name", "") or target)


def shape_record(
    plain: dict[str, Pair], refs: dict[str, tuple[str, Any]], every: Sequence[str], shape: Shape
) -> dict[str, Any]:
    """One record as the caller asked for it; `refs` maps a reference field to (its table, the target or None)."""
    out: dict[str, Any] = {}
    for name in shape.fields or every:
        link = ""
        if name in refs:
            table, target = refs[name]
            value, label = (target.pk.hex, _label(target)) if target is not None else ("", "")
            link = f"{shape.base_url}/api/now/table/{table}/{value}" if shape.links and value else ""
        elif name in plain:
            value, label = plain[name]
        else:
            continue
        if shape.display == "true":
            out[name] = label
        elif shape.display == "all":
            out[name] = {"display_value": label, "value": value, **({"link": link} if link else {})}
        else:
            out[name] = {"link": link, "value": value} if link else value
    return out


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
        "active": flag_pair(ticket.state in OPEN_STATES),
        **{name: time_pair(at) for name, at in times.items()},
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


def ticket_record(ticket: Ticket, table: str, shape: Shape) -> dict[str, Any]:
    """One task record as the Table API shows it."""
    refs = {name: (target_table, get(ticket)) for name, (target_table, get) in REFERENCES.items()}
    return shape_record(_plain(ticket, table), refs, FIELDS, shape)
