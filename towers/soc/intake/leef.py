"""IBM QRadar Log Event Extended Format, versions 1.0 (tab-delimited) and 2.0 (declared delimiter).

`LEEF:1.0|Vendor|Product|Version|EventID|attrs` and `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|attrs`,
where the 2.0 delimiter is one character or its hex code (`x09`, `0x5E`) and may be left out (then tab).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from towers.soc.intake.cef import split_header, syslog_prefix
from towers.soc.intake.event import Event, Quarantined, Result

HEADER = ("LEEFVersion", "Vendor", "Product", "Version", "EventID")


def delimiter(spec: str) -> str | None:
    """The attribute delimiter a LEEF 2.0 header declares, or None if `spec` is not one."""
    if len(spec) == 1:
        return spec
    code = spec[2:] if spec[:2].lower() == "0x" else spec[1:] if spec[:1].lower() == "x" else ""
    if 1 <= len(code) <= 4 and all(c in "0123456789abcdefABCDEF" for c in code):
        return chr(int(code, 16))
    return None


def parse_leef(data: bytes | str, *, received_at: datetime | None = None) -> Result:
    """One LEEF record, bare or carried in a syslog message."""
    received_at = received_at or datetime.now(UTC)
    try:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        text = text.rstrip("\r\n\x00")
        at = text.find("LEEF:")
        if at < 0:
            return Quarantined("no 'LEEF:' marker", data, "leef")
        prefix = syslog_prefix(text[:at], data, "leef", received_at)
        if isinstance(prefix, Quarantined):
            return prefix
        parts = split_header(text[at + 5 :], 5)
        if parts is None:
            return Quarantined("LEEF header has fewer than 5 '|' separators", data, "leef")
        version, body = parts[0].strip(), parts[5]
        sep = "\t"
        if version.startswith("2"):
            # The delimiter field is optional in practice: a short field before a `|` declares it, else tab.
            bar = body.find("|")
            if 0 <= bar <= 6 and "=" not in body[:bar]:
                declared = delimiter(body[:bar]) if bar else "\t"
                if declared is None:
                    return Quarantined(f"bad LEEF delimiter {body[:bar]!r}", data, "leef")
                sep, body = declared, body[bar + 1 :]
        elif not version.startswith("1"):
            return Quarantined(f"unknown LEEF version {version[:20]!r}", data, "leef")
        fields: dict[str, Any] = prefix
        for pair in body.split(sep):
            key, eq, value = pair.partition("=")
            key = key.strip()
            if eq and key:
                fields[key] = value
            elif pair.strip():
                return Quarantined(f"LEEF attribute without '=': {pair[:40]!r}", data, "leef")
        fields.update(zip(HEADER, parts[:5], strict=False))  # the header wins over a same-named attribute
        return Event(fields, "leef", received_at, data)
    except Exception as exc:  # a parser bug must quarantine the record, not kill intake; fuzz tests catch these
        return Quarantined(f"internal error: {type(exc).__name__}: {exc}", data, "leef")
