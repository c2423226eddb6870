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

from towers.soc.sigma.logsource import (
    PROCESS_CREATION_EVENT_IDS,
    PROCESS_CREATION_FROM_4688,
    SECURITY,
    WELL_KNOWN_ACCOUNTS,
    WELL_KNOWN_LOGONS,
)

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
    event = PreparedEvent(raw=raw, text=text, lower=lower)
    # Tuple membership compares with ==, so an odd EventID (a list) costs nothing and raises nothing.
    if raw.get("eventid") in PROCESS_CREATION_EVENT_IDS and lower.get("channel") == SECURITY:
        _add_process_creation_names(event)
    return event


def _set(event: PreparedEvent, key: str, value: Any) -> None:
    event.raw[key] = value
    as_text = _as_text(value)
    event.text[key] = as_text
    event.lower[key] = as_text.lower()


def _pid(value: Any) -> int | None:
    """4688 writes process IDs in hex (``0x1a2c``); a collector may already have made them decimal."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value[:2].lower() == "0x" else int(value)
        except ValueError:
            return None
    return None


def _account(event: PreparedEvent, side: str) -> str | None:
    """``DOMAIN\\user`` of 4688's Subject (creator) or Target (new process) account; None when not given.

    The service accounts are known by their fixed logon session or SID, as 4688 names them after the machine.
    """
    logon = event.lower.get(f"{side}logonid")
    if isinstance(logon, str) and logon in WELL_KNOWN_LOGONS:
        return WELL_KNOWN_LOGONS[logon]
    sid = event.lower.get(f"{side}usersid")
    if isinstance(sid, str) and sid in WELL_KNOWN_ACCOUNTS:
        return WELL_KNOWN_ACCOUNTS[sid]
    name = event.text.get(f"{side}username")
    if not isinstance(name, str) or name in ("", "-"):
        return None  # the Target account is left empty when the new process runs as its creator
    domain = event.text.get(f"{side}domainname")
    return f"{domain}\\{name}" if isinstance(domain, str) and domain not in ("", "-") else name


def _add_process_creation_names(event: PreparedEvent) -> None:
    """Sysmon EventID 1's names for a Security 4688 event, beside (never over) its own, except ProcessId.

    4688's ProcessId is the creator's; Sysmon's is the new process's, and rules mean Sysmon's. So ProcessId
    becomes NewProcessId and the creator's moves to ParentProcessId, both as integers. User and LogonId are
    the new process's: 4688's Target account when Windows filled it in, else the Subject (creator). Checked
    against Sysmon on the Mordor captures that log both (329 processes): User, LogonId, Image, ProcessId agree
    on every process where 4688 has the value (pySigma's audit pipeline takes SubjectLogonId, wrong for 76).
    """
    raw, text, lower = event.raw, event.text, event.lower
    for sysmon, security in PROCESS_CREATION_FROM_4688:
        if security in raw and sysmon not in raw:
            raw[sysmon] = raw[security]
            if security in text:
                text[sysmon], lower[sysmon] = text[security], lower[security]
    if "user" not in raw:
        user = _account(event, "target") or _account(event, "subject")
        if user is not None:
            _set(event, "user", user)
    if "logonid" not in raw:
        target = lower.get("targetlogonid")
        source = "targetlogonid" if isinstance(target, str) and target not in ("0x0", "-") else "subjectlogonid"
        if raw.get(source) is not None:
            _set(event, "logonid", raw[source])
    parent = _pid(raw.get("processid"))
    child = _pid(raw.get("newprocessid"))
    if parent is not None and "parentprocessid" not in raw:
        _set(event, "parentprocessid", parent)
    if child is not None:
        _set(event, "processid", child)


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
