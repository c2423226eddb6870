"""JSON-lines event files, plain or zipped (as the Mordor/Security-Datasets captures ship), read as a stream."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from towers.soc.intake.event import Event, Quarantined, Result, flatten

MAX_LINE = 1024 * 1024  # one Windows event with a huge script block is ~100 KB; a megabyte line is not an event


def parse_json_line(line: bytes | str, *, line_number: int, received_at: datetime) -> Result | None:
    """One line as an event; None for a blank line (framing, not data)."""
    if not line.strip():
        return None
    if len(line) > MAX_LINE:
        return Quarantined(f"line over {MAX_LINE} bytes", line[:4096], "jsonl", line_number)
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: a hostile line of a million `[`
        return Quarantined(f"invalid JSON: {exc}", line, "jsonl", line_number)
    if not isinstance(doc, dict):
        return Quarantined(f"JSON {type(doc).__name__}, not an object", line, "jsonl", line_number)
    return Event(flatten(doc), "jsonl", received_at, line)


def iter_lines(lines: Iterable[bytes], *, received_at: datetime | None = None) -> Iterator[Result]:
    """Events and quarantines from an iterable of lines; quarantines carry the 1-based line number."""
    received_at = received_at or datetime.now(UTC)
    for number, line in enumerate(lines, 1):
        result = parse_json_line(line, line_number=number, received_at=received_at)
        if result is not None:
            yield result


def iter_jsonl(path: Path | str, *, received_at: datetime | None = None) -> Iterator[Result]:
    """Every event in a `.json`/`.jsonl` file or in each member of a `.zip` of them, one line at a time."""
    path = Path(path)
    received_at = received_at or datetime.now(UTC)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if member.is_dir():
                    continue
                with archive.open(member) as stream:
                    yield from _stream(stream, received_at)
        return
    with path.open("rb") as stream:
        yield from _stream(stream, received_at)


def _stream(stream: IO[bytes], received_at: datetime) -> Iterator[Result]:
    # Reading in bounded pieces: an endless line in a hostile file must not be loaded whole into memory.
    number, oversize = 0, False
    while True:
        chunk = stream.readline(MAX_LINE + 1)
        if not chunk:
            break
        if not chunk.endswith(b"\n") and len(chunk) > MAX_LINE:
            if not oversize:
                number += 1
                yield Quarantined(f"line over {MAX_LINE} bytes", chunk[:4096], "jsonl", number)
            oversize = True
            continue
        if oversize:  # the tail of an oversize line, already quarantined
            oversize = False
            continue
        number += 1
        result = parse_json_line(chunk, line_number=number, received_at=received_at)
        if result is not None:
            yield result
