"""MDM exports read into one canonical row a device, with each row's problems named by field. No Django here.

Layouts understood without a mapping:

- intune-csv: Intune admin centre, Devices > All devices > Export. Columns relied on: Device ID, Device name,
  Enrollment date, Last check-in, OS, OS version, Serial number, Manufacturer, Model, IMEI, Ownership,
  Encrypted, Jailbroken, Primary user UPN, Primary user email address, Phone number, ICCID, Subscriber carrier.
  Every other column (EAS, storage, Wi-Fi MAC, compliance …) is ignored. Intune writes UTF-8 with a BOM or
  UTF-16, and US-style dates ("3/5/2024 10:12:33 AM") or ISO ones.
- intune-json: Microsoft Graph managedDevice objects (GET /deviceManagement/managedDevices), bare or in the
  {"value": [...]} envelope.
- csv / json: any other console, with a mapping {canonical field: source column or key}.

A mapping given with an Intune layout overrides or extends its columns.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FIELDS = (
    *("imei", "serial", "mdm_id", "name", "make", "model", "platform", "os_version", "ownership"),
    *("encrypted", "passcode", "jailbroken", "last_check_in", "enrolled_at"),
    *("user_upn", "user_email", "msisdn", "iccid", "carrier"),
)
FORMATS = ("intune-csv", "intune-json", "csv", "json")
INTUNE_CSV = {
    "mdm_id": "Device ID", "name": "Device name", "enrolled_at": "Enrollment date", "last_check_in": "Last check-in",
    "platform": "OS", "os_version": "OS version", "serial": "Serial number", "make": "Manufacturer",
    "model": "Model", "imei": "IMEI", "ownership": "Ownership", "encrypted": "Encrypted", "jailbroken": "Jailbroken",
    "user_upn": "Primary user UPN", "user_email": "Primary user email address", "msisdn": "Phone number",
    "iccid": "ICCID", "carrier": "Subscriber carrier",
}  # fmt: skip
INTUNE_JSON = {
    "mdm_id": "id", "name": "deviceName", "platform": "operatingSystem", "os_version": "osVersion",
    "serial": "serialNumber", "imei": "imei", "make": "manufacturer", "model": "model",
    "ownership": "managedDeviceOwnerType", "encrypted": "isEncrypted", "jailbroken": "jailBroken",
    "last_check_in": "lastSyncDateTime", "enrolled_at": "enrolledDateTime", "user_upn": "userPrincipalName",
    "user_email": "emailAddress", "msisdn": "phoneNumber", "iccid": "iccid", "carrier": "subscriberCarrier",
}  # fmt: skip
PLATFORMS = {"ios": "ios", "ipados": "ios", "android": "android", "windows": "windows", "macos": "other"}
OWNERSHIP = {"corporate": "corporate", "company": "corporate", "leased": "leased", "personal": "personal"}
TRUE, FALSE, UNKNOWN = {"true", "yes", "1", "encrypted"}, {"false", "no", "0", "not encrypted"}, {"", "unknown"}
DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
LIMITS = {"serial": 60, "mdm_id": 100, "name": 200, "make": 100, "model": 100, "os_version": 40, "msisdn": 20}
NEVER = "0001-01-01"  # Graph's "not yet"


class MdmFormatError(ValueError):
    """The file as a whole cannot be read; `field` names what is wrong (file, format, mapping)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class MdmRow:
    """One device as the export reports it; `line` is the CSV line, or the element's number (from 1) in JSON."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, name: str, message: str) -> None:
        self.problems.setdefault(name, []).append(message)


@dataclass
class MdmExport:
    source_format: str
    rows: list[MdmRow]


def mapping_from_json(text: str | None) -> dict[str, str] | None:
    """A mapping typed as JSON text (a form field, a CLI file, a multipart part); None when there is none."""
    if not text or not text.strip():
        return None
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MdmFormatError("mapping", f"is not JSON: {exc}") from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise MdmFormatError("mapping", "must be an object {canonical field: source column or key}")
    return mapping


def decode(data: bytes) -> str:
    """UTF-8 with or without a BOM, or UTF-16 (with a BOM, or little-endian without one as Windows writes it)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        if b"\x00" in data[:200]:
            return data.decode("utf-16-le")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MdmFormatError("file", f"is not UTF-8 or UTF-16 text (byte {exc.start} is not valid)") from None


def read_export(
    data: bytes, *, source_format: str | None = None, mapping: Mapping[str, str] | None = None
) -> MdmExport:
    """Every row of the export, typed and checked; duplicates in the file are problems of the later rows."""
    if source_format and source_format not in FORMATS:
        raise MdmFormatError("format", f"{source_format!r} is not one of {', '.join(FORMATS)}")
    for name in mapping or {}:
        if name not in FIELDS:
            raise MdmFormatError("mapping", f"{name!r} is not a field (fields: {', '.join(FIELDS)})")
    text = decode(data)
    if not text.strip():
        raise MdmFormatError("file", "is empty")
    is_json = source_format in ("intune-json", "json") or (not source_format and text.lstrip()[:1] in "[{")
    records, lines, columns = _json_records(text) if is_json else _csv_records(text)
    if not source_format:
        intune = INTUNE_JSON if is_json else INTUNE_CSV
        found = sum(1 for column in intune.values() if column in columns)
        source_format = ("intune-json" if is_json else "intune-csv") if found >= 5 else ("json" if is_json else "csv")
    layout = {**_defaults(source_format), **(mapping or {})}
    if not layout:
        raise MdmFormatError("mapping", f"{source_format} needs a mapping {{field: column}}: it is not Intune's layout")
    missing = sorted({c for n, c in (mapping or {}).items() if c not in columns}) if records else []
    if missing:
        raise MdmFormatError("mapping", f"no column {', '.join(map(repr, missing))} in the file")
    rows = [_row(line, record, layout) for line, record in zip(lines, records, strict=True)]
    _mark_duplicates(rows)
    return MdmExport(source_format, rows)


def _defaults(source_format: str) -> dict[str, str]:
    return {"intune-csv": INTUNE_CSV, "intune-json": INTUNE_JSON}.get(source_format, {})


def _csv_records(text: str) -> tuple[list[dict[str, Any]], list[int], set[str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records, lines = [], []
    try:
        for record in reader:
            records.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise MdmFormatError("file", f"line {reader.line_num}: {exc}") from None
    if not reader.fieldnames:
        raise MdmFormatError("file", "is empty: the first line must name the columns")
    return records, lines, {name.strip() for name in reader.fieldnames}


def _json_records(text: str) -> tuple[list[dict[str, Any]], list[int], set[str]]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MdmFormatError("file", f"is not JSON: {exc}") from None
    records = parsed.get("value") if isinstance(parsed, dict) else parsed
    if not isinstance(records, list):
        raise MdmFormatError("file", 'must hold a list of devices, or {"value": [...]}')
    bad = next((n for n, r in enumerate(records, 1) if not isinstance(r, dict)), None)
    if bad:
        raise MdmFormatError("file", f"element {bad} is not an object")
    return records, list(range(1, len(records) + 1)), {k for r in records for k in r}


def _row(line: int, record: Mapping[str, Any], layout: Mapping[str, str]) -> MdmRow:
    row = MdmRow(line)
    record = {str(k).strip(): v for k, v in record.items() if k is not None}
    for name, column in layout.items():
        raw = record.get(column)
        text = "" if raw is None else str(raw).strip()
        try:
            value = PARSERS.get(name, _text)(raw if isinstance(raw, bool) else text)
        except ValueError as exc:
            row.problem(name, f"{text!r}: {exc}")
            continue
        if isinstance(value, str) and len(value) > LIMITS.get(name, 300):
            row.problem(name, f"longer than {LIMITS.get(name, 300)} characters")
        elif value is not None and value != "":
            row.values[name] = value
    if not row.values.get("imei") and not row.values.get("serial") and "imei" not in row.problems:
        row.problem("imei", "neither an IMEI nor a serial number: the device cannot be identified")
    return row


def _text(value: str) -> str:
    return value


def imei(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not digits:
        return ""
    if not digits.isdigit() or len(digits) != 15:
        raise ValueError("an IMEI is 15 digits")
    total = sum(d if i % 2 == 0 else (d * 2 if d < 5 else d * 2 - 9) for i, d in enumerate(map(int, digits[:14])))
    if (10 - total % 10) % 10 != int(digits[14]):
        raise ValueError("the check digit is wrong (Luhn)")
    return digits


def iccid(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if digits and (not digits.isdigit() or not 18 <= len(digits) <= 22):
        raise ValueError("an ICCID is 18 to 22 digits")
    return digits


def when(value: str) -> datetime | None:
    if not value or value.startswith(NEVER):
        return None
    if value[:4].isdigit():
        try:
            parsed = datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.replace(" ", "T", 1)))
        except ValueError:
            raise ValueError("not a date and time (ISO 8601)") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError("not a date and time (ISO 8601, or M/D/YYYY h:mm:ss AM/PM)")


def flag(value: str | bool) -> bool | None:
    if isinstance(value, bool):
        return value
    if value.lower() in UNKNOWN:
        return None
    if value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    raise ValueError("not yes/no, true/false or unknown")


def platform(value: str) -> str:
    if not value:
        return ""
    key = next((k for k in PLATFORMS if value.lower().replace(" ", "").startswith(k)), None)
    if key is None:
        raise ValueError(f"unknown OS (known: {', '.join(sorted(PLATFORMS))})")
    return PLATFORMS[key]


def ownership(value: str) -> str:
    if value.lower() in UNKNOWN:
        return ""
    if value.lower() not in OWNERSHIP:
        raise ValueError(f"unknown ownership (known: {', '.join(sorted(OWNERSHIP))})")
    return OWNERSHIP[value.lower()]


PARSERS: dict[str, Any] = {
    "imei": imei, "iccid": iccid, "platform": platform, "ownership": ownership, "encrypted": flag, "passcode": flag,
    "jailbroken": flag, "last_check_in": when, "enrolled_at": when,
    "user_upn": str.lower, "user_email": str.lower,
}  # fmt: skip


def _mark_duplicates(rows: list[MdmRow]) -> None:
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        for name in ("imei", "serial", "mdm_id"):
            value = row.values.get(name)
            if not value:
                continue
            if (name, value) in first:
                row.problem(name, f"{value} is also on line {first[(name, value)]}: the first one is imported")
            else:
                first[(name, value)] = row.line
