"""Windows EVTX files through the Rust-backed `evtx` package, flattened to the field names Sigma rules use.

`evtx` renders each record as evtx_dump's JSON (`Event.System.*`, `Event.EventData.*`); Sigma's Windows rules name
fields flat: `EventID`, `Channel`, `Computer`, `Provider_Name`, and EventData names as they are (`CommandLine`).
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from towers.soc.intake.event import Event, Quarantined, Result

ATTRIBUTES = "#attributes"
TEXT = "#text"
MAX_CONSECUTIVE_ERRORS = 100  # a file that fails this often in a row is not going to recover
FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 128


def flatten_record(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Sigma's flat fields from one evtx_dump JSON record (`{"Event": {"System": …, "EventData": …}}`)."""
    event = doc.get("Event", doc)
    fields: dict[str, Any] = {}
    system = event.get("System") or {}
    for key, value in system.items():
        if isinstance(value, Mapping):
            if TEXT in value:
                fields[key] = value[TEXT]  # <EventID Qualifiers="0">4688</EventID>
            for attr, attr_value in (value.get(ATTRIBUTES) or {}).items():
                fields[f"{key}_{attr}"] = attr_value  # Provider_Name, TimeCreated_SystemTime, Execution_ProcessID
        else:
            fields[key] = value
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if isinstance(data, Mapping):
            _leaves(data, fields)
        elif data is not None:
            fields.setdefault(section, data)
    return fields


def _leaves(node: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """Named data values by their own names; UserData's nesting is dropped, as Sigma's field names drop it."""
    stack = [node]
    while stack:
        current = stack.pop()
        for key, value in current.items():
            if key == ATTRIBUTES:
                continue
            if isinstance(value, Mapping):
                if TEXT in value:
                    fields.setdefault(key, value[TEXT])
                else:
                    stack.append(value)
            else:
                fields.setdefault(key, value)  # System fields win: EventData never renames the event


def iter_evtx(path: Path | str, *, received_at: datetime | None = None) -> Iterator[Result]:
    """Every record of an EVTX file; records the parser rejects are quarantined with their record number.

    The parser skips a truncated last chunk and the rest of a chunk after a damaged record header without a
    word, so the chunk headers' record counts are checked afterwards and any shortfall is quarantined too.
    """
    from evtx import PyEvtxParser  # imported here: the Rust extension is only needed when EVTX files arrive

    received_at = received_at or datetime.now(UTC)
    try:
        records = PyEvtxParser(str(path)).records_json()
    except (OSError, RuntimeError) as exc:
        yield Quarantined(f"not a readable EVTX file: {exc}", str(path), "evtx")
        return
    errors = 0
    position = 0
    accounted = 0
    while True:
        position += 1
        try:
            record = next(records)
        except StopIteration:
            break
        except (OSError, RuntimeError) as exc:
            yield Quarantined(f"EVTX record rejected: {exc}", str(path), "evtx", position)
            errors += 1
            if str(exc).startswith("Failed to parse record"):
                accounted += 1  # one record, reported; a chunk error's records are counted by _shortfall
            if errors >= MAX_CONSECUTIVE_ERRORS:
                break
            continue
        errors = 0
        accounted += 1
        if not isinstance(record, Mapping):
            yield Quarantined("EVTX parser yielded no record", str(path), "evtx", position)
            continue
        yield parse_record(record, received_at=received_at)
    yield from _shortfall(Path(path), accounted)


def chunk_census(path: Path) -> tuple[int, int, str | None]:
    """(records the chunk headers announce, chunks found, why the file looks incomplete or None).

    Reads only the file header and each chunk's header. Chunks without the chunk signature (unused
    space in a preallocated log) announce nothing.
    """
    announced = found = 0
    truncated = None
    with path.open("rb") as handle:
        header = handle.read(FILE_HEADER_SIZE)
        if len(header) < FILE_HEADER_SIZE or not header.startswith(FILE_MAGIC):
            return 0, 0, None
        (declared,) = struct.unpack_from("<H", header, 42)
        size = os.fstat(handle.fileno()).st_size
        whole, tail = divmod(size - FILE_HEADER_SIZE, CHUNK_SIZE)
        if tail:
            truncated = f"last chunk cut short at {tail} of {CHUNK_SIZE} bytes"
        for index in range(whole):
            handle.seek(FILE_HEADER_SIZE + index * CHUNK_SIZE)
            chunk_header = handle.read(CHUNK_HEADER_SIZE)
            if chunk_header.startswith(CHUNK_MAGIC):
                found += 1
                first, last = struct.unpack_from("<QQ", chunk_header, 24)  # first and last event record identifiers
                if last >= first:
                    announced += last - first + 1
    if truncated is None and declared > found:
        # A dirty log's header may lag behind its chunks, never run ahead of them.
        truncated = f"file header declares {declared} chunks, {found} found"
    return announced, found, truncated


def _shortfall(path: Path, accounted: int) -> Iterator[Quarantined]:
    try:
        announced, _found, truncated = chunk_census(path)
    except OSError as exc:
        yield Quarantined(f"EVTX file could not be re-read to count its records: {exc}", str(path), "evtx")
        return
    if truncated is not None:
        yield Quarantined(f"EVTX file incomplete: {truncated}", str(path), "evtx")
    if announced > accounted:
        missing = announced - accounted
        yield Quarantined(
            f"EVTX records unreadable: chunk headers announce {announced} records, {accounted} were read "
            f"({missing} lost to a damaged record header or chunk)",
            str(path),
            "evtx",
        )


def parse_record(record: Mapping[str, Any], *, received_at: datetime) -> Result:
    """One `records_json()` item (`event_record_id`, `timestamp`, `data` holding the JSON text)."""
    raw = record.get("data", "")
    record_id = record.get("event_record_id")
    try:
        doc = json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, RecursionError) as exc:
        return Quarantined(f"EVTX record is not JSON: {exc}", str(raw), "evtx", record_id)
    if not isinstance(doc, Mapping):
        return Quarantined("EVTX record is not a JSON object", str(raw), "evtx", record_id)
    fields = flatten_record(doc)
    fields.setdefault("EventRecordID", record_id)
    return Event(fields, "evtx", received_at, str(raw))
