"""A parsed Sigma rule → one predicate over a prepared event.

pySigma resolves the condition (``1 of selection_*``, ``all of them``, ``not``, parentheses)
and the detections into a tree whose leaves are field/value or keyword expressions; we fold
that tree into nested closures once, so evaluating a rule is plain Python calls with no
interpretation left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule import SigmaRule
from sigma.types import SigmaNumber, SigmaString

from towers.soc.sigma.events import PreparedEvent
from towers.soc.sigma.logsource import LogsourceFilter, logsource_filter
from towers.soc.sigma.modifiers import Test, any_string_test, field_test, keyword_test, plain_strings

Node = ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None


class RuleCompileError(ValueError):
    """The rule parsed but cannot be evaluated; the message says why."""


@dataclass(slots=True)
class CompiledRule:
    id: str
    title: str
    level: str
    logsource: LogsourceFilter
    predicate: Test
    source: str = ""
    tags: list[str] = field(default_factory=list)
    # The EventIDs the detection itself requires (``EventID: 4104`` ANDed at the top), or None: the engine
    # dispatches on them as on the logsource's, so a Security rule is not even called for other events.
    event_ids: frozenset[int] | None = None
    name: str = ""  # the rule's optional `name`: correlation rules may refer to it by this instead of its id

    def matches(self, event: PreparedEvent) -> bool:
        """Detection and logsource together: what a regression case counts."""
        channel = event.lower.get("channel")
        event_id = event.raw.get("eventid")
        if not self.logsource.accepts(
            channel if isinstance(channel, str) else None, _as_int(event_id) if event_id is not None else None
        ):
            return False
        return self.predicate(event)


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _all(tests: list[Test]) -> Test:
    # Specialised arities: most selections have 1–3 items, and a closure over fixed names
    # is noticeably faster than all(...) over a generator.
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda e: a(e) and b(e)
    if len(tests) == 3:
        a, b, c = tests
        return lambda e: a(e) and b(e) and c(e)
    return lambda e: all(t(e) for t in tests)


def _any(tests: list[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda e: a(e) or b(e)
    return lambda e: any(t(e) for t in tests)


def _int_value(node: Any) -> int | None:
    """The integer of a ``field: 4688`` item (not a bool, not a float), else None."""
    if isinstance(node, ConditionFieldEqualsValueExpression) and isinstance(node.value, SigmaNumber):
        number = node.value.number
        if type(number) is int:
            return number
    return None


def int_set_test(field_name: str, numbers: list[int]) -> Test:
    """``field`` equals one of these integers: the ``EventID: 4688`` shape that a Security or PowerShell rule
    tests first on every event of its channel. Integer event values take a set lookup; anything else (text,
    lists, floats) goes through the general number test, so the result is the same."""
    key, wanted = field_name.lower(), frozenset(numbers)
    general = [field_test(field_name, SigmaNumber(n)) for n in numbers]

    def test(event: PreparedEvent) -> bool:
        value = event.raw.get(key)
        if value is None:
            return False
        if type(value) is int:
            return value in wanted
        return any(t(event) for t in general)

    return test


def _compile_or_args(args: list[Any], placeholders: dict[str, list[str]] | None) -> list[Test]:
    """OR-ed plain strings (or integers) on the same field fold into one test; the rest
    compile one by one. Evaluation order does not matter: the tests have no side effects."""
    by_field: dict[str, tuple[str, list[SigmaString]]] = {}
    ints: dict[str, tuple[str, list[int]]] = {}
    tests: list[Test] = []
    for arg in args:
        number = _int_value(arg)
        if number is not None:
            ints.setdefault(arg.field.lower(), (arg.field, []))[1].append(number)
            continue
        strings = plain_strings(arg.value) if isinstance(arg, ConditionFieldEqualsValueExpression) else None
        if strings is None:
            tests.append(compile_node(arg, placeholders))
        else:
            by_field.setdefault(arg.field.lower(), (arg.field, []))[1].extend(strings)
    for field_name, strings in by_field.values():
        tests.insert(0, any_string_test(field_name, strings))
    for field_name, numbers in ints.values():
        tests.insert(0, int_set_test(field_name, numbers))
    return tests


def compile_node(node: Node, placeholders: dict[str, list[str]] | None = None) -> Test:
    """Fold one condition tree node into a predicate."""
    if node is None:
        raise RuleCompileError("empty condition")
    if isinstance(node, ConditionAND):
        return _all([compile_node(arg, placeholders) for arg in node.args])
    if isinstance(node, ConditionOR):
        return _any(_compile_or_args(node.args, placeholders))
    if isinstance(node, ConditionNOT):
        inner = compile_node(node.args[0], placeholders)
        return lambda e: not inner(e)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        number = _int_value(node)
        if number is not None:
            return int_set_test(node.field, [number])
        return field_test(node.field, node.value, placeholders)
    if isinstance(node, ConditionValueExpression):
        return keyword_test(node.value, placeholders)
    raise RuleCompileError(f"unsupported condition node {type(node).__name__}")


def required_event_ids(node: Node) -> frozenset[int] | None:
    """EventIDs an event must have for the condition to hold, when the tree says so plainly; else None."""
    if isinstance(node, ConditionAND):
        for arg in node.args:
            found = required_event_ids(arg)
            if found is not None:
                return found
        return None
    if isinstance(node, ConditionOR):
        branches = [required_event_ids(arg) for arg in node.args]
        if not branches or any(b is None for b in branches):
            return None
        return frozenset().union(*(b for b in branches if b is not None))
    if isinstance(node, ConditionFieldEqualsValueExpression) and node.field and node.field.lower() == "eventid":
        number = _int_value(node)
        return frozenset({number}) if number is not None else None
    return None


def compile_rule(rule: SigmaRule, placeholders: dict[str, list[str]] | None = None) -> CompiledRule:
    """Compile a pySigma rule; raises ``RuleCompileError`` (or pySigma's errors) with the reason."""
    if rule.errors:
        raise RuleCompileError("; ".join(str(e) for e in rule.errors))
    trees = [c.parse() for c in rule.detection.parsed_condition]
    conditions = [compile_node(tree, placeholders) for tree in trees]
    required = [required_event_ids(tree) for tree in trees]
    source = rule.source.path if rule.source is not None and rule.source.path is not None else ""
    return CompiledRule(
        id=str(rule.id or ""),
        title=rule.title,
        level=rule.level.name.lower() if rule.level is not None else "",
        logsource=logsource_filter(rule.logsource.product, rule.logsource.category, rule.logsource.service),
        predicate=_any(conditions),
        source=str(source),
        tags=[str(t) for t in rule.tags],
        event_ids=None
        if not required or any(r is None for r in required)
        else frozenset().union(*(r for r in required if r)),
        name=rule.name or "",
    )
