"""ServiceNow's task tables (incident, problem, change_request, sc_req_item) as columns over Towers' tickets.

`state=2` is Towers' assigned or in progress, `priority=1` is P1; `active` is not stored: a ticket is active while
its state is open.
"""

from __future__ import annotations

from django.db.models import Q

from towers.integration.now_columns import TRUE, Column, now_time, sys_id, whole
from towers.integration.now_query import Condition, QueryError
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


def priority(value: str) -> str:
    if value.strip() not in ("1", "2", "3", "4", "5"):
        raise ValueError(f"{value[:20]!r} is not a priority (1 critical … 5 planning)")
    return f"P{value.strip()}"


def _active(condition: Condition) -> Q:
    if condition.operator not in ("=", "!="):
        raise QueryError(f"active{condition.operator}: active is compared with = or != true/false")
    wanted = (condition.value.strip().lower() in TRUE) == (condition.operator == "=")
    return Q(state__in=OPEN_STATES) if wanted else ~Q(state__in=OPEN_STATES)


TASK_COLUMNS: dict[str, Column] = {
    "active": Column("state", q=_active),
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
