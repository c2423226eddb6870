"""Columns of the Table API's tables and encoded queries (now_query) turned into database filters on them.

A column says where its value lives on a Towers model and how ServiceNow's value reads in Towers (`state=2` is
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

TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no"}


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


def whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value[:20]!r} is not a whole number") from None


def boolean(value: str) -> bool:
    text = str(value).strip().lower()
    if text not in TRUE | FALSE:
        raise ValueError(f"{str(value)[:20]!r} is not true or false")
    return text in TRUE


@dataclass(frozen=True)
class Column:
    lookup: str  # the Django lookup path on the table's model
    read: Callable[[str], object] = str  # ServiceNow's value → Towers' stored value (ValueError when it cannot)
    choices: Mapping[str, tuple[object, ...]] = field(default_factory=dict)  # one ServiceNow value → several stored
    text: bool = False  # compared case-insensitively, and empty means ""
    q: Callable[[Condition], Q] | None = None  # a column that is not stored as such (a task's `active`)


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


_COMPARE = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_TEXT = {"LIKE": "icontains", "NOT LIKE": "icontains", "STARTSWITH": "istartswith", "ENDSWITH": "iendswith"}


def condition_q(condition: Condition, columns: Mapping[str, Column]) -> Q:
    """One condition as a filter; raises QueryError naming an unknown column or a value it cannot read."""
    column = columns.get(condition.field)
    if column is None:
        raise QueryError(f"{condition.field}: no such field on this table")
    if column.q is not None:
        return column.q(condition)
    op, path = condition.operator, column.lookup
    if op in ("ISEMPTY", "ISNOTEMPTY"):
        empty = Q(**{f"{path}__isnull": True}) | (Q(**{path: ""}) if column.text else Q(pk__in=[]))
        return empty if op == "ISEMPTY" else ~empty
    if op in _TEXT:
        found = Q(**{f"{path}__{_TEXT[op]}": condition.value})
        return ~found if op == "NOT LIKE" else found
    values = _values(column, condition.field, condition.values)
    if op in _COMPARE:
        if column.choices or len(values) != 1:
            raise QueryError(f"{condition.field}{op}: this field is compared with = or IN")
        return Q(**{f"{path}__{_COMPARE[op]}": values[0]})
    exact = "iexact" if column.text else "exact"
    found = Q(**{f"{path}__in": values}) if len(values) != 1 else Q(**{f"{path}__{exact}": values[0]})
    return ~found if op in ("!=", "NOT IN") else found


def query_q(query: EncodedQuery, columns: Mapping[str, Column]) -> Q:
    """The whole query: or-ed groups of and-ed clauses of or-ed conditions (empty matches everything)."""
    groups = [
        reduce(and_, (reduce(or_, (condition_q(c, columns) for c in clause)) for clause in group))
        for group in query.groups
    ]
    return reduce(or_, groups) if groups else Q()


def order_fields(query: EncodedQuery, columns: Mapping[str, Column]) -> list[str]:
    """ORDERBY / ORDERBYDESC as Django ordering; an unknown field is refused."""
    out = []
    for name, descending in query.order_by:
        column = columns.get(name)
        if column is None or column.q is not None:
            raise QueryError(f"ORDERBY{name}: no such field on this table")
        out.append(f"-{column.lookup}" if descending else column.lookup)
    return out
