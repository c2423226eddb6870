"""Syslog messages (RFC 5424 and RFC 3164) and RFC 6587 TCP stream framing.

Parsing is hand-written over str methods rather than one big regex: it is the hot path of intake (the target is
50,000 lines/s per core) and the scanner quarantines with a precise reason instead of a bare "no match".
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from towers.soc.intake.event import Event, Quarantined, Result

NIL = "-"
MAX_FRAME = 64 * 1024  # rsyslog's default maximum message size; larger frames are quarantined, not buffered forever
_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
# Tolerated clock skew before a year-less BSD timestamp is read as last year's (Dec 31 received on Jan 1).
_FUTURE_SKEW = timedelta(days=1)
_TAG = re.compile(r"([^\s\[\]:]{1,48})(?:\[([^\]\s]{0,128})\])?:(?: |$)")
_SD_ESCAPE = re.compile(r"\\([\"\\\]])")


def decode_priority(pri: int) -> tuple[int, int]:
    """(facility, severity) from a PRI value."""
    return pri >> 3, pri & 7


_PRI_VALUES = {str(pri): pri for pri in range(192)}  # every well-formed PRI: one lookup on the hot path


def _priority(text: str) -> tuple[int, int] | str:
    """The PRI value and the index after `>`, or a quarantine reason."""
    if not text.startswith("<"):
        return "no <PRI> at start"
    end = text.find(">", 1, 5)
    digits = text[1:end] if end > 0 else ""
    known = _PRI_VALUES.get(digits)
    if known is not None:
        return known, end + 1
    if not digits.isdigit() or not digits.isascii() or (len(digits) > 1 and digits[0] == "0"):
        return "malformed <PRI>"
    pri = int(digits)
    if pri > 191:
        return "PRI above 191"
    return pri, end + 1


def parse_syslog(data: bytes | str, *, received_at: datetime | None = None) -> Result:
    """One syslog message, RFC 5424 when a version follows the PRI, otherwise RFC 3164 (read leniently)."""
    received_at = received_at or datetime.now(UTC)
    try:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        text = text.rstrip("\r\n\x00")  # trailers added by LF and NUL framing, and by Python's SysLogHandler
        found = _priority(text)
        if isinstance(found, str):
            return Quarantined(found, data, "syslog")
        pri, at = found
        if text[at : at + 2] == "1 ":
            return _parse_5424(text, at + 2, pri, data, received_at)
        return _parse_3164(text, at, pri, data, received_at)
    except Exception as exc:  # a parser bug must quarantine the line, not kill the listener; fuzz tests catch these
        return Quarantined(f"internal error: {type(exc).__name__}: {exc}", data, "syslog")


def _token(text: str, at: int) -> tuple[str, int]:
    end = text.find(" ", at)
    if end < 0:
        return text[at:], len(text)
    return text[at:end], end + 1


def _parse_5424(text: str, at: int, pri: int, raw: bytes | str, received_at: datetime) -> Result:
    parts = text[at:].split(" ", 5)  # one C-level split of the header: the fastest way through five tokens
    if len(parts) < 6:
        return Quarantined("RFC 5424 header truncated", raw, "syslog")
    stamp, hostname, app_name, procid, msgid, rest = parts
    if not (stamp and hostname and app_name and procid and msgid):
        return Quarantined("empty RFC 5424 header field (two spaces in a row)", raw, "syslog")
    text, at = rest, 0
    timestamp: datetime | None = None
    if stamp != NIL:
        try:
            timestamp = datetime.fromisoformat(stamp)
        except ValueError:
            return Quarantined(f"bad RFC 5424 timestamp {stamp[:40]!r}", raw, "syslog")
        if timestamp.tzinfo is None:
            return Quarantined("RFC 5424 timestamp without a time zone", raw, "syslog")
    facility, severity = decode_priority(pri)
    fields: dict[str, Any] = {
        "facility": facility,
        "severity": severity,
        "timestamp": timestamp,
        "hostname": None if hostname == NIL else hostname,
        "app_name": None if app_name == NIL else app_name,
        "procid": None if procid == NIL else procid,
        "msgid": None if msgid == NIL else msgid,
    }
    if text.startswith(NIL, at):
        at += 1
    elif text.startswith("[", at):
        parsed = _structured_data(text, at, fields)
        if isinstance(parsed, str):
            return Quarantined(parsed, raw, "syslog")
        at = parsed
    else:
        return Quarantined("RFC 5424 structured data is neither '-' nor '['", raw, "syslog")
    if at < len(text) and text[at] != " ":
        return Quarantined("no space after RFC 5424 structured data", raw, "syslog")
    message = text[at + 1 :]
    fields["message"] = message[1:] if message.startswith("\ufeff") else message  # the BOM marks UTF-8, not content
    return Event(fields, "syslog", received_at, raw)


def _structured_data(text: str, at: int, fields: dict[str, Any]) -> int | str:
    """Adds `sd.<id>.<param>` fields; returns the index after the last `]` or a quarantine reason."""
    n = len(text)
    while at < n and text[at] == "[":
        end_id = at + 1
        while end_id < n and text[end_id] not in " ]":
            end_id += 1
        sd_id = text[at + 1 : end_id]
        if not sd_id or end_id >= n or "=" in sd_id or '"' in sd_id:
            return "malformed SD-ID"
        at = end_id
        fields[f"sd.{sd_id}"] = True  # an element may carry no params; its presence alone is data
        while text[at] == " ":
            eq = text.find('="', at + 1)
            if eq < 0:
                return f"malformed SD-PARAM in [{sd_id}]"
            name = text[at + 1 : eq]
            if not name or " " in name or "]" in name:
                return f"malformed SD-PARAM name in [{sd_id}]"
            at = eq + 2
            value_start, escaped = at, False
            while True:  # the value ends at the first `"` not escaped by a backslash
                quote = text.find('"', at)
                if quote < 0:
                    return f"unterminated SD-PARAM value in [{sd_id}]"
                slashes = 0
                while text[quote - 1 - slashes] == "\\":
                    slashes += 1
                if slashes % 2 == 0:
                    break
                escaped, at = True, quote + 1
            value = text[value_start:quote]
            fields[f"sd.{sd_id}.{name}"] = _SD_ESCAPE.sub(r"\1", value) if escaped or "\\" in value else value
            at = quote + 1
            if at >= n:
                return f"unterminated SD-ELEMENT [{sd_id}]"
        if text[at] != "]":
            return f"junk inside SD-ELEMENT [{sd_id}]"
        at += 1
    return at


@lru_cache(maxsize=4096)  # a busy sender repeats the same second many times over
def _bsd_parts(stamp: str) -> tuple[int, int, int, int, int] | None:
    """(month, day, hour, minute, second) of `Mmm dd hh:mm:ss`, or None when it is not one."""
    if len(stamp) != 15 or stamp[3] != " " or stamp[6] != " " or stamp[9] != ":" or stamp[12] != ":":
        return None
    month = _MONTHS.get(stamp[:3])
    day, hh, mm, ss = stamp[4:6].lstrip(), stamp[7:9], stamp[10:12], stamp[13:15]
    digits = day + hh + mm + ss
    if month is None or not digits.isdigit() or not digits.isascii():
        return None
    return month, int(day), int(hh), int(mm), int(ss)


def bsd_timestamp(stamp: str, received_at: datetime) -> datetime | None:
    """`Mmm dd hh:mm:ss` in the receive year (UTC), or last year when that would lie in the future."""
    parts = _bsd_parts(stamp)
    if parts is None:
        return None
    month, day, hh, mm, ss = parts
    for year in (received_at.year, received_at.year - 1):
        try:
            candidate = datetime(year, month, day, hh, mm, ss, tzinfo=UTC)
        except ValueError:
            continue  # 29 February in a non-leap year: try the previous year, or give up
        if candidate <= received_at + _FUTURE_SKEW:
            return candidate
    return None


def _parse_3164(text: str, at: int, pri: int, raw: bytes | str, received_at: datetime) -> Result:
    facility, severity = decode_priority(pri)
    timestamp = bsd_timestamp(text[at : at + 15], received_at)
    hostname: str | None = None
    if timestamp is not None:
        at += 16
        hostname, at = _token(text, at)
    elif text[at : at + 1].isdigit():  # rsyslog's RFC 3339 variant of the BSD header
        stamp, after = _token(text, at)
        try:
            iso = datetime.fromisoformat(stamp)
        except ValueError:
            iso = None
        if iso is not None and iso.tzinfo is not None:
            timestamp = iso
            hostname, at = _token(text, after)
    # RFC 3164 4.3.2: without a valid header the whole remainder is CONTENT, stamped on receipt.
    content = text[at:]
    app_name = procid = None
    tag = _TAG.match(content)
    if tag is not None:
        app_name, procid = tag.group(1), tag.group(2)
        content = content[tag.end() :]
    fields: dict[str, Any] = {
        "facility": facility,
        "severity": severity,
        "timestamp": timestamp or received_at,
        "hostname": hostname or None,
        "app_name": app_name,
        "procid": procid,
        "msgid": None,
        "message": content,
    }
    return Event(fields, "syslog", received_at, raw)


class Deframer:
    """Splits a TCP syslog stream into messages (RFC 6587): octet-counting, or LF/NUL-terminated frames.

    Each connection has its own deframer. Frames may arrive split across reads; frames over `max_frame` bytes are
    quarantined and skipped without being buffered.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._offset = 0  # stream offset of the start of _buffer, for quarantine records
        self._skip = 0  # bytes still to discard of an oversize octet-counted frame
        self._discard_to_lf = False  # inside an oversize LF frame: drop until its terminator

    def feed(self, data: bytes) -> list[bytes | Quarantined]:
        """The complete frames (and quarantines) that `data` finishes."""
        self._buffer += data
        out: list[bytes | Quarantined] = []
        buf = self._buffer
        pos = 0
        while pos < len(buf):
            if self._skip:
                take = min(self._skip, len(buf) - pos)
                self._skip -= take
                pos += take
                continue
            if self._discard_to_lf:
                end = _terminator(buf, pos)
                if end < 0:
                    pos = len(buf)
                    break
                self._discard_to_lf = False
                pos = end + 1
                continue
            first = buf[pos]
            if 0x31 <= first <= 0x39:  # MSG-LEN is NONZERO-DIGIT *DIGIT: octet-counting
                space = buf.find(b" ", pos, pos + 11)
                if space < 0:
                    if len(buf) - pos < 11 and buf[pos:].isdigit():
                        break  # the length itself is split across reads
                    out.append(self._bad_count(buf, pos))
                    self._discard_to_lf = True
                    continue
                digits = bytes(buf[pos:space])
                if not digits.isdigit():
                    out.append(self._bad_count(buf, pos))
                    self._discard_to_lf = True
                    continue
                length = int(digits)
                if length > self.max_frame:
                    reason = f"frame of {length} bytes over {self.max_frame}"
                    out.append(Quarantined(reason, digits, "syslog", self._offset + pos))
                    self._skip = length
                    pos = space + 1
                    continue
                if len(buf) - (space + 1) < length:
                    break
                out.append(bytes(buf[space + 1 : space + 1 + length]))
                pos = space + 1 + length
                continue
            end = _terminator(buf, pos)
            if end < 0:
                if len(buf) - pos > self.max_frame:
                    out.append(
                        Quarantined(
                            f"unterminated frame over {self.max_frame} bytes",
                            bytes(buf[pos : pos + 256]),
                            "syslog",
                            self._offset + pos,
                        )
                    )
                    self._discard_to_lf = True
                    pos = len(buf)
                break
            if end > pos and not (end == pos + 1 and buf[pos] == 0x0D):  # skip empty lines and NUL padding
                frame = bytes(buf[pos:end])
                out.append(frame.rstrip(b"\r"))
            pos = end + 1
        self._offset += pos
        del buf[:pos]
        return out

    def _bad_count(self, buf: bytearray, pos: int) -> Quarantined:
        """A frame that starts with a digit but no valid MSG-LEN: quarantined up to its line end, if any."""
        end = _terminator(buf, pos)
        raw = bytes(buf[pos : end if 0 <= end < pos + 256 else pos + 256])
        return Quarantined("bad octet count", raw, "syslog", self._offset + pos)

    def close(self) -> list[bytes | Quarantined]:
        """At end of stream: an unterminated last line is a message; a half octet-counted frame is quarantined."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        if not rest.strip(b"\r\n\x00 ") or self._discard_to_lf or self._skip:
            return []
        if 0x31 <= rest[0] <= 0x39:
            return [Quarantined("stream ended inside an octet-counted frame", rest, "syslog", self._offset)]
        return [rest]


def _terminator(buf: bytearray, pos: int) -> int:
    """Index of the first LF or NUL from `pos`: NUL ends frames from senders such as Python's SysLogHandler."""
    lf = buf.find(b"\n", pos)
    nul = buf.find(b"\x00", pos, lf if lf >= 0 else len(buf))
    return nul if nul >= 0 else lf
