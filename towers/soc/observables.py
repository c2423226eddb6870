"""Observables and the entity of an alert, read from events' original field names (Sysmon, Security log, web)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

IP_FIELDS = ("IpAddress", "SourceIp", "DestinationIp", "src_ip", "dst_ip", "SourceAddress", "DestAddress")
HOST_FIELDS = ("Computer", "Hostname", "host", "hostname", "WorkstationName")
USER_FIELDS = ("User", "TargetUserName", "SubjectUserName", "user")
DOMAIN_FIELDS = ("QueryName", "DestinationHostname")
URL_FIELDS = ("URL", "Url", "url", "c-uri", "cs-uri", "request_url")
HASH_NAMES = {"MD5": 32, "SHA1": 40, "SHA256": 64}
TIME_FIELDS = ("UtcTime", "@timestamp", "timestamp", "TimeCreated", "SystemTime", "EventTime")
_SKIP_VALUES = {"", "-", "::1", "127.0.0.1", "0.0.0.0", "localhost", "SYSTEM", "NT AUTHORITY\\SYSTEM"}  # noqa: S104  (a value to ignore, not an address to bind)


def _values(event: Mapping[str, Any], fields: Iterable[str]) -> Iterable[tuple[str, str]]:
    for name in fields:
        value = event.get(name)
        if value is not None and str(value).strip() not in _SKIP_VALUES:
            yield name, str(value).strip()


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def parse_hashes(text: str) -> list[str]:
    """Sysmon's "MD5=…,SHA256=…,IMPHASH=…": the MD5, SHA1 and SHA256 digests, lower-cased."""
    found = []
    for part in re.split(r"[,;\s]+", text):
        name, _, digest = part.partition("=")
        size = HASH_NAMES.get(name.strip().upper())
        if size and re.fullmatch(rf"[0-9A-Fa-f]{{{size}}}", digest.strip()):
            found.append(digest.strip().lower())
    return found


def extract(events: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(type, value, source field) for every observable in `events`, without repeats, in first-seen order."""
    seen: dict[tuple[str, str], str] = {}

    def add(kind: str, value: str, source: str) -> None:
        seen.setdefault((kind, value), source)

    for event in events:
        for name, value in _values(event, IP_FIELDS):
            if _valid_ip(value):
                add("ip", value, name)
        for name, value in _values(event, HOST_FIELDS):
            add("host", value.lower(), name)
        for name, value in _values(event, USER_FIELDS):
            add("user", value, name)
        for name, value in _values(event, DOMAIN_FIELDS):
            add("domain", value.lower().rstrip("."), name)
        for name, value in _values(event, URL_FIELDS):
            add("url", value, name)
        for name, value in _values(event, ("Hashes", "Hash", "md5", "sha1", "sha256")):
            for digest in parse_hashes(value) if "=" in value else [value.lower()]:
                add("hash", digest, name)
    return [(kind, value, source) for (kind, value), source in seen.items()]


def entity(event: Mapping[str, Any]) -> tuple[str, str, str]:
    """(host, user, ip) the event is about: what tells one alert of a rule from another."""
    host = next((v.lower() for _, v in _values(event, HOST_FIELDS)), "")
    user = next((v for _, v in _values(event, USER_FIELDS)), "")
    ip = next((v for _, v in _values(event, IP_FIELDS) if _valid_ip(v)), "")
    return host, user, ip


def fingerprint(rule_id: str, host: str, user: str, ip: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{host}\x1f{user.lower()}\x1f{ip}".encode()).hexdigest()


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """The event's own time, when it carries one that parses (aware, UTC)."""
    for name in TIME_FIELDS:
        value = event.get(name)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, str) and value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def attack_tags(tags: Iterable[str]) -> tuple[list[str], list[str]]:
    """ATT&CK (tactics, techniques) from Sigma tags: attack.execution, attack.t1059.001."""
    tactics, techniques = [], []
    for tag in tags:
        name = tag.lower()
        if not name.startswith("attack."):
            continue
        rest = name.removeprefix("attack.")
        if re.fullmatch(r"t\d{4}(\.\d{3})?", rest):
            techniques.append(rest.upper())
        elif not re.fullmatch(r"[gs]\d{4}", rest):
            tactics.append(rest.replace("_", "-"))
    return tactics, techniques


def short_host(host: str) -> str:
    return host.split(".", 1)[0]
