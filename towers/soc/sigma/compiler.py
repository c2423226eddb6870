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
from sigma.types import SigmaString

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


def _compile_or_args(args: list[Any], placeholders: dict[str, list[str]] | None) -> list[Test]:
    """OR-ed plain strings on the same field fold into one ``any_string_test``; the rest
    compile one by one. Evaluation order does not matter: the tests have no side effects."""
    by_field: dict[str, tuple[str, list[SigmaString]]] = {}
    tests: list[Test] = []
    for arg in args:
        strings = plain_strings(arg.value) if isinstance(arg, ConditionFieldEqualsValueExpression) else None
        if strings is None:
            tests.append(compile_node(arg, placeholders))
        else:
            by_field.setdefault(arg.field.lower(), (arg.field, []))[1].extend(strings)
    for field_name, strings in by_field.values():
        tests.insert(0, any_string_test(field_name, strings))
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
        return field_test(node.field, node.value, placeholders)
    if isinstance(node, ConditionValueExpression):
        return keyword_test(node.value, placeholders)
    raise RuleCompileError(f"unsupported condition node {type(node).__name__}")


def compile_rule(rule: SigmaRule, placeholders: dict[str, list[str]] | None = None) -> CompiledRule:
    """Compile a pySigma rule; raises ``RuleCompileError`` (or pySigma's errors) with the reason."""
    if rule.errors:
        raise RuleCompileError("; ".join(str(e) for e in rule.errors))
    conditions = [compile_node(c.parse(), placeholders) for c in rule.detection.parsed_condition]
    source = rule.source.path if rule.source is not None and rule.source.path is not None else ""
    return CompiledRule(
        id=str(rule.id or ""),
        title=rule.title,
        level=rule.level.name.lower() if rule.level is not None else "",
        logsource=logsource_filter(rule.logsource.product, rule.logsource.category, rule.logsource.service),
        predicate=_any(conditions),
        source=str(source),
        tags=[str(t) for t in rule.tags],
    )
