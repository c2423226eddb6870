"""A minimal EVTX writer, so the EVTX readers are tested on real files rather than on evtx_dump JSON.

Layout from libyal's "Windows XML Event Log (EVTX) format": a 4096-byte file header, then 64 KiB
chunks, each a 512-byte header (CRC32s, the common string table, an empty template table) followed by
event records whose body is a binary XML fragment. Records use plain element, attribute and typed value
tokens (no templates); System values carry Windows' types (UInt16 EventID, FILETIME, SID, UInt64 record
ID), so the parser renders them as it renders real logs: numbers as numbers, times as ISO strings.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
STRING_TABLE_SLOTS = 64
EVENT_NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# Binary XML tokens; 0x40 on a token means "has attributes" (element) or "more follow" (attribute).
FRAGMENT_HEADER = 0x0F
OPEN_START_ELEMENT = 0x01
CLOSE_START_ELEMENT = 0x02
CLOSE_EMPTY_ELEMENT = 0x03
END_ELEMENT = 0x04
VALUE = 0x05
ATTRIBUTE = 0x06
END_OF_FRAGMENT = 0x00
MORE = 0x40

# Value types.
STRING, UINT8, UINT16, UINT64, FILETIME, SID = 0x01, 0x04, 0x06, 0x0A, 0x11, 0x13


@dataclass(frozen=True, slots=True)
class EvtxRecord:
    """One event: the System values Sigma reads and EventData's named Data strings, in order."""

    event_id: int
    channel: str
    provider: str = "Microsoft-Windows-Sysmon"
    computer: str = "ws1.example.test"
    time_created: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    level: int = 4
    user_id: str | None = None  # a SID string, "S-1-5-18"
    record_id: int | None = None  # None: the record's position, from 1
    data: Mapping[str, str] = field(default_factory=dict)


def filetime(moment: datetime) -> int:
    """100-nanosecond intervals since 1601-01-01 UTC."""
    delta = moment.astimezone(UTC) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def sid_bytes(sid: str) -> bytes:
    """`S-1-5-21-…` → revision, sub-authority count, 48-bit big-endian authority, little-endian sub-authorities."""
    parts = sid.split("-")
    if len(parts) < 3 or parts[0].upper() != "S":
        raise ValueError(f"not a SID: {sid!r}")
    subs = [int(p) for p in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def name_hash(name: str) -> int:
    """The 16-bit string hash EVTX stores beside each name (h = h * 65599 + code unit, per UTF-16 unit)."""
    value = 0
    for (unit,) in struct.iter_unpack("<H", name.encode("utf-16-le")):
        value = (value * 65599 + unit) & 0xFFFFFFFF
    return value & 0xFFFF


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


class _Fragment:
    """Binary XML for one record, written at a known chunk offset so names can be shared across the chunk."""

    def __init__(self, chunk: _Chunk, base: int) -> None:
        self.chunk = chunk
        self.base = base  # chunk offset of self.out[0]
        self.out = bytearray()

    def _name(self, name: str) -> None:
        known = self.chunk.names.get(name)
        here = self.base + len(self.out) + 4
        if known is not None:
            self.out += struct.pack("<I", known)
            return
        # First use in this chunk: the name follows inline, linked into the chunk's string table by hash bucket.
        bucket = name_hash(name) % STRING_TABLE_SLOTS
        units = len(_utf16(name)) // 2
        self.out += struct.pack("<IIHH", here, self.chunk.string_table[bucket], name_hash(name), units)
        self.out += _utf16(name) + b"\x00\x00"
        self.chunk.names[name] = here
        self.chunk.string_table[bucket] = here

    def value(self, kind: int, value: str | int) -> None:
        self.out += bytes([VALUE, kind])
        if kind == STRING:
            assert isinstance(value, str)
            encoded = _utf16(value)
            if len(encoded) // 2 > 0xFFFF:
                raise ValueError("a string value holds at most 65535 UTF-16 units")
            self.out += struct.pack("<H", len(encoded) // 2) + encoded
        elif kind == UINT8:
            self.out += struct.pack("<B", value)
        elif kind == UINT16:
            self.out += struct.pack("<H", value)
        elif kind in (UINT64, FILETIME):
            self.out += struct.pack("<Q", value)
        elif kind == SID:
            assert isinstance(value, str)
            self.out += sid_bytes(value)
        else:
            raise ValueError(f"value type {kind:#x} not written")

    def element(
        self,
        name: str,
        attributes: tuple[tuple[str, int, str | int], ...] = (),
        content: tuple[int, str | int] | None = None,
        children: tuple[_Child, ...] = (),
    ) -> None:
        """``<name attr=…>content or children</name>``; ``content`` and attributes are (type, value)."""
        # No dependency identifier after the token: that u16 belongs to template definitions only.
        self.out += bytes([OPEN_START_ELEMENT | (MORE if attributes else 0)])
        size_at = len(self.out)
        self.out += b"\x00\x00\x00\x00"
        self._name(name)
        if attributes:
            attributes_at = len(self.out)
            self.out += b"\x00\x00\x00\x00"
            for index, (attribute, kind, value) in enumerate(attributes):
                more = MORE if index + 1 < len(attributes) else 0
                self.out += bytes([ATTRIBUTE | more])
                self._name(attribute)
                self.value(kind, value)
            struct.pack_into("<I", self.out, attributes_at, len(self.out) - attributes_at - 4)
        if content is None and not children:
            self.out += bytes([CLOSE_EMPTY_ELEMENT])
        else:
            self.out += bytes([CLOSE_START_ELEMENT])
            if content is not None:
                self.value(*content)
            for child in children:
                self.element(*child)
            self.out += bytes([END_ELEMENT])
        struct.pack_into("<I", self.out, size_at, len(self.out) - size_at - 4)


_Child = tuple[str, tuple[tuple[str, int, str | int], ...], tuple[int, str | int] | None, tuple["_Child", ...]]


def _system(record: EvtxRecord, record_id: int) -> tuple[_Child, ...]:
    system: list[_Child] = [
        ("Provider", (("Name", STRING, record.provider),), None, ()),
        ("EventID", (), (UINT16, record.event_id), ()),
        ("Level", (), (UINT8, record.level), ()),
        ("TimeCreated", (("SystemTime", FILETIME, filetime(record.time_created)),), None, ()),
        ("EventRecordID", (), (UINT64, record_id), ()),
        ("Channel", (), (STRING, record.channel), ()),
        ("Computer", (), (STRING, record.computer), ()),
    ]
    if record.user_id is not None:
        system.append(("Security", (("UserID", SID, record.user_id),), None, ()))
    return tuple(system)


def _event_data(record: EvtxRecord) -> tuple[_Child, ...]:
    return tuple(
        ("Data", (("Name", STRING, name),), (STRING, value) if value != "" else None, ())
        for name, value in record.data.items()
    )


class _Chunk:
    def __init__(self) -> None:
        self.records = bytearray()
        self.names: dict[str, int] = {}
        self.string_table = [0] * STRING_TABLE_SLOTS
        self.ids: list[int] = []
        self.last_record_offset = 0

    @property
    def free(self) -> int:
        return CHUNK_SIZE - CHUNK_HEADER_SIZE - len(self.records)

    def add(self, record: EvtxRecord, record_id: int) -> bool:
        """Append one record; False (and the chunk unchanged) when it does not fit."""
        offset = CHUNK_HEADER_SIZE + len(self.records)
        names, table = dict(self.names), list(self.string_table)
        fragment = _Fragment(self, offset + 24)
        fragment.out += bytes([FRAGMENT_HEADER, 1, 1, 0])
        fragment.element(
            "Event",
            (("xmlns", STRING, EVENT_NAMESPACE),),
            None,
            (("System", (), None, _system(record, record_id)), ("EventData", (), None, _event_data(record))),
        )
        fragment.out += bytes([END_OF_FRAGMENT])
        size = 24 + len(fragment.out) + 4
        size += -size % 8  # records are 8-byte aligned in real logs
        if size > self.free:
            self.names, self.string_table = names, table
            return False
        body = fragment.out + b"\x00" * (size - 28 - len(fragment.out))
        self.records += b"**\x00\x00" + struct.pack("<IQQ", size, record_id, filetime(record.time_created))
        self.records += body + struct.pack("<I", size)
        self.ids.append(record_id)
        self.last_record_offset = offset
        return True

    def to_bytes(self, first_number: int) -> bytes:
        header = bytearray(CHUNK_HEADER_SIZE)
        last_number = first_number + len(self.ids) - 1
        struct.pack_into(
            "<8sQQQQIII",
            header,
            0,
            b"ElfChnk\x00",
            first_number,
            last_number,
            self.ids[0],
            self.ids[-1],
            128,
            self.last_record_offset,
            CHUNK_HEADER_SIZE + len(self.records),
        )
        struct.pack_into("<I", header, 52, zlib.crc32(self.records))
        struct.pack_into(f"<{STRING_TABLE_SLOTS}I", header, 128, *self.string_table)
        struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120]) + bytes(header[128:])))
        return bytes(header) + bytes(self.records) + b"\x00" * self.free


def write_evtx(path: Path | str, records: list[EvtxRecord]) -> Path:
    """Write ``records`` as an EVTX file, opening a new 64 KiB chunk whenever the current one is full."""
    chunks = [_Chunk()]
    for position, record in enumerate(records, 1):
        record_id = record.record_id if record.record_id is not None else position
        if not chunks[-1].add(record, record_id):
            chunks.append(_Chunk())
            if not chunks[-1].add(record, record_id):
                raise ValueError(f"record {record_id} does not fit in one chunk")
    chunks = [chunk for chunk in chunks if chunk.ids]
    body = bytearray()
    number = 1
    for chunk in chunks:
        body += chunk.to_bytes(number)
        number += len(chunk.ids)
    header = bytearray(FILE_HEADER_SIZE)
    next_id = max((max(chunk.ids) for chunk in chunks), default=0) + 1
    struct.pack_into(
        "<8sQQQIHHHH", header, 0, b"ElfFile\x00", 0, max(len(chunks) - 1, 0), next_id, 128, 1, 3, 4096, len(chunks)
    )
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    path = Path(path)
    path.write_bytes(bytes(header) + bytes(body))
    return path
