"""ArcSight Common Event Format: `CEF:Version|Vendor|Product|Version|SignatureID|Name|Severity|Extension`.

Header fields take ArcSight's names (deviceVendor, deviceEventClassId…) and extension keys keep theirs, so Sigma
rules written against ArcSight field names match. A syslog header in front of `CEF:` is parsed and kept under
`syslog.<field>`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from towers.soc.intake.event import Event, Quarantined, Result, Source
from towers.soc.intake.syslog import parse_syslog

HEADER = ("CEFVersion", "deviceVendor", "deviceProduct", "deviceVersion", "deviceEventClassId", "name", "severity")
# A key starts after a space (or at the start) and ends at an `=`; keys never hold a backslash, so `\=` in a value
# can never end one.
_KEY = re.compile(r"(?:^|(?<= ))([A-Za-z0-9_.\[\]-]+)=")
_HEADER_ESCAPE = re.compile(r"\\([|\\])")
_VALUE_ESCAPE = re.compile(r"\\([=\\nr|])")
_VALUE_UNESCAPED = {"=": "=", "\\": "\\", "n": "\n", "r": "\r", "|": "|"}


def split_header(text: str, count: int) -> list[str] | None:
    """The first `count` `|`-separated fields (unescaped) and the remainder, or None when there are too few."""
    parts: list[str] = []
    start = at = 0
    escaped = False
    while len(parts) < count:
        bar = text.find("|", at)
        if bar < 0:
            return None
        slashes = 0
        while bar - 1 - slashes >= start and text[bar - 1 - slashes] == "\\":
            slashes += 1
        if slashes % 2:  # an escaped bar belongs to the field
            escaped, at = True, bar + 1
            continue
        field = text[start:bar]
        parts.append(_HEADER_ESCAPE.sub(r"\1", field) if escaped or "\\" in field else field)
        start = at = bar + 1
        escaped = False
    parts.append(text[start:])
    return parts


def parse_extension(text: str) -> dict[str, str]:
    """`key=value` pairs where values run (spaces included) up to the next ` key=`."""
    out: dict[str, str] = {}
    # One C-level split: [text before the first key, key, value, key, value, …]. A value followed by another key
    # ends with the space the key's look-behind left it; the last one may carry trailing spaces.
    pieces = _KEY.split(text)
    last = len(pieces) - 2
    for i in range(1, len(pieces), 2):
        value = pieces[i + 1].rstrip(" ") if i == last else pieces[i + 1][:-1]
        if "\\" in value:
            value = _VALUE_ESCAPE.sub(lambda m: _VALUE_UNESCAPED[m.group(1)], value)
        out[pieces[i]] = value
    return out


def syslog_prefix(prefix: str, raw: bytes | str, source: Source, received_at: datetime) -> dict[str, Any] | Quarantined:
    """Fields of the syslog header in front of a CEF or LEEF payload, under `syslog.`; empty when there is none."""
    if not prefix.strip():
        return {}
    header = parse_syslog(prefix + "x", received_at=received_at)  # a stand-in body: the payload is parsed apart
    if isinstance(header, Quarantined):
        return Quarantined(f"syslog header: {header.reason}", raw, source)
    return {f"syslog.{k}": v for k, v in header.fields.items() if k != "message" and v is not None}


def parse_cef(data: bytes | str, *, received_at: datetime | None = None) -> Result:
    """One CEF record, bare or carried in a syslog message."""
    received_at = received_at or datetime.now(UTC)
    try:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        text = text.rstrip("\r\n\x00")
        at = text.find("CEF:")
        if at < 0:
            return Quarantined("no 'CEF:' marker", data, "cef")
        prefix = syslog_prefix(text[:at], data, "cef", received_at)
        if isinstance(prefix, Quarantined):
            return prefix
        parts = split_header(text[at + 4 :], 7)
        if parts is None:
            return Quarantined("CEF header has fewer than 7 '|' separators", data, "cef")
        version = parts[0].strip()
        if not version.isdigit():
            return Quarantined(f"bad CEF version {version[:20]!r}", data, "cef")
        fields: dict[str, Any] = prefix
        fields.update(parse_extension(parts[7]))
        fields.update(zip(HEADER, parts[:7], strict=False))  # the header wins over a same-named extension key
        return Event(fields, "cef", received_at, data)
    except Exception as exc:  # a parser bug must quarantine the record, not kill intake; fuzz tests catch these
        return Quarantined(f"internal error: {type(exc).__name__}: {exc}", data, "cef")
