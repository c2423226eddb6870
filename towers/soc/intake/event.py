"""The one internal event shape every intake format produces, and the quarantine record for what cannot be parsed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Source = Literal["syslog", "cef", "leef", "evtx", "jsonl", "http"]


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs three times as much, on intake's hot path
class Event:
    """A parsed event; `fields` keeps the original field names (flattened) so Sigma rules match them as written."""

    fields: dict[str, Any]
    source: Source
    received_at: datetime
    raw: bytes | str


@dataclass(frozen=True, slots=True)
class Quarantined:
    """Input that could not be parsed: kept whole with the reason, so nothing is dropped silently."""

    reason: str
    raw: bytes | str
    source: Source
    offset: int | None = None  # byte offset in a stream, line number in a file, index in a batch


Result = Event | Quarantined


@dataclass(slots=True)
class Tally:
    """Events and quarantines counted per source, so every input is accounted for (DESIGN.md: never drop silently)."""

    events: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)

    def add(self, result: Result) -> Result:
        (self.quarantined if isinstance(result, Quarantined) else self.events)[result.source] += 1
        return result


def flatten(obj: Mapping[str, Any], sep: str = ".") -> dict[str, Any]:
    """Nested objects become dotted keys (`a.b.c`); lists and scalars are kept as they are."""
    out: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any]]] = [("", obj)]
    while stack:  # iterative: a hostile, deeply nested document must not hit the recursion limit
        prefix, node = stack.pop()
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, Mapping) and value:
                stack.append((name + sep, value))
            else:
                out[name] = value
    return out
