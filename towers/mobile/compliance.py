"""Compliance of one device against the fleet's rules: plain data in, human reasons out (no Django, no ORM).

Unknown facts fail closed: a rule asks the MDM to prove something (storage encrypted, a passcode set, an OS at or
above the floor, a recent check-in), and a device whose MDM did not say is not proven compliant. The exception is
the jailbreak flag: MDMs set it only when they detect one and report "unknown" for most Android and Windows
devices, so an unknown flag is not a breach (failing it closed would flag most of the fleet and hide the real ones).

A rule with a malformed value (an unreadable floor, days that are not a number) is skipped here; the rule
services refuse to save one (see `rule_value_error`), so it can only come from a direct database edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

OS_FLOOR = "os_floor"
ENCRYPTION = "encryption"
PASSCODE = "passcode"
CHECK_IN_AGE = "check_in_age"
JAILBREAK = "jailbreak"
KINDS = (OS_FLOOR, ENCRYPTION, PASSCODE, CHECK_IN_AGE, JAILBREAK)

PLATFORM_LABELS = {"ios": "iOS", "android": "Android", "windows": "Windows"}
_VERSION = re.compile(r"\d+(?:\.\d+)*")


class Rule(NamedTuple):
    """kind: one of KINDS; platform: "" for every platform; value: the floor or the days; key: the caller's id."""

    kind: str
    platform: str = ""
    value: str = ""
    key: Any = None


@dataclass(frozen=True)
class Facts:
    """What the MDM last said about a device; None where it said nothing."""

    platform: str
    os_version: str | None
    encrypted: bool | None
    passcode: bool | None
    jailbroken: bool | None
    last_check_in: datetime | None


class Breach(NamedTuple):
    rule: Rule
    reason: str


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """The numeric version in `text` ("17.4.1" → (17, 4, 1), "14 (UP1A.231005)" → (14,)), or None."""
    match = _VERSION.search(text or "")
    return tuple(int(part) for part in match.group().split(".")) if match else None


def version_below(version: tuple[int, ...], floor: tuple[int, ...]) -> bool:
    """Numeric comparison with missing parts as zero, so 17.4 == 17.4.0 and 17.10 > 17.4."""
    width = max(len(version), len(floor))
    return version + (0,) * (width - len(version)) < floor + (0,) * (width - len(floor))


def rule_value_error(kind: str, value: str) -> str | None:
    """Why `value` is not usable for a rule of `kind`, or None when it is."""
    if kind not in KINDS:
        return f"unknown kind {kind!r}"
    if kind == OS_FLOOR and parse_version(value) is None:
        return "must be a version such as 17.4"
    if kind == CHECK_IN_AGE and not (value.strip().isdigit() and int(value) > 0):
        return "must be a whole number of days above 0"
    return None


def applies(rule: Rule, facts: Facts) -> bool:
    return not rule.platform or rule.platform == facts.platform


def breach_of(rule: Rule, facts: Facts, now: datetime) -> str | None:
    """The reason `facts` breach `rule`, or None when they do not (or the rule does not apply or is malformed)."""
    if not applies(rule, facts) or rule_value_error(rule.kind, rule.value):
        return None
    if rule.kind == OS_FLOOR:
        return _os_floor(facts, rule.value)
    if rule.kind == ENCRYPTION:
        return None if facts.encrypted else ("encryption not reported" if facts.encrypted is None else "not encrypted")
    if rule.kind == PASSCODE:
        return None if facts.passcode else ("passcode not reported" if facts.passcode is None else "no passcode set")
    if rule.kind == JAILBREAK:
        return "jailbroken or rooted" if facts.jailbroken else None
    return _check_in(facts, int(rule.value), now)


def _os_floor(facts: Facts, floor_text: str) -> str | None:
    name = PLATFORM_LABELS.get(facts.platform, "OS")
    floor = parse_version(floor_text)
    assert floor is not None  # rule_value_error checked it
    version = parse_version(facts.os_version)
    if version is None:
        return f"{name} version {'not reported' if not facts.os_version else repr(facts.os_version) + ' unreadable'}"
    if version_below(version, floor):
        return f"{name} {facts.os_version} is below the floor {floor_text.strip()}"
    return None


def _check_in(facts: Facts, limit: int, now: datetime) -> str | None:
    if facts.last_check_in is None:
        return "never checked in"
    days = (now - facts.last_check_in).days
    return f"last checked in {days} days ago (limit {limit})" if days > limit else None


def evaluate(facts: Facts, rules: list[Rule], now: datetime) -> list[Breach]:
    """Every rule `facts` breach, in the rules' order."""
    found = []
    for rule in rules:
        reason = breach_of(rule, facts, now)
        if reason is not None:
            found.append(Breach(rule, reason))
    return found


def breaches(facts: Facts, rules: list[Rule], now: datetime) -> list[str]:
    """Human reasons `facts` breach `rules` ("iOS 16.7 is below the floor 17.4", "not encrypted" …); [] if none."""
    return [breach.reason for breach in evaluate(facts, rules, now)]
