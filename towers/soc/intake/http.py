"""HTTP batch intake: a JSON array of event objects (or `{"events": [...]}`), quarantined item by item."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from towers.soc.intake.event import Event, Quarantined, Result, flatten

MAX_BATCH = 10_000  # a bigger batch is a client bug or an attack; the whole body is quarantined


def parse_batch(body: bytes | str, *, received_at: datetime | None = None) -> list[Result]:
    """Each item of the batch as an event, or a quarantine with the item's index as its offset."""
    received_at = received_at or datetime.now(UTC)
    try:
        doc: Any = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return [Quarantined(f"invalid JSON body: {exc}", body, "http")]
    items = doc.get("events") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return [Quarantined("body is neither a JSON array nor an object with an 'events' array", body, "http")]
    if len(items) > MAX_BATCH:
        return [Quarantined(f"batch of {len(items)} events over {MAX_BATCH}", body, "http")]
    out: list[Result] = []
    for index, item in enumerate(items):
        raw = json.dumps(item, separators=(",", ":"), default=str)  # the item alone, for the quarantine record
        if isinstance(item, dict):
            out.append(Event(flatten(item), "http", received_at, raw))
        else:
            out.append(Quarantined(f"item is JSON {type(item).__name__}, not an object", raw, "http", index))
    return out
