"""Writing an exit pack: each part as JSON Lines and CSV, then the manifest, the README and the checksums, zipped.

No Django here: parts arrive as plain rows, files go to a scratch directory as they stream (a large supplier
never sits in memory), and are added to the ZIP at the end. Attached files stream straight into the ZIP in
chunks as they are read, hashed on the way, so they are neither held in memory nor copied to disk twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import textwrap
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

CHUNK = 1 << 20
# (the JSON object, or None when a record spans several CSV rows and was written with the first; the CSV row)
Row = tuple[dict[str, Any] | None, dict[str, Any]]


@dataclass(frozen=True)
class Part:
    """One kind of record: `rows` yields (object, flat row); `columns` names and describes the CSV's columns."""

    name: str  # file stem: tickets → tickets.jsonl, tickets.csv
    title: str
    description: str
    columns: tuple[tuple[str, str], ...]
    rows: Callable[[], Iterator[Row]]


@dataclass(frozen=True)
class FileEntry:
    name: str
    rows: int
    bytes: int
    sha256: str
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256,
                "description": self.description}  # fmt: skip


def plain(value: Any) -> Any:
    """A JSON-safe value: timestamps in ISO 8601 (UTC as stored), decimals as strings so no digit is lost."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> str:
    """A CSV cell: blank for none, true/false, nested values as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return json.dumps(plain(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(plain(value))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: Path, rows: int, description: str) -> FileEntry:
    return FileEntry(path.name, rows, path.stat().st_size, sha256_of(path), description)


def write_part(directory: Path, part: Part, progress: Callable[[str, int], None] | None = None) -> list[FileEntry]:
    """Stream one part to `<name>.jsonl` and `<name>.csv` in `directory`; return their entries."""
    names = [column for column, _ in part.columns]
    rows = objects = 0
    json_path, csv_path = directory / f"{part.name}.jsonl", directory / f"{part.name}.csv"
    with (
        json_path.open("w", encoding="utf-8", newline="\n") as lines,
        csv_path.open("w", encoding="utf-8", newline="") as table,
    ):
        writer = csv.writer(table)
        writer.writerow(names)
        for obj, flat in part.rows():
            if obj is not None:
                lines.write(json.dumps(plain(obj), ensure_ascii=False, separators=(",", ":")) + "\n")
                objects += 1
            writer.writerow([cell(flat.get(column)) for column in names])
            rows += 1
            if progress is not None and rows % 500 == 0:
                progress(part.name, rows)
    if progress is not None:
        progress(part.name, rows)
    return [
        file_entry(json_path, objects, f"{part.title} (JSON Lines, one object each)"),
        file_entry(csv_path, rows, f"{part.title} (CSV, one row each)"),
    ]


def readme(heading: str, parts: Iterable[Part], notes: Iterable[str] = ()) -> str:
    """`notes`: what this particular pack needs its reader to know first (files it could not carry as recorded)."""
    lines = [heading, ""]
    for note in notes:  # a paragraph each; its own line breaks (a list) are kept
        for line in note.splitlines():
            indent = " " * (len(line) - len(line.lstrip()) + 2)
            lines += textwrap.wrap(line, 110, subsequent_indent=indent)
        lines.append("")
    lines += [*README_INTRO, ""]
    for part in parts:
        lines += [f"{part.name}.jsonl, {part.name}.csv — {part.title}"]
        lines += textwrap.wrap(part.description, 110, initial_indent="  ", subsequent_indent="  ")
        lines.append("  CSV columns:")
        lines += [f"    {name}: {meaning}" for name, meaning in part.columns]
        lines.append("")
    return "\n".join(lines)


README_INTRO = (
    "Files",
    "  manifest.json — the pack: who it is about, who asked, when, and each file's rows, bytes and SHA-256.",
    "  checksums.sha256 — the same checksums for `sha256sum -c checksums.sha256` (run it where you unzipped).",
    "  README.txt — this file.",
    "  attachments/<ticket reference>/<attachment id>-<file name> — the files attached to the tickets, as",
    "  stored in Towers (names made safe: no folders, no '..'); attachments.csv lists each with its path.",
    "",
    "Formats",
    "  JSON Lines (.jsonl): UTF-8, one JSON object per line, with everything recorded (nested timelines,",
    "  history). CSV (.csv): UTF-8 without a byte-order mark, RFC 4180 quoting, a header row, one flat row",
    "  per record; nested values are compact JSON. Times are ISO 8601 in UTC; amounts and percentages are",
    "  decimal strings; durations are seconds. Identifiers are the records' UUIDs in Towers.",
    "",
    "Scope",
    "  Records about the supplier that both the person who asked for the pack and the supplier itself may see",
    "  in Towers: the supplier can be given its own pack without seeing anyone else's records.",
)


def write_checksums(directory: Path, entries: Iterable[FileEntry]) -> Path:
    """`sha256sum` format: the digest, two spaces, the file name."""
    path = directory / "checksums.sha256"
    path.write_text("".join(f"{e.sha256}  {e.name}\n" for e in entries), encoding="utf-8")
    return path


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(plain(value), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


class PackArchive:
    """The pack's ZIP, open for the whole build: attached files stream in first, the scratch files at the end."""

    def __init__(self, out: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)

    def __enter__(self) -> PackArchive:
        return self

    def __exit__(self, *_: object) -> None:
        self._zip.close()

    def add_stream(
        self, name: str, chunks: Iterable[bytes], *, when: datetime, description: str, large: bool = False
    ) -> FileEntry:
        """Write `chunks` as `name`, hashing them on the way; `large`: may pass 2 GiB (needs ZIP64 up front)."""
        info = zipfile.ZipInfo(name, date_time=_zip_time(when))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16  # rw-r--r-- once unzipped, as the scratch files get
        digest, size = hashlib.sha256(), 0
        with self._zip.open(info, "w", force_zip64=large) as target:
            for chunk in chunks:
                target.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        return FileEntry(name, 0, size, digest.hexdigest(), description)

    def add_files(self, directory: Path, names: Iterable[str]) -> None:
        for name in names:
            self._zip.write(directory / name, arcname=name)


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """ZIP stores local wall-clock time from 1980 on; the pack's times are UTC, so it gets UTC's."""
    utc = when.astimezone(UTC) if when.tzinfo else when
    stamp = max(utc.replace(tzinfo=None), datetime(1980, 1, 1))
    return (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
