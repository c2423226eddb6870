"""Offline hunting: Sigma rules over EVTX and JSON-lines files, one hit per (rule, event), as a stream.

Paths → events → hits, with no Django and no output formatting: the ``soc hunt`` command renders.
Every record that cannot be read is counted (``HuntStats.quarantined``), never dropped silently.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from towers.soc.intake.event import Quarantined
from towers.soc.intake.evtx import iter_evtx
from towers.soc.intake.jsonl import MAX_LINE
from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.events import flatten_evtx, prepare

LEVELS = ("informational", "low", "medium", "high", "critical")
EVENT_SUFFIXES = frozenset({".evtx", ".json", ".jsonl", ".ndjson", ".zip"})
EVTX_MAGIC = b"ElfFile\x00"
# Where the common layouts keep the event time and the host (evtx_dump, Mordor/Security-Datasets, Winlogbeat).
TIME_FIELDS = ("timecreated_systemtime", "@timestamp", "timestamp", "eventtime", "utctime", "timecreated")
HOST_FIELDS = ("computer", "hostname", "host.name", "host", "computername")
_TECHNIQUE = re.compile(r"^t\d{4}(?:\.\d{3})?$")
_GROUP_OR_SOFTWARE = re.compile(r"^[gs]\d{4}$")


@dataclass(frozen=True, slots=True)
class Record:
    """One event of a file: ``number`` is the line (JSON-lines) or EventRecordID / index (EVTX)."""

    file: str
    number: int | None
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Hit:
    rule: CompiledRule
    record: Record


@dataclass(slots=True)
class HuntStats:
    files: int = 0
    events: int = 0
    hits: int = 0
    quarantined: list[tuple[str, int | None, str]] = field(default_factory=list)  # (file, record, reason)


def level_rank(level: str) -> int:
    """Position in LEVELS; an unknown or missing level ranks lowest."""
    return LEVELS.index(level) if level in LEVELS else 0


def rules_at_least(rules: Iterable[CompiledRule], min_level: str | None) -> list[CompiledRule]:
    if min_level is None:
        return list(rules)
    floor = level_rank(min_level)
    return [rule for rule in rules if level_rank(rule.level) >= floor]


def event_files(paths: Iterable[Path]) -> list[Path]:
    """The files to scan: named files as given, folders searched recursively for event files, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in EVENT_SUFFIXES and p.is_file())
        else:
            files.append(path)
    return files


def _is_evtx(path: Path) -> bool:
    if path.suffix.lower() == ".evtx":
        return True
    with path.open("rb") as handle:
        return handle.read(len(EVTX_MAGIC)) == EVTX_MAGIC


def read_records(path: Path, stats: HuntStats) -> Iterator[Record]:
    """Every event of one file; unreadable records and files go to ``stats.quarantined``."""
    try:
        if _is_evtx(path):
            yield from _evtx_records(path, stats)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.infolist():
                    if not member.is_dir():
                        with archive.open(member) as stream:
                            yield from _jsonl_records(stream, f"{path}:{member.filename}", stats)
        else:
            with path.open("rb") as stream:
                yield from _jsonl_records(stream, str(path), stats)
    except (OSError, zipfile.BadZipFile) as error:
        stats.quarantined.append((str(path), None, f"unreadable: {error}"))


def _evtx_records(path: Path, stats: HuntStats) -> Iterator[Record]:
    for index, result in enumerate(iter_evtx(path), 1):
        if isinstance(result, Quarantined):
            stats.quarantined.append((str(path), result.offset, result.reason))
            continue
        record_id = result.fields.get("EventRecordID")
        yield Record(str(path), record_id if isinstance(record_id, int) else index, result.fields)


def _jsonl_records(stream: IO[bytes], name: str, stats: HuntStats) -> Iterator[Record]:
    number, oversize = 0, False
    for chunk in iter(lambda: stream.readline(MAX_LINE + 1), b""):
        if not chunk.endswith(b"\n") and len(chunk) > MAX_LINE:
            if not oversize:
                number += 1
                stats.quarantined.append((name, number, f"line over {MAX_LINE} bytes"))
            oversize = True
            continue
        if oversize:  # the tail of an oversize line, already counted
            oversize = False
            continue
        number += 1
        if not chunk.strip():
            continue
        try:
            doc = json.loads(chunk)
        except (ValueError, RecursionError) as error:
            stats.quarantined.append((name, number, f"invalid JSON: {error}"))
            continue
        if not isinstance(doc, dict):
            stats.quarantined.append((name, number, f"JSON {type(doc).__name__}, not an object"))
            continue
        # flatten_evtx: evtx_dump layout → Sigma's leaf names; flat Mordor lines pass through.
        yield Record(name, number, flatten_evtx(doc))


def hunt(
    engine: Engine,
    files: Iterable[Path],
    stats: HuntStats | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> Iterator[Hit]:
    """Every (rule, record) match over the files, in file and record order; ``on_file`` after each file."""
    stats = stats if stats is not None else HuntStats()
    for path in files:
        stats.files += 1
        for record in read_records(path, stats):
            stats.events += 1
            for rule in engine.evaluate(prepare(record.fields)):
                stats.hits += 1
                yield Hit(rule, record)
        if on_file is not None:
            on_file(path)


def attack_tags(tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """(tactics, techniques) from ``attack.*`` tags: ``attack.execution``, ``attack.t1059.001`` → T1059.001."""
    tactics: list[str] = []
    techniques: list[str] = []
    for tag in tags:
        namespace, _, name = tag.lower().partition(".")
        if namespace != "attack" or not name:
            continue
        if _TECHNIQUE.match(name):
            techniques.append(name.upper())
        elif not _GROUP_OR_SOFTWARE.match(name):
            tactics.append(name.replace("_", "-"))
    return tactics, techniques


def _first(lowered: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = lowered.get(name)
        if value not in (None, ""):
            return value
    return None


def hit_document(hit: Hit) -> dict[str, Any]:
    """The JSON object printed for one hit."""
    rule, record = hit.rule, hit.record
    lowered = {k.lower(): v for k, v in record.fields.items()}
    tactics, techniques = attack_tags(rule.tags)
    return {
        "rule_id": rule.id,
        "title": rule.title,
        "level": rule.level,
        "tactics": tactics,
        "techniques": techniques,
        "file": record.file,
        "record": record.number,
        "timestamp": _first(lowered, TIME_FIELDS),
        "host": _first(lowered, HOST_FIELDS),
        "channel": lowered.get("channel"),
        "event_id": lowered.get("eventid"),
    }


def table_row(document: dict[str, Any]) -> str:
    """One fixed-width line of the ``--format table`` output."""
    where = f"{Path(str(document['file'])).name}#{document['record']}"
    return (
        f"{document['timestamp'] or '-'!s:<28} {document['host'] or '-'!s:<24} {document['level']:<8} "
        f"{','.join(document['techniques']) or '-':<20} {document['title']}  ({where})"
    )


__all__ = ["Hit", "HuntStats", "Record", "event_files", "hit_document", "hunt", "rules_at_least", "table_row"]
