"""TMF630 query parameters of a TMF621 list, read into plain data: attribute filters, fields, paging and sort.

Pure: it knows TMF's parameter grammar and which attributes Towers filters on, not the database. An attribute
Towers does not filter on is refused by name rather than ignored, so a caller never mistakes an unfiltered list
for a filtered one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

# Parameters that shape the answer rather than filter it.
RESERVED = ("fields", "offset", "limit", "sort", "before", "after", "filter")
# Attributes a list filters on, and whether their values are dates (which take .gt/.gte/.lt/.lte).
FILTERABLE: dict[str, bool] = {
    "id": False,
    "name": False,
    "status": False,
    "severity": False,
    "priority": False,
    "ticketType": False,
    "channel.id": False,
    "externalIdentifier.id": False,
    "creationDate": True,
    "lastUpdate": True,
    "resolutionDate": True,
}
DATE_OPERATORS = ("gt", "gte", "lt", "lte", "eq")
SORTABLE = ("creationDate", "lastUpdate", "priority", "severity", "name", "status", "resolutionDate")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class QueryError(ValueError):
    """A list's parameters cannot be read; the message names the parameter."""


@dataclass(frozen=True)
class Filter:
    attribute: str
    operator: str  # "eq" (any of `values`), or a date comparison
    values: tuple[str, ...] = ()
    moment: datetime | None = None


@dataclass(frozen=True)
class ListQuery:
    filters: tuple[Filter, ...] = ()
    fields: tuple[str, ...] | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    sort: tuple[str, ...] = field(default_factory=tuple)


def _date(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name}: {value!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise QueryError(f"{name}: {value!r} needs a time zone (e.g. 2026-01-31T09:00:00Z)")
    return moment


def _attribute(name: str) -> tuple[str, str] | None:
    """(attribute, operator) of a filter parameter ("creationDate.gt" → creationDate, gt); None if not one."""
    base, _, suffix = name.rpartition(".")
    if base and suffix in DATE_OPERATORS and FILTERABLE.get(base):
        return base, suffix
    return (name, "eq") if name in FILTERABLE else None


def _filter(name: str, attribute: str, operator: str, value: str) -> Filter:
    if FILTERABLE[attribute]:
        return Filter(attribute, operator, moment=_date(name, value))
    values = tuple(v.strip() for v in value.split(",") if v.strip())
    if not values:
        raise QueryError(f"{name}: give a value")
    return Filter(attribute, operator, values=values)


def _whole(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f"{name} must be a whole number") from None
    if number < 0:
        raise QueryError(f"{name} must not be negative")
    return number


def parse_fields(value: str | None) -> tuple[str, ...] | None:
    """The `fields` parameter: first-level attribute names, or None for all of them."""
    wanted = tuple(f.strip() for f in (value or "").split(",") if f.strip())
    return wanted or None


def _sort(value: str | None) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in (value or "").split(",") if k.strip())
    unknown = [k for k in keys if k.lstrip("-+") not in SORTABLE]
    if unknown:
        raise QueryError(f"sort: Towers sorts on {', '.join(SORTABLE)}; not {', '.join(unknown)}")
    return keys


def parse_list_query(params: Iterable[tuple[str, str]]) -> ListQuery:
    """A list's query string (as (name, value) pairs, a name possibly repeated) as a ListQuery."""
    single: dict[str, str] = {}
    filters: list[Filter] = []
    unknown: list[str] = []
    for name, value in params:
        if name in RESERVED:
            single[name] = value
            continue
        found = _attribute(name)
        if found is None:
            unknown.append(name)
        else:
            filters.append(_filter(name, *found, value))
    if unknown:
        raise QueryError(f"Towers does not filter trouble tickets on {', '.join(sorted(set(unknown)))}")
    for cursor in ("before", "after", "filter"):
        if single.get(cursor):
            raise QueryError(f"{cursor}: not supported here; page with offset and limit, filter with attribute=value")
    return ListQuery(
        filters=tuple(filters),
        fields=parse_fields(single.get("fields")),
        offset=_whole("offset", single.get("offset"), 0),
        limit=min(_whole("limit", single.get("limit"), DEFAULT_LIMIT), MAX_LIMIT),
        sort=_sort(single.get("sort")),
    )
