"""STIX 2.1 indicators: read from a bundle, their IOC patterns compiled to observables, and matched against events.

Only the patterning subset IOC feeds use is compiled: comparisons `[type:path = 'value']` (or `IN ('a', 'b')`)
joined by OR/AND inside one observation (and observations joined by OR), on IP addresses, domain names, URLs,
e-mail addresses and file hashes; each names observables any one of which is a hit.
Any other pattern is reported as unsupported, with the reason, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from towers.soc.observables import parse_hashes

# (STIX object type, property path) -> the observable type an indicator is kept as
PATHS: dict[tuple[str, str], str] = {
    ("ipv4-addr", "value"): "ip",
    ("ipv6-addr", "value"): "ip",
    ("domain-name", "value"): "domain",
    ("url", "value"): "url",
    ("email-addr", "value"): "email",
    ("file", "hashes.'SHA-256'"): "hash",
    ("file", "hashes.'SHA-1'"): "hash",
    ("file", "hashes.'MD5'"): "hash",
    ("file", "hashes.SHA256"): "hash",
    ("file", "hashes.MD5"): "hash",
}

# the event fields looked in for each observable type
FIELDS: dict[str, tuple[str, ...]] = {
    "ip": (
        "IpAddress",
        "SourceIp",
        "DestinationIp",
        "SourceAddress",
        "DestAddress",
        "src",
        "dst",
        "src_ip",
        "dst_ip",
        "ClientIP",
        "ip",
    ),
    "domain": ("QueryName", "DestinationHostname", "Hostname", "domain", "query", "dhost", "shost"),
    "url": ("url", "Url", "URL", "request", "RequestUrl", "uri"),
    "email": ("Sender", "Recipient", "From", "To", "email", "suser", "duser"),
    "hash": ("Hashes", "Hash", "sha256", "SHA256", "md5", "MD5", "sha1", "SHA1", "fileHash"),
}

_COMPARISON = re.compile(
    r"""\s*(?P<object>[a-z0-9-]+):(?P<path>[A-Za-z0-9_.'-]+)\s*
        (?:(?P<eq>=)\s*'(?P<value>(?:[^'\\]|\\.)*)'
         |IN\s*\((?P<values>\s*'(?:[^'\\]|\\.)*'(?:\s*,\s*'(?:[^'\\]|\\.)*')*\s*)\))\s*""",
    re.VERBOSE,
)
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


class Unsupported(ValueError):
    """A pattern outside the compiled subset; the message says why."""


@dataclass(frozen=True)
class StixIndicator:
    stix_id: str
    name: str
    pattern: str
    valid_from: str | None
    valid_until: str | None
    labels: list[str]
    confidence: int | None
    observables: list[tuple[str, str]] = field(default_factory=list)


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _normalise(kind: str, value: str) -> str:
    value = value.strip()
    return value if kind == "url" else value.lower()


def _split(text: str, word: str) -> list[str]:
    """`text` split on ` word ` outside quotes."""
    parts, current, quoted, i = [], [], False, 0
    token = f" {word} "
    while i < len(text):
        char = text[i]
        if char == "\\" and quoted:
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == "'":
            quoted = not quoted
        if not quoted and text[i : i + len(token)].upper() == token:
            parts.append("".join(current))
            current, i = [], i + len(token)
            continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _observations(text: str) -> list[str]:
    """The inner text of each `[...]` of a pattern whose observations are joined only by OR."""
    groups: list[str] = []
    current: list[str] = []
    for part in _split(text, "OR"):
        current.append(part)
        bare = _QUOTED.sub("''", " OR ".join(current)).strip()
        if bare.count("[") != bare.count("]"):
            continue
        if not (bare.startswith("[") and bare.endswith("]")) or "[" in bare[1:-1] or "]" in bare[1:-1]:
            raise Unsupported("only observations `[...]` joined by OR, without qualifiers, are supported")
        groups.append(" OR ".join(current).strip()[1:-1])
        current = []
    if current:
        raise Unsupported("unbalanced brackets")
    return groups


def compile_pattern(pattern: str) -> list[tuple[str, str]]:
    """The (type, value) observables of a simple IOC pattern; raises Unsupported for anything else."""
    found: list[tuple[str, str]] = []
    for observation in _observations(pattern.strip()):
        for disjunct in _split(observation, "OR"):
            for comparison in _split(disjunct, "AND"):
                match = _COMPARISON.fullmatch(comparison)
                if match is None:
                    raise Unsupported(f"unsupported comparison: {comparison.strip()!r}")
                kind = PATHS.get((match["object"], match["path"]))
                if kind is None:
                    raise Unsupported(f"unsupported property: {match['object']}:{match['path']}")
                values = [match["value"]] if match["eq"] else _QUOTED.findall(match["values"])
                for value in values:
                    item = (kind, _normalise(kind, _unescape(value)))
                    if item not in found:
                        found.append(item)
    if not found:
        raise Unsupported("empty pattern")
    return found


def parse_bundle(bundle: Mapping[str, Any]) -> tuple[list[StixIndicator], list[tuple[str, str]]]:
    """The indicators of a bundle with their observables, and (id, reason) of each one not compiled."""
    if bundle.get("type") not in ("bundle", None) or not isinstance(bundle.get("objects", []), list):
        raise ValueError("not a STIX 2.1 bundle")
    indicators: list[StixIndicator] = []
    unsupported: list[tuple[str, str]] = []
    for obj in bundle.get("objects", []):
        if not isinstance(obj, Mapping) or obj.get("type") != "indicator":
            continue
        stix_id = str(obj.get("id", ""))
        pattern = str(obj.get("pattern", ""))
        if obj.get("pattern_type", "stix") != "stix":
            unsupported.append((stix_id, f"pattern type {obj.get('pattern_type')!r}"))
            continue
        try:
            observables = compile_pattern(pattern)
        except Unsupported as exc:
            unsupported.append((stix_id, str(exc)))
            continue
        confidence = obj.get("confidence")
        indicators.append(
            StixIndicator(
                stix_id=stix_id,
                name=str(obj.get("name") or pattern)[:300],
                pattern=pattern,
                valid_from=obj.get("valid_from"),
                valid_until=obj.get("valid_until"),
                labels=[str(x) for x in (obj.get("indicator_types") or obj.get("labels") or [])],
                confidence=int(confidence) if isinstance(confidence, int) else None,
                observables=observables,
            )
        )
    return indicators, unsupported


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def event_observables(event: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(type, value) of every field of `event` an indicator could match."""
    for kind, names in FIELDS.items():
        for name in names:
            raw = event.get(name)
            if raw is None or raw == "":
                continue
            text = str(raw)
            if kind == "hash":
                digests = parse_hashes(text) if "=" in text else [text.strip().lower()]
                for digest in digests:
                    yield kind, digest
            else:
                yield kind, _normalise(kind, text)
                if kind == "ip" and text.lower().startswith("::ffff:"):
                    yield kind, text[7:]
                if kind == "domain" and text.endswith("."):
                    yield kind, _normalise(kind, text.rstrip("."))


class Matcher:
    """An index from (type, value) to the keys of the indicators that name it: one dict lookup per field."""

    def __init__(self, entries: Iterable[tuple[str, str, Any]]) -> None:
        self.index: dict[tuple[str, str], list[Any]] = {}
        for kind, value, key in entries:
            self.index.setdefault((kind, value), []).append(key)

    def __len__(self) -> int:
        return len(self.index)

    def match(self, event: Mapping[str, Any]) -> list[Any]:
        hits: list[Any] = []
        for item in event_observables(event):
            for key in self.index.get(item, ()):
                if key not in hits:
                    hits.append(key)
        return hits
