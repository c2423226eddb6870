"""Checking one Sigma rule text as detection workers would read it: errors that name what is wrong, and how
the rule fares on sample events. Pure: no database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from towers.soc.sigma.compiler import CompiledRule, RuleCompileError, compile_rule
from towers.soc.sigma.correlation import from_pysigma
from towers.soc.sigma.events import prepare
from towers.soc.sigma.modifiers import UnsupportedValueError

CORRELATION_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
_COMPILE_ERRORS = (SigmaError, RuleCompileError, UnsupportedValueError, re.error, ValueError)
LEVELS = ("informational", "low", "medium", "high", "critical")  # Sigma's, and the alert severities
# pySigma names the part of a rule that is wrong in its exception class (SigmaModifierError → "modifier").
_ERROR_PART = re.compile(r"^Sigma(\w+?)Error$")


def level_of(value: object) -> str:
    """A rule's level as one of LEVELS (pySigma gives an enum, or nothing); medium when it has none."""
    name = getattr(value, "name", value)
    level = str(name or "").lower()
    return level if level in LEVELS else "medium"


@dataclass
class SampleResult:
    index: int
    matched: bool
    error: str = ""  # why the sample could not be tried
    detail: str = ""  # why a sample that looks right does not match


@dataclass
class RuleValidation:
    """What a rule text is (id, title, kind…) or what is wrong with it, and how it fares on sample events."""

    errors: list[str] = field(default_factory=list)
    rule_id: str = ""
    title: str = ""
    level: str = "medium"
    tags: list[str] = field(default_factory=list)
    kind: str = "detection"  # or "correlation" (the values of RuleKind)
    samples: list[SampleResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def row_fields(self) -> dict[str, Any]:
        return {"title": self.title[:300], "level": self.level, "tags": self.tags, "kind": self.kind}


def describe_error(error: Exception) -> str:
    """A pySigma or compiler error, prefixed with the part of the rule it is about."""
    match = _ERROR_PART.match(type(error).__name__)
    part = re.sub(r"(?<!^)(?=[A-Z])", " ", match.group(1)).lower() if match else "detection"
    return f"{part}: {error}"


def _yaml_document(text: str, result: RuleValidation) -> dict[str, Any] | None:
    """The one YAML mapping of a rule text, or None with the reason in `result.errors`."""
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        result.errors.append(f"YAML error{where}: {problem}")
        return None
    if len(documents) != 1:
        result.errors.append(f"write exactly one rule per text (found {len(documents)} YAML documents)")
        return None
    document = documents[0]
    if not isinstance(document, dict):
        result.errors.append("a rule is a YAML mapping of keys (title:, id:, detection:…), not a list or a value")
        return None
    missing = [
        f"{key}: is required ({why})"
        for key, why in (("id", "a UUID that names the rule"), ("title", "what an alert is called"))
        if not document.get(key)
    ]
    if "detection" not in document and "correlation" not in document:
        missing.append("detection: is required (or correlation: for a correlation rule)")
    result.errors += missing
    result.rule_id, result.title = str(document.get("id") or ""), str(document.get("title") or "")
    return None if missing else document


def _check_correlation(document: dict[str, Any], result: RuleValidation) -> None:
    result.kind = "correlation"
    try:
        parsed = SigmaCorrelationRule.from_dict(document, collect_errors=True)
    except SigmaError as error:
        result.errors.append(describe_error(error))
        return
    result.errors += [describe_error(e) for e in parsed.errors]
    if result.errors:
        return
    correlation = from_pysigma(parsed)
    if correlation.type not in CORRELATION_TYPES:
        result.errors.append(f"correlation type: {correlation.type} is not one of {', '.join(CORRELATION_TYPES)}")
    if correlation.timespan <= 0:
        result.errors.append("correlation timespan: must be longer than zero")
    result.level, result.tags = level_of(parsed.level), [str(t) for t in parsed.tags]


def _check_detection(document: dict[str, Any], result: RuleValidation) -> CompiledRule | None:
    try:
        parsed = SigmaRule.from_dict(document, collect_errors=True)
        result.errors += [describe_error(e) for e in parsed.errors]
        if result.errors:
            return None
        compiled = compile_rule(parsed)
    except _COMPILE_ERRORS as error:
        result.errors.append(describe_error(error))
        return None
    result.level, result.tags = level_of(compiled.level), list(compiled.tags)
    return compiled


def rule_validate(text: str, sample_events: list[dict[str, Any]] | None = None) -> RuleValidation:
    """Parse and compile one rule text as detection workers would; with sample events, whether each matches."""
    result = RuleValidation()
    if not text.strip():
        result.errors.append("the rule is empty")
        return result
    document = _yaml_document(text, result)
    if document is None:
        return result
    if "correlation" in document:
        _check_correlation(document, result)
        if sample_events:
            result.notes.append("sample events are not tried on a correlation rule: it counts other rules' hits")
        return result
    compiled = _check_detection(document, result)
    if compiled is None:
        return result
    for index, event in enumerate(sample_events or []):
        if not isinstance(event, dict):
            result.samples.append(SampleResult(index, False, "a sample event is a JSON object of field: value"))
            continue
        result.samples.append(_try_sample(compiled, index, event))
    return result


def _try_sample(compiled: CompiledRule, index: int, event: dict[str, Any]) -> SampleResult:
    prepared = prepare(event)
    if compiled.matches(prepared):
        return SampleResult(index, True)
    if compiled.predicate(prepared):
        # Workers only try a rule on events of the channels (and EventIDs) its logsource reads.
        return SampleResult(
            index,
            False,
            detail="the detection matches, but the rule's logsource does not read an event of this Channel / EventID",
        )
    return SampleResult(index, False)
