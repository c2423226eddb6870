"""Sigma correlation rules over a time-sorted stream of base-rule matches (offline, `correlate`) and the firing
test the live stream shares with it (`fires`, `firing_window`; the state lives in towers.soc.services.correlations).

Supported: ``event_count``, ``value_count``, ``temporal`` and ``temporal_ordered``, with
``group-by`` (and field ``aliases``) and ``timespan``. Windows slide per group; a group that
fires is cleared, so one burst gives one alert rather than one per further event.
The extended boolean conditions of ``temporal`` (``rule_a and not rule_b``) are not handled:
``temporal`` here means "every referenced rule matched in the window".
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


Match = tuple[float, str, Any]  # (timestamp, the rule reference that matched, the counted value or None)


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
    generate: bool = False  # whether the referenced rules also raise alerts of their own

    def field_for(self, name: str, *rule: str) -> str:
        """The event field an alias stands for in events of `rule` (tried in turn: reference, name, id)."""
        mapping = self.aliases.get(name)
        if mapping:
            for ref in rule:
                if ref in mapping:
                    return mapping[ref]
        return name


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
        generate=bool(rule.generate),
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
    windows: dict[tuple[Any, ...], deque[Match]] = defaultdict(deque)
    for timestamp, rule, event in matches:
        if rule not in wanted:
            continue
        lowered = lowered_keys(event)
        group = group_of(correlation, lowered, rule)
        window = windows[group]
        window.append((timestamp, rule, value_of(correlation, lowered, rule)))
        while window and window[0][0] < timestamp - correlation.timespan:
            window.popleft()
        if fires(correlation, window):
            yield CorrelationAlert(correlation, group, window[0][0], timestamp, len(window))
            window.clear()


def lowered_keys(event: Mapping[str, Any]) -> dict[str, Any]:
    """Field names compared case-insensitively, as Sigma matches them."""
    return {k.lower(): v for k, v in event.items()}


def group_of(correlation: Correlation, lowered: Mapping[str, Any], *rule: str) -> tuple[Any, ...]:
    """The group-by values of an event (keys lowered) matched by `rule` (its reference, then other names)."""
    return tuple(lowered.get(correlation.field_for(name, *rule).lower()) for name in correlation.group_by)


def value_of(correlation: Correlation, lowered: Mapping[str, Any], *rule: str) -> Any:
    """value_count: the counted field's value in the event, else None."""
    if not correlation.value_field:
        return None
    return lowered.get(correlation.field_for(correlation.value_field, *rule).lower())


def fires(correlation: Correlation, window: Sequence[Match]) -> bool:
    """Whether one group's matches inside one timespan, in time order, satisfy the correlation's condition."""
    compare = _OPS[correlation.op]
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


def firing_window(correlation: Correlation, window: Sequence[Match], new: int) -> tuple[int, int] | None:
    """``(start, stop)`` of the first span of `window` that fires now that the match at index `new` has arrived.

    `window` holds one group's matches sorted by time. An in-order arrival is the last match, and the only span to
    check ends with it, as in `correlate`. A late one may instead complete a span that ends with a later match, so
    every span ending at or after it (and still holding it) is checked: the checks `correlate` would have made had
    it arrived in order.
    """
    arrived = window[new][0]
    start = 0
    for stop in range(new + 1, len(window) + 1):
        last = window[stop - 1][0]
        if last > arrived + correlation.timespan:
            break
        while window[start][0] < last - correlation.timespan:
            start += 1
        if fires(correlation, window[start:stop]):
            return start, stop
    return None
