"""Events as the evaluator sees them: one flat dict per event, prepared once for every rule.

Two layouts come in: evtx_dump JSON (``{"Event": {"System": {...}, "EventData": {...}}}``)
and already-flat JSON lines (the Mordor data sets). Both become a flat dict keeping the
original field names; ``prepare`` then builds the case-insensitive views the matchers use,
so lowering each value happens once per event rather than once per rule.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scalar = str | int | float | bool


def flatten_evtx(record: dict[str, Any]) -> dict[str, Any]:
    """Flatten an evtx_dump record; the other shapes pass through ``flatten``.

    Sigma's Windows field names are the leaf names: ``EventID``, ``Channel``, ``Computer``,
    ``Provider_Name`` (from ``Provider/#attributes/Name``), and each ``EventData`` /
    ``UserData`` item under its own name.
    """
    event = record.get("Event")
    if not isinstance(event, dict):
        return flatten(record)
    flat: dict[str, Any] = {}
    system = event.get("System") or {}
    for name, value in system.items():
        if isinstance(value, dict):
            attributes = value.get("#attributes") or {}
            if "#text" in value:
                flat[name] = value["#text"]
            for attr, attr_value in attributes.items():
                # Provider/Name → Provider_Name, Sigma's name for it. Bare attribute names are
                # not added: they would shadow EventData fields such as ``Name``.
                flat[f"{name}_{attr}"] = attr_value
        else:
            flat[name] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, dict):
            _flatten_into(data, flat)
    return flat


def _flatten_into(data: dict[str, Any], flat: dict[str, Any]) -> None:
    for name, value in data.items():
        if (name == "#attributes" and isinstance(value, dict)) or isinstance(value, dict):
            _flatten_into(value, flat)
        else:
            # EventData wins over System for a shared name: rules are written against EventData.
            flat[name] = value
            if " " in name:
                # Defender and others name data "Threat Name"; Sigma rules spell it ThreatName.
                flat.setdefault(name.replace(" ", ""), value)


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """Nested JSON → leaf names (first wins) plus dotted paths, so both spellings match."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for name, value in node.items():
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(value, dict):
                walk(path, value)
            else:
                flat[path] = value
                if prefix:
                    flat.setdefault(name, value)

    walk("", record)
    return flat


@dataclass(slots=True)
class PreparedEvent:
    """``raw``: lower-cased field name → value; ``text``: → str (or tuple of str for lists);
    ``lower``: the same lower-cased. The matchers read only these views."""

    raw: dict[str, Any]
    text: dict[str, str | tuple[str, ...]]
    lower: dict[str, str | tuple[str, ...]]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def prepare(flat: dict[str, Any]) -> PreparedEvent:
    """Build the case-insensitive views of a flat event."""
    raw: dict[str, Any] = {}
    text: dict[str, str | tuple[str, ...]] = {}
    lower: dict[str, str | tuple[str, ...]] = {}
    for name, value in flat.items():
        key = name.lower()
        if key in raw:
            continue
        raw[key] = value
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, list):
            items = tuple(_as_text(v) for v in value if v is not None and not isinstance(v, dict | list))
            text[key] = items
            lower[key] = tuple(v.lower() for v in items)
        else:
            as_text = _as_text(value)
            text[key] = as_text
            lower[key] = as_text.lower()
    return PreparedEvent(raw=raw, text=text, lower=lower)


def iter_json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Concatenated (pretty-printed or one-per-line) JSON objects, or one JSON array of them."""
    decoder = json.JSONDecoder()
    index, size = 0, len(text)
    while index < size:
        while index < size and text[index].isspace():
            index += 1
        if index >= size:
            break
        obj, index = decoder.raw_decode(text, index)
        if isinstance(obj, list):
            yield from (o for o in obj if isinstance(o, dict))
        elif isinstance(obj, dict):
            yield obj


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    """Flat events from a JSON / JSON-lines file, or from every member of a zip of them."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith("/"):
                    continue
                with archive.open(member) as handle:
                    for line in io.TextIOWrapper(handle, encoding="utf-8", errors="replace"):
                        # Mordor files are one object per line; reading line by line keeps memory flat.
                        line = line.strip()
                        if line:
                            yield flatten_evtx(json.loads(line))
        return
    for obj in iter_json_objects(path.read_text(encoding="utf-8")):
        yield flatten_evtx(obj)
