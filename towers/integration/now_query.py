"""ServiceNow encoded queries (`sysparm_query`), parsed into plain conditions. Pure: no database.

An encoded query is conditions joined by `^` (and) and `^OR` (or), in groups joined by `^NQ` (a new query, or-ed
with the others), plus `ORDERBY<field>` / `ORDERBYDESC<field>` terms. `^OR` binds tighter than `^`, as in
ServiceNow: `active=true^priority=1^ORpriority=2` is active and (P1 or P2). A condition is a field name, an
operator and a value: `short_descriptionLIKEdisk`, `stateNOT IN6,7`, `assigned_toISEMPTY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Longest first, so `<=` wins over `<`, `NOT LIKE` over `LIKE`, `!=` over `=`.
OPERATORS = (
    "ISNOTEMPTY",
    "STARTSWITH",
    "ENDSWITH",
    "NOT LIKE",
    "ISEMPTY",
    "NOT IN",
    "LIKE",
    "!=",
    "<=",
    ">=",
    "IN",
    "=",
    "<",
    ">",
)
VALUELESS = frozenset({"ISEMPTY", "ISNOTEMPTY"})
LISTS = frozenset({"IN", "NOT IN"})
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_ORDER = re.compile(r"^ORDERBY(DESC)?([A-Za-z_][A-Za-z0-9_.]*)$")


class QueryError(ValueError):
    """An encoded query Towers cannot read; the message names the term and what is wrong with it."""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""

    @property
    def values(self) -> list[str]:
        """The items of an IN / NOT IN list."""
        return [v for v in self.value.split(",") if v != ""] if self.operator in LISTS else [self.value]


@dataclass
class EncodedQuery:
    # Or-ed groups (^NQ); each group is and-ed clauses (^); each clause is or-ed conditions (^OR).
    groups: list[list[list[Condition]]] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    @property
    def fields(self) -> set[str]:
        return {c.field for group in self.groups for clause in group for c in clause} | {f for f, _ in self.order_by}


def parse_condition(term: str) -> Condition:
    match = _FIELD.match(term)
    if match is None:
        raise QueryError(f"{term[:60]!r}: a condition starts with a field name")
    name = match.group()
    # A field name runs straight into an operator word (`stateIN1,2`, `numberSTARTSWITHINC`): the field ends where
    # the first operator starts. Field names are lower case in ServiceNow and operators upper case, so the first
    # cut that starts an operator is the right one.
    for cut in range(1, len(name) + 1):
        head, tail = name[:cut], term[cut:]
        operator = next((op for op in OPERATORS if tail.startswith(op)), None)
        if operator is not None:
            value = tail[len(operator) :]
            if operator in VALUELESS and value:
                raise QueryError(f"{term[:60]!r}: {operator} takes no value")
            return Condition(head, operator, value)
    raise QueryError(f"{term[:60]!r}: no operator (one of {', '.join(OPERATORS)})")


def parse_encoded_query(text: str) -> EncodedQuery:
    """Parse `sysparm_query`; raises QueryError naming the first term it cannot read."""
    query = EncodedQuery()
    if not text:
        return query
    for raw_group in text.split("^NQ"):
        group: list[list[Condition]] = []
        for term in raw_group.split("^"):
            if term in ("", "EQ"):  # an empty term, or the `^EQ` the ServiceNow UI puts at the end
                continue
            order = _ORDER.match(term)
            if order is not None:
                query.order_by.append((order.group(2), bool(order.group(1))))
                continue
            if term.startswith("OR"):
                if not group:
                    raise QueryError(f"{term[:60]!r}: ^OR needs a condition before it")
                group[-1].append(parse_condition(term[2:]))
            else:
                group.append([parse_condition(term)])
        if group:
            query.groups.append(group)
    return query
