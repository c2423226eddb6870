"""Sigma correlation rules over a time-sorted stream of base-rule matches.

Supported: ``event_count``, ``value_count``, ``temporal`` and ``temporal_ordered``, with
``group-by`` (and field ``aliases``) and ``timespan``. Windows slide per group; a group that
fires is cleared, so one burst gives one alert rather than one per further event.
The extended boolean conditions of ``temporal`` (``rule_a and not rule_b``) are not handled:
``temporal`` here means "every referenced rule matched in the window".
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)

_OPS: dict[str, Callable[[float, float], bool]] = {
    "lt": float.__lt__,
    "lte": float.__le__,
    "gt": float.__gt__,
    "gte": float.__ge__,
    "eq": float.__eq__,
    "neq": float.__ne__,
}


@dataclass(frozen=True)
class Correlation:
    """What the evaluator needs from a correlation rule, free of pySigma's types."""

    id: str
    title: str
    type: str  # event_count | value_count | temporal | temporal_ordered
    rules: tuple[str, ...]  # referenced rule ids or names, in order
    timespan: float  # seconds
    group_by: tuple[str, ...] = ()
    op: str = "gte"
    count: float = 1
    value_field: str | None = None
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)  # alias → rule ref → field

    def field_for(self, name: str, rule: str) -> str:
        return self.aliases.get(name, {}).get(rule, name)


@dataclass(frozen=True)
class CorrelationAlert:
    correlation: Correlation
    group: tuple[Any, ...]
    first: float
    last: float
    count: int


def from_pysigma(rule: SigmaCorrelationRule) -> Correlation:
    """Translate a parsed pySigma correlation rule."""
    condition = rule.condition
    op, count, value_field = "gte", 1.0, None
    if isinstance(condition, SigmaCorrelationCondition):
        op = _op_name(condition.op)
        count = float(condition.count)
        fieldref = condition.fieldref
        value_field = fieldref[0] if isinstance(fieldref, list) else fieldref
    aliases = {alias.alias: {ref.reference: f for ref, f in alias.mapping.items()} for alias in rule.aliases}
    return Correlation(
        id=str(rule.id or rule.name or ""),
        title=rule.title,
        type=rule.type.name.lower() if isinstance(rule.type, SigmaCorrelationType) else str(rule.type).lower(),
        rules=tuple(ref.reference for ref in rule.rules or []),
        timespan=float(rule.timespan.seconds),
        group_by=tuple(rule.group_by or ()),
        op=op,
        count=count,
        value_field=value_field,
        aliases=aliases,
    )


def _op_name(op: SigmaCorrelationConditionOperator) -> str:
    return str(op.name).lower()


def correlate(
    correlation: Correlation, matches: Iterable[tuple[float, str, dict[str, Any]]]
) -> Iterator[CorrelationAlert]:
    """Alerts for ``(timestamp, rule reference, flat event)`` matches sorted by timestamp.

    ``rule reference`` is the id or name the correlation lists; other rules' matches are ignored.
    """
    wanted = set(correlation.rules)
    windows: dict[tuple[Any, ...], deque[tuple[float, str, Any]]] = defaultdict(deque)
    compare = _OPS[correlation.op]
    for timestamp, rule, event in matches:
        if rule not in wanted:
            continue
        lowered = {k.lower(): v for k, v in event.items()}
        group = tuple(lowered.get(correlation.field_for(name, rule).lower()) for name in correlation.group_by)
        value = (
            lowered.get(correlation.field_for(correlation.value_field, rule).lower())
            if correlation.value_field
            else None
        )
        window = windows[group]
        window.append((timestamp, rule, value))
        while window and window[0][0] < timestamp - correlation.timespan:
            window.popleft()
        if _fires(correlation, window, compare):
            yield CorrelationAlert(correlation, group, window[0][0], timestamp, len(window))
            window.clear()


def _fires(
    correlation: Correlation, window: deque[tuple[float, str, Any]], compare: Callable[[float, float], bool]
) -> bool:
    if correlation.type == "event_count":
        return compare(float(len(window)), correlation.count)
    if correlation.type == "value_count":
        return compare(float(len({v for _t, _r, v in window if v is not None})), correlation.count)
    if correlation.type == "temporal":
        return {r for _t, r, _v in window} >= set(correlation.rules)
    if correlation.type == "temporal_ordered":
        # The referenced rules must appear as a subsequence, in the listed order.
        position = 0
        for _t, rule, _v in window:
            if rule == correlation.rules[position]:
                position += 1
                if position == len(correlation.rules):
                    return True
        return False
    raise ValueError(f"unsupported correlation type {correlation.type}")
