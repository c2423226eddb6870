"""The pure compliance evaluator: rules against device facts, table-driven."""

from datetime import UTC, datetime, timedelta

import pytest

from towers.mobile.compliance import Facts, Rule, breaches, parse_version, rule_value_error, version_below

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def facts(**kwargs: object) -> Facts:
    base: dict[str, object] = {
        "platform": "ios",
        "os_version": "17.5",
        "encrypted": True,
        "passcode": True,
        "jailbroken": False,
        "last_check_in": NOW - timedelta(days=1),
    }
    return Facts(**(base | kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "device", "expected"),
    [
        (Rule("os_floor", "ios", "17.4"), facts(os_version="16.7"), ["iOS 16.7 is below the floor 17.4"]),
        (Rule("os_floor", "ios", "17.4"), facts(os_version="17.10"), []),
        (Rule("os_floor", "ios", "17.4"), facts(os_version="17.4"), []),
        (Rule("os_floor", "ios", "17.4.1"), facts(os_version="17.4"), ["iOS 17.4 is below the floor 17.4.1"]),
        (Rule("os_floor", "ios", "17.4"), facts(os_version=None), ["iOS version not reported"]),
        (Rule("os_floor", "ios", "17.4"), facts(os_version="beta"), ["iOS version 'beta' unreadable"]),
        (Rule("os_floor", "android", "14"), facts(os_version="12"), []),  # another platform's floor
        (
            Rule("os_floor", "android", "14"),
            facts(platform="android", os_version="13 (TP1A.220624)"),
            ["Android 13 (TP1A.220624) is below the floor 14"],
        ),
        (Rule("encryption"), facts(encrypted=False), ["not encrypted"]),
        (Rule("encryption"), facts(encrypted=None), ["encryption not reported"]),
        (Rule("passcode"), facts(passcode=False), ["no passcode set"]),
        (Rule("passcode"), facts(passcode=None), ["passcode not reported"]),
        (Rule("jailbreak"), facts(jailbroken=True), ["jailbroken or rooted"]),
        (Rule("jailbreak"), facts(jailbroken=None), []),  # MDMs only report a detected jailbreak
        (
            Rule("check_in_age", "", "30"),
            facts(last_check_in=NOW - timedelta(days=45)),
            ["last checked in 45 days ago (limit 30)"],
        ),
        (Rule("check_in_age", "", "30"), facts(last_check_in=NOW - timedelta(days=30, hours=5)), []),
        (Rule("check_in_age", "", "30"), facts(last_check_in=None), ["never checked in"]),
        (Rule("check_in_age", "", "soon"), facts(last_check_in=None), []),  # malformed rule: skipped
        (Rule("encryption", "android"), facts(encrypted=False), []),
    ],
)
def test_breaches_names_each_reason(rule: Rule, device: Facts, expected: list[str]) -> None:
    assert breaches(device, [rule], NOW) == expected


def test_every_breached_rule_is_reported_in_rule_order() -> None:
    rules = [Rule("encryption"), Rule("passcode"), Rule("os_floor", "ios", "18")]
    assert breaches(facts(encrypted=False, passcode=False), rules, NOW) == [
        "not encrypted",
        "no passcode set",
        "iOS 17.5 is below the floor 18",
    ]


@pytest.mark.parametrize(
    ("version", "floor", "below"),
    [("17.10", "17.4", False), ("17.4", "17.10", True), ("17", "17.0.0", False), ("10.0.19045", "10.0.22000", True)],
)
def test_versions_compare_numerically(version: str, floor: str, below: bool) -> None:
    parsed, parsed_floor = parse_version(version), parse_version(floor)
    assert parsed is not None and parsed_floor is not None
    assert version_below(parsed, parsed_floor) is below


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("os_floor", "17.4", True),
        ("os_floor", "x", False),
        ("check_in_age", "30", True),
        ("check_in_age", "0", False),
        ("check_in_age", "-3", False),
        ("encryption", "", True),
        ("colour", "", False),
    ],
)
def test_rule_values_are_checked(kind: str, value: str, ok: bool) -> None:
    assert (rule_value_error(kind, value) is None) is ok
