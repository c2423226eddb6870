"""The tables the ServiceNow-compatible Table API serves: one entry a table, naming its columns, its visible rows
for an actor, how a record reads, and the service calls that create, change and delete (never destroy) one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.integration import now_cmdb, now_users, now_writes
from towers.integration.now_columns import Column
from towers.integration.now_records import FIELDS, Shape, ticket_record
from towers.integration.now_tables import TASK_COLUMNS, TASK_TABLES
from towers.servicedesk.models import Ticket
from towers.servicedesk.selectors import tickets_visible


@dataclass(frozen=True)
class Table:
    columns: Mapping[str, Column]
    fields: tuple[str, ...]
    rows: Callable[[Actor], QuerySet[Any]]  # what the actor may see, related rows loaded for a page
    render: Callable[[Any, Shape], dict[str, Any]]
    order: tuple[str, ...]  # the order when the query names none (ORDERBY terms come first)
    update: Callable[[Actor, Any, Any], Any] | None = None  # None: read-only here
    delete: Callable[[Actor, Any], None] | None = None
    create: Callable[[Actor, Any], Any] | None = None


def _task_rows(kind: str) -> Callable[[Actor], QuerySet[Ticket]]:
    def rows(actor: Actor) -> QuerySet[Ticket]:
        return (
            tickets_visible(actor)
            .filter(kind=kind)
            .select_related("team", "assignee", "requester", "category")
            .prefetch_related("cis")
        )

    return rows


def _task_table(name: str, kind: str) -> Table:
    return Table(
        columns=TASK_COLUMNS,
        fields=FIELDS,
        rows=_task_rows(kind),
        render=lambda ticket, shape: ticket_record(ticket, name, shape),
        order=("opened_at", "id"),
        update=lambda actor, ticket, body: now_writes.ticket_change(actor=actor, ticket=ticket, body=body),
        delete=lambda actor, ticket: now_writes.ticket_cancel(actor=actor, ticket=ticket),
        # Problems, changes and requests have their own steps (detail records, CAB, catalogue): raised in Towers.
        create=(lambda actor, body: now_writes.incident_create(actor=actor, body=body)) if name == "incident" else None,
    )


def _ci_table(ci_class: str) -> Table:
    return Table(
        columns=now_cmdb.ci_columns(ci_class),
        fields=now_cmdb.ci_fields(ci_class),
        rows=lambda actor: now_cmdb.ci_rows(actor, ci_class),
        render=lambda ci, shape: now_cmdb.ci_record(ci, ci_class, shape),
        order=("ci_class", "name", "id"),
        update=lambda actor, ci, body: now_cmdb.ci_change(actor=actor, ci=ci, body=body, ci_class=ci_class),
        delete=lambda actor, ci: now_cmdb.ci_retire(actor=actor, ci=ci),
        create=lambda actor, body: now_cmdb.ci_insert(actor=actor, body=body, ci_class=ci_class),
    )


USERS = Table(
    columns=now_users.USER_COLUMNS,
    fields=now_users.USER_FIELDS,
    rows=now_users.user_rows,
    render=now_users.user_record,
    order=("last_name", "first_name", "username", "id"),
    update=lambda actor, person, body: now_users.user_change(actor=actor, person=person, body=body),
    delete=lambda actor, person: now_users.user_deactivate(actor=actor, person=person),
    create=lambda actor, body: now_users.user_insert(actor=actor, body=body),
)
GROUPS = Table(
    columns=now_users.GROUP_COLUMNS,
    fields=now_users.GROUP_FIELDS,
    rows=now_users.group_rows,
    render=now_users.group_record,
    order=("organisation__name", "name", "id"),
    update=lambda actor, team, body: now_users.group_change(actor=actor, team=team, body=body),
    delete=lambda actor, team: now_users.group_deactivate(actor=actor, team=team),
    create=lambda actor, body: now_users.group_insert(actor=actor, body=body),
)
# Organisations are registered by the authority's administrators in Towers itself.
COMPANIES = Table(
    columns=now_users.COMPANY_COLUMNS,
    fields=now_users.COMPANY_FIELDS,
    rows=now_users.company_rows,
    render=now_users.company_record,
    order=("name", "id"),
)
TABLES: dict[str, Table] = {
    **{name: _task_table(name, kind) for name, kind in TASK_TABLES.items()},
    **{now: _ci_table(towers) for towers, now in now_cmdb.NOW_CLASSES.items()},
    "sys_user": USERS,
    "sys_user_group": GROUPS,
    "core_company": COMPANIES,
}
