"""The batched evaluator: many compiled rules over a stream of events.

Rules are indexed by the (Channel, EventID) their logsource allows, so each event is tested
only against the rules that could apply to it; on Windows telemetry that is a small slice
of the rule set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.events import PreparedEvent, prepare

# Key for "any EventID of this channel".
_ANY = -1


class Engine:
    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.rules = list(rules)
        self._by_channel: dict[str, dict[int, list[CompiledRule]]] = defaultdict(lambda: defaultdict(list))
        self._windows_any: list[CompiledRule] = []  # Windows rules without a channel restriction
        self._non_windows: list[CompiledRule] = []  # rules for events without a Windows channel
        for rule in self.rules:
            source = rule.logsource
            if not source.windows:
                self._non_windows.append(rule)
            elif source.channels is None:
                self._windows_any.append(rule)
                self._non_windows.append(rule)
            else:
                for channel in source.channels:
                    for event_id in source.event_ids.get(channel) or (_ANY,):
                        self._by_channel[channel][event_id].append(rule)
        self._cache: dict[tuple[str, int | None], list[CompiledRule]] = {}

    def candidates(self, channel: str | None, event_id: int | None) -> list[CompiledRule]:
        """The rules whose logsource accepts an event of this channel and ID (memoised)."""
        if channel is None:
            return self._non_windows
        key = (channel, event_id)
        found = self._cache.get(key)
        if found is None:
            per_id = self._by_channel.get(channel, {})
            found = list(per_id.get(_ANY, ())) + (list(per_id.get(event_id, ())) if event_id is not None else [])
            found += self._windows_any
            if event_id is not None:
                # A rule whose detection requires other EventIDs cannot match (see CompiledRule.event_ids).
                found = [rule for rule in found if rule.event_ids is None or event_id in rule.event_ids]
            self._cache[key] = found
        return found

    def evaluate(self, event: PreparedEvent) -> list[CompiledRule]:
        """Every rule that matches the event."""
        channel = event.lower.get("channel")
        raw_id = event.raw.get("eventid")
        try:
            event_id = int(raw_id) if raw_id is not None else None
        except (TypeError, ValueError):
            event_id = None
        rules = self.candidates(channel if isinstance(channel, str) else None, event_id)
        return [rule for rule in rules if rule.predicate(event)]

    def run(self, events: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], CompiledRule]]:
        """(event, rule) for every match over a stream of flat events."""
        for flat in events:
            for rule in self.evaluate(prepare(flat)):
                yield flat, rule
