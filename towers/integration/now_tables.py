"""ServiceNow's task tables (incident, problem, change_request, sc_req_item) as columns over Towers' tickets, and
encoded queries (now_query) turned into database filters on them.

A column says where its value lives on a Ticket and how ServiceNow's value reads in Towers (`state=2` is
Towers' assigned or in progress, `priority=1` is P1, a reference is a 32-character sys_id). A query naming a
column the table does not have is refused with its name, rather than ignored as ServiceNow would.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import reduce
from operator import and_, or_

from django.db.models import Q

from towers.integration.now_query import Condition, EncodedQuery, QueryError
from towers.servicedesk.models import State, TicketKind
from towers.servicedesk.models.tickets import OPEN_STATES

# ServiceNow's incident states and the Towers states each stands for.
STATE_CHOICES: dict[str, tuple[str, ...]] = {
    "1": (State.NEW,),
    "2": (State.ASSIGNED, State.IN_PROGRESS),
    "3": (State.PENDING,),
    "6": (State.RESOLVED,),
    "7": (State.CLOSED,),
    "8": (State.CANCELLED,),
}
NOW_STATE = {state: code for code, states in STATE_CHOICES.items() for state in states}
TRUE = {"true", "1", "yes"}


def sys_id(value: str) -> uuid.UUID:
    """A 32-character sys_id (or a dashed UUID) as the UUID Towers keeps."""
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a sys_id (32 hexadecimal characters)") from None


def now_time(value: str) -> datetime:
    """ServiceNow's `YYYY-MM-DD HH:MM:SS` (UTC in the API) or an ISO time."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a date and time (YYYY-MM-DD HH:MM:SS)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def priority(value: str) -> str:
    if value.strip() not in ("1", "2", "3", "4", "5"):
        raise ValueError(f"{value[:20]!r} is not a priority (1 critical … 5 planning)")
    return f"P{value.strip()}"


def whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value[:20]!r} is not a whole number") from None


@dataclass(frozen=True)
class Column:
    lookup: str  # the Django lookup path on Ticket
    read: Callable[[str], object] = str  # ServiceNow's value → Towers' stored value (ValueError when it cannot)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # one ServiceNow value → several stored
    text: bool = False  # compared case-insensitively, and empty means ""


TASK_COLUMNS: dict[str, Column] = {
    "sys_id": Column("id", sys_id),
    "number": Column("reference", str.upper),
    "short_description": Column("title", text=True),
    "description": Column("description", text=True),
    "state": Column("state", choices=STATE_CHOICES),
    "priority": Column("priority", priority),
    "impact": Column("impact", whole),
    "urgency": Column("urgency", whole),
    "assignment_group": Column("team_id", sys_id),
    "assignment_group.name": Column("team__name", text=True),
    "assigned_to": Column("assignee_id", sys_id),
    "assigned_to.user_name": Column("assignee__username", text=True),
    "caller_id": Column("requester_id", sys_id),
    "caller_id.user_name": Column("requester__username", text=True),
    "category": Column("category__code", text=True),
    "cmdb_ci": Column("cis__id", sys_id),
    "cmdb_ci.name": Column("cis__name", text=True),
    "opened_at": Column("opened_at", now_time),
    "resolved_at": Column("resolved_at", now_time),
    "closed_at": Column("closed_at", now_time),
    "sys_created_on": Column("created_at", now_time),
    "sys_updated_on": Column("updated_at", now_time),
    "close_code": Column("resolution_code", text=True),
    "close_notes": Column("resolution_notes", text=True),
    "reopen_count": Column("reopen_count", whole),
}
TASK_TABLES = {
    "incident": TicketKind.INCIDENT,
    "problem": TicketKind.PROBLEM,
    "change_request": TicketKind.CHANGE,
    "sc_req_item": TicketKind.REQUEST,
}
_COMPARE = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _active(condition: Condition) -> Q:
    """`active` is not a column in Towers: a ticket is active while its state is open."""
    if condition.operator not in ("=", "!="):
        raise QueryError(f"active{condition.operator}: active is compared with = or != true/false")
    wanted = (condition.value.strip().lower() in TRUE) == (condition.operator == "=")
    return Q(state__in=OPEN_STATES) if wanted else ~Q(state__in=OPEN_STATES)


def _values(column: Column, name: str, raw: list[str]) -> list[object]:
    out: list[object] = []
    for value in raw:
        if column.choices:
            if value not in column.choices:
                raise QueryError(f"{name}: {value!r} is not one of {', '.join(column.choices)}")
            out += column.choices[value]
            continue
        try:
            out.append(column.read(value))
        except ValueError as exc:
            raise QueryError(f"{name}: {exc}") from None
    return out


def condition_q(condition: Condition, columns: Mapping[str, Column]) -> Q:
    """One condition as a filter; raises QueryError naming an unknown column or a value it cannot read."""
    if condition.field == "active":
        return _active(condition)
    column = columns.get(condition.field)
    if column is None:
        raise QueryError(f"{condition.field}: no such field on this table")
    op, path = condition.operator, column.lookup
    if op in ("ISEMPTY", "ISNOTEMPTY"):
        empty = Q(**{f"{path}__isnull": True}) | (Q(**{path: ""}) if column.text else Q(pk__in=[]))
        return empty if op == "ISEMPTY" else ~empty
    if op in ("LIKE", "NOT LIKE", "STARTSWITH", "ENDSWITH"):
        lookup = {"LIKE": "icontains", "NOT LIKE": "icontains", "STARTSWITH": "istartswith", "ENDSWITH": "iendswith"}
        found = Q(**{f"{path}__{lookup[op]}": condition.value})
        return ~found if op == "NOT LIKE" else found
    values = _values(column, condition.field, condition.values)
    if op in _COMPARE:
        if column.choices or len(values) != 1:
            raise QueryError(f"{condition.field}{op}: this field is compared with = or IN")
        return Q(**{f"{path}__{_COMPARE[op]}": values[0]})
    exact = "iexact" if column.text else "exact"
    found = Q(**{f"{path}__in": values}) if len(values) != 1 else Q(**{f"{path}__{exact}": values[0]})
    return ~found if op in ("!=", "NOT IN") else found


def query_q(query: EncodedQuery, columns: Mapping[str, Column] = TASK_COLUMNS) -> Q:
    """The whole query: or-ed groups of and-ed clauses of or-ed conditions (empty matches everything)."""
    groups = [
        reduce(and_, (reduce(or_, (condition_q(c, columns) for c in clause)) for clause in group))
        for group in query.groups
    ]
    return reduce(or_, groups) if groups else Q()


def order_fields(query: EncodedQuery, columns: Mapping[str, Column] = TASK_COLUMNS) -> list[str]:
    """ORDERBY / ORDERBYDESC as Django ordering; an unknown field is refused."""
    out = []
    for name, descending in query.order_by:
        column = columns.get(name)
        if column is None:
            raise QueryError(f"ORDERBY{name}: no such field on this table")
        out.append(f"-{column.lookup}" if descending else column.lookup)
    return out
