"""Turn one pySigma value (already transformed by its modifiers) into a fast field test.

pySigma applies the Sigma v2 modifiers while parsing: ``contains``/``startswith``/``endswith``
become wildcards, ``base64``/``base64offset``/``wide``/``utf16*``/``windash`` become (expansions
of) plain strings, ``re``+``i``/``m``/``s`` a regular expression with flags, ``cidr``, ``lt``…,
``fieldref``, ``exists``, ``expand`` their own value types, and ``all`` the AND value linking.
What is left for us is matching each resulting value type against an event value, which is
what this module does. Every test takes the prepared event (see ``events.PreparedEvent``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
    TimestampPart,
)

from towers.soc.sigma.events import PreparedEvent

Test = Callable[[PreparedEvent], bool]
StrTest = Callable[[str], bool]


class UnsupportedValueError(ValueError):
    """A value type this evaluator cannot match; the rule is reported as not compiled."""


def _never(_event: PreparedEvent) -> bool:
    return False


def string_test(value: SigmaString, *, cased: bool, placeholders: dict[str, list[str]] | None = None) -> StrTest:
    """A test on one (lowered unless cased) string for a Sigma string with * and ? wildcards.

    The common shapes (exact, prefix, suffix, substring) avoid the regex engine: they cover
    nearly all SigmaHQ values and are several times faster than ``re.fullmatch``.
    """
    parts: list[str | SpecialChars] = []
    for part in value.s:
        if isinstance(part, Placeholder):
            # ``expand``: a placeholder is replaced by its configured values (OR), and an
            # unconfigured one matches nothing rather than everything (no false positives).
            options = (placeholders or {}).get(part.name)
            if not options:
                return lambda _s: False
            parts.append("\x00PH:" + "\x00".join(options))
        else:
            parts.append(part)
    if any(isinstance(p, str) and p.startswith("\x00PH:") for p in parts):
        pattern = "".join(_regex_part(p, cased) for p in parts)
        regex = re.compile(pattern, re.DOTALL if cased else re.DOTALL | re.IGNORECASE)
        return lambda s: regex.fullmatch(s) is not None
    norm = [p if not isinstance(p, str) or cased else p.lower() for p in parts]
    star = SpecialChars.WILDCARD_MULTI
    literal = [p for p in norm if isinstance(p, str)]
    specials = [p for p in norm if not isinstance(p, str)]
    if not specials:
        text = "".join(literal)
        return text.__eq__
    if all(p is star for p in specials) and len(literal) <= 1:
        text = literal[0] if literal else ""
        starts, ends = norm[0] is star, norm[-1] is star
        if len(norm) == 1:
            return lambda _s: True
        if starts and ends and len(norm) == 3:
            return lambda s: text in s
        if ends and len(norm) == 2:
            return lambda s: s.startswith(text)
        if starts and len(norm) == 2:
            return lambda s: s.endswith(text)
    regex = re.compile("".join(_regex_part(p, cased) for p in norm), re.DOTALL if cased else re.DOTALL | re.IGNORECASE)
    return lambda s: regex.fullmatch(s) is not None


def plain_strings(value: SigmaType) -> list[SigmaString] | None:
    """The case-insensitive plain strings a value stands for (an expansion's too), or None."""
    if isinstance(value, SigmaExpansion):
        found: list[SigmaString] = []
        for item in value.values:
            strings = plain_strings(item)
            if strings is None:
                return None
            found += strings
        return found
    if isinstance(value, SigmaString) and not isinstance(value, SigmaCasedString):
        if any(isinstance(p, Placeholder) for p in value.s):
            return None
        return [value]
    return None


def any_string_test(field: str, values: list[SigmaString]) -> Test:
    """One test for "field matches any of these strings", the commonest shape in SigmaHQ
    (``Image|endswith: [50 names]``): one field lookup, then C-level checks on tuples,
    a frozenset, and a single alternation regex, instead of one closure call per value."""
    star = SpecialChars.WILDCARD_MULTI
    exact: set[str] = set()
    prefixes: list[str] = []
    suffixes: list[str] = []
    patterns: list[str] = []
    for value in values:
        # plain_strings() has ruled out placeholders; the filter tells the type checker so.
        parts: list[str | SpecialChars] = [
            p.lower() if isinstance(p, str) else p for p in value.s if not isinstance(p, Placeholder)
        ]
        literal = [p for p in parts if isinstance(p, str)]
        specials = [p for p in parts if not isinstance(p, str)]
        if not specials:
            exact.add("".join(literal))
        elif len(parts) == 2 and parts[1] is star and isinstance(parts[0], str):
            prefixes.append(parts[0])
        elif len(parts) == 2 and parts[0] is star and isinstance(parts[1], str):
            suffixes.append(parts[1])
        else:
            # contains and the rest: anchored full match, joined into one regex.
            patterns.append("".join(_regex_part(p, False) for p in parts))
    exact_set, prefix_tuple, suffix_tuple = frozenset(exact), tuple(prefixes), tuple(suffixes)
    regex = re.compile("(?:" + "|".join(patterns) + ")", re.DOTALL) if patterns else None

    def check(s: str) -> bool:
        if s in exact_set or s.startswith(prefix_tuple) or s.endswith(suffix_tuple):
            return True
        return regex is not None and regex.fullmatch(s) is not None

    return _on_field(field, False, check)


def _regex_part(part: str | SpecialChars, cased: bool) -> str:
    if part is SpecialChars.WILDCARD_MULTI:
        return ".*"
    if part is SpecialChars.WILDCARD_SINGLE:
        return "."
    assert isinstance(part, str)
    if part.startswith("\x00PH:"):
        return "(?:" + "|".join(re.escape(o) for o in part[4:].split("\x00")) + ")"
    return re.escape(part)


def _on_field(field: str, cased: bool, test: StrTest) -> Test:
    """Apply a string test to the field's value, or to any item when the value is a list."""
    key = field.lower()
    if cased:

        def check_cased(event: PreparedEvent) -> bool:
            value = event.text.get(key)
            if value is None:
                return False
            if type(value) is str:
                return test(value)
            return any(test(v) for v in value)

        return check_cased

    def check(event: PreparedEvent) -> bool:
        value = event.lower.get(key)
        if value is None:
            return False
        if type(value) is str:
            return test(value)
        return any(test(v) for v in value)

    return check


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(int(value, 0)) if value.lower().startswith("0x") else float(value)
        except ValueError:
            return None
    return None


_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: float.__lt__,
    CompareOperators.LTE: float.__le__,
    CompareOperators.GT: float.__gt__,
    CompareOperators.GTE: float.__ge__,
    CompareOperators.NEQ: float.__ne__,
}

_TIME_PART: dict[TimestampPart, Callable[[datetime], int]] = {
    TimestampPart.MINUTE: lambda d: d.minute,
    TimestampPart.HOUR: lambda d: d.hour,
    TimestampPart.DAY: lambda d: d.day,
    TimestampPart.WEEK: lambda d: d.isocalendar()[1],
    TimestampPart.MONTH: lambda d: d.month,
    TimestampPart.YEAR: lambda d: d.year,
}


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _raw_test(field: str, check: Callable[[Any], bool]) -> Test:
    key = field.lower()

    def test(event: PreparedEvent) -> bool:
        value = event.raw.get(key)
        if value is None:
            return False
        if isinstance(value, list):
            return any(check(v) for v in value)
        return check(value)

    return test


def field_test(field: str, value: SigmaType, placeholders: dict[str, list[str]] | None = None) -> Test:
    """The test for ``field`` against one value of a detection item."""
    key = field.lower()
    if isinstance(value, SigmaExpansion):
        tests = [field_test(field, v, placeholders) for v in value.values]
        return lambda e: any(t(e) for t in tests)
    if isinstance(value, SigmaCasedString):
        return _on_field(field, True, string_test(value, cased=True, placeholders=placeholders))
    if isinstance(value, SigmaString):
        return _on_field(field, False, string_test(value, cased=False, placeholders=placeholders))
    if isinstance(value, SigmaNull):
        # null: the field is absent or empty.
        return lambda e: e.raw.get(key) in (None, "")
    if isinstance(value, SigmaExists):
        wanted = bool(value.exists)
        return lambda e: (key in e.raw) is wanted
    if isinstance(value, SigmaBool):
        text = "true" if value.boolean else "false"
        return _on_field(field, False, text.__eq__)
    if isinstance(value, SigmaTimestampPart):
        part, number = _TIME_PART[value.timestamp_part], int(value.number)

        def time_check(v: Any) -> bool:
            moment = _timestamp(v)
            return moment is not None and part(moment) == number

        return _raw_test(field, time_check)
    if isinstance(value, SigmaNumber):
        target = float(value.number)
        as_text = str(value.number).lower()

        def number_check(v: Any) -> bool:
            return _number(v) == target or str(v).lower() == as_text

        return _raw_test(field, number_check)
    if isinstance(value, SigmaRegularExpression):
        return _on_field(field, True, regex_test(value))
    if isinstance(value, SigmaCompareExpression):
        compare, limit = _COMPARE[value.op], float(value.number.number)

        def compare_check(v: Any) -> bool:
            number = _number(v)
            return number is not None and compare(number, limit)

        return _raw_test(field, compare_check)
    if isinstance(value, SigmaCIDRExpression):
        network = ipaddress.ip_network(value.cidr, strict=False)

        def cidr_check(v: Any) -> bool:
            try:
                return ipaddress.ip_address(str(v).strip("[]")) in network
            except ValueError:
                return False

        return _raw_test(field, cidr_check)
    if isinstance(value, SigmaFieldReference):
        return fieldref_test(field, value)
    raise UnsupportedValueError(f"unsupported value type {type(value).__name__} for field {field!r}")


def regex_test(value: SigmaRegularExpression) -> StrTest:
    """Sigma ``re`` is an unanchored search, case-sensitive unless the ``i`` flag is given."""
    flags = 0
    if SigmaRegularExpressionFlag.IGNORECASE in value.flags:
        flags |= re.IGNORECASE
    if SigmaRegularExpressionFlag.MULTILINE in value.flags:
        flags |= re.MULTILINE
    if SigmaRegularExpressionFlag.DOTALL in value.flags:
        flags |= re.DOTALL
    regex = re.compile(str(value.regexp), flags)
    return lambda s: regex.search(s) is not None


def fieldref_test(field: str, value: SigmaFieldReference) -> Test:
    """``fieldref``: this field equals (or starts/ends with) the other field, case-insensitively."""
    key, other = field.lower(), value.field.lower()

    def test(event: PreparedEvent) -> bool:
        mine, theirs = event.lower.get(key), event.lower.get(other)
        if not isinstance(mine, str) or not isinstance(theirs, str):
            return False
        if value.starts_with and value.ends_with:
            return theirs in mine
        if value.starts_with:
            return mine.startswith(theirs)
        if value.ends_with:
            return mine.endswith(theirs)
        return mine == theirs

    return test


def keyword_test(value: SigmaType, placeholders: dict[str, list[str]] | None = None) -> Test:
    """A value without a field (keyword search) matches if any field's value matches."""
    if isinstance(value, SigmaExpansion):
        tests = [keyword_test(v, placeholders) for v in value.values]
        return lambda e: any(t(e) for t in tests)
    if isinstance(value, SigmaString | SigmaNumber):
        cased = isinstance(value, SigmaCasedString)
        sigma_string = value if isinstance(value, SigmaString) else SigmaString(str(value.number))
        check = string_test(sigma_string, cased=cased, placeholders=placeholders)
    elif isinstance(value, SigmaRegularExpression):
        check, cased = regex_test(value), True
    else:
        raise UnsupportedValueError(f"unsupported keyword value type {type(value).__name__}")

    def test(event: PreparedEvent) -> bool:
        for v in (event.text if cased else event.lower).values():
            if type(v) is str:
                if check(v):
                    return True
            elif any(check(x) for x in v):
                return True
        return False

    return test


__all__ = ["Test", "UnsupportedValueError", "_never", "field_test", "keyword_test", "string_test"]
