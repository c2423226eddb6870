"""Detection rules of a SOC: imported from rule files or written in Towers, switched on and off, tuned with
exceptions and suppressions. Every change is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation
from towers.soc.models import DetectionRule, RuleKind, Severity, Suppression
from towers.soc.sigma.compiler import CompiledRule, RuleCompileError, compile_rule
from towers.soc.sigma.correlation import from_pysigma
from towers.soc.sigma.events import prepare
from towers.soc.sigma.modifiers import UnsupportedValueError
from towers.soc.sigma.rules import CompileReport, compile_text, rule_files

CORRELATION_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
_COMPILE_ERRORS = (SigmaError, RuleCompileError, UnsupportedValueError, re.error, ValueError)
_LEVELS = set(Severity.values)
# pySigma names the part of a rule that is wrong in its exception class (SigmaModifierError → "modifier").
_ERROR_PART = re.compile(r"^Sigma(\w+?)Error$")


def _level(value: object) -> str:
    name = getattr(value, "name", value)
    level = str(name or "").lower()
    return level if level in _LEVELS else Severity.MEDIUM


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
    level: str = Severity.MEDIUM
    tags: list[str] = field(default_factory=list)
    kind: str = RuleKind.DETECTION
    samples: list[SampleResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def row_fields(self) -> dict[str, Any]:
        return {"title": self.title[:300], "level": self.level, "tags": self.tags, "kind": self.kind}


def _describe(error: Exception) -> str:
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
    result.kind = RuleKind.CORRELATION
    try:
        parsed = SigmaCorrelationRule.from_dict(document, collect_errors=True)
    except SigmaError as error:
        result.errors.append(_describe(error))
        return
    result.errors += [_describe(e) for e in parsed.errors]
    if result.errors:
        return
    correlation = from_pysigma(parsed)
    if correlation.type not in CORRELATION_TYPES:
        result.errors.append(f"correlation type: {correlation.type} is not one of {', '.join(CORRELATION_TYPES)}")
    if correlation.timespan <= 0:
        result.errors.append("correlation timespan: must be longer than zero")
    result.level, result.tags = _level(parsed.level), [str(t) for t in parsed.tags]


def _check_detection(document: dict[str, Any], result: RuleValidation) -> CompiledRule | None:
    try:
        parsed = SigmaRule.from_dict(document, collect_errors=True)
        result.errors += [_describe(e) for e in parsed.errors]
        if result.errors:
            return None
        compiled = compile_rule(parsed)
    except _COMPILE_ERRORS as error:
        result.errors.append(_describe(error))
        return None
    result.level, result.tags = _level(compiled.level), list(compiled.tags)
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


@dataclass
class RulesImportReport:
    """What an import did (or, in a dry run, would do), rule by rule."""

    created: list[DetectionRule] = field(default_factory=list)
    updated: list[DetectionRule] = field(default_factory=list)
    unchanged: list[DetectionRule] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
        }

    def summary(self) -> str:
        head = ", ".join(f"{n} {name}" for name, n in self.counts().items())
        lines = [f"{'dry run: ' if self.dry_run else ''}{head}"]
        return "\n".join(lines + [f"  {path}: {reason}" for path, reason in self.failed])


@dataclass(frozen=True)
class _FileRule:
    rule_id: str
    source_path: str
    fields: dict[str, Any]


def _compile_file(path: Path, failed: list[tuple[str, str]]) -> list[_FileRule]:
    """The rules of one file as DetectionRule fields; what cannot be read or compiled goes to `failed`."""
    origin, report = str(path), CompileReport()
    try:
        text = path.read_text(encoding="utf-8")
        documents = list(yaml.safe_load_all(text))
        if documents and all(isinstance(d, dict) and "correlation" in d for d in documents):
            # A file of correlations only: its rules are in other files, which pySigma would not find here.
            _parse_correlations(documents, report, origin)
        else:
            compile_text(text, report, origin)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, TypeError) as error:
        # compile_text lets YAML syntax errors and non-mapping documents through: one bad file must not stop the rest
        failed.append((origin, f"{type(error).__name__}: {error}"))
        return []
    failed += report.failures
    found = [
        _FileRule(r.id, origin, {"title": r.title, "level": _level(r.level), "tags": list(r.tags)})
        for r in report.rules
    ]
    found += [
        _FileRule(
            str(c.id or c.name or ""),
            origin,
            {
                "title": c.title,
                "level": _level(c.level),
                "tags": [str(t) for t in c.tags],
                "kind": RuleKind.CORRELATION,
            },
        )
        for c in report.correlations
    ]
    for rule in found:
        if not rule.rule_id:
            failed.append((origin, f"rule {rule.fields['title']!r} has no id"))
    return [rule for rule in found if rule.rule_id]


def _parse_correlations(documents: list[dict[str, Any]], report: CompileReport, origin: str) -> None:
    for document in documents:
        try:
            parsed = SigmaCorrelationRule.from_dict(document, collect_errors=True)
        except SigmaError as error:
            report.failures.append((origin, _describe(error)))
            continue
        if parsed.errors:
            report.failures += [(origin, _describe(e)) for e in parsed.errors]
        else:
            report.correlations.append(parsed)


def _collect(roots: list[Path], failed: list[tuple[str, str]]) -> dict[str, _FileRule]:
    wanted: dict[str, _FileRule] = {}
    for path in rule_files(roots):
        for rule in _compile_file(path, failed):
            key = rule.rule_id.lower()
            if key in wanted:
                failed.append((rule.source_path, f"id {rule.rule_id} is also in {wanted[key].source_path}"))
                continue
            wanted[key] = rule
    return wanted


def rules_import(
    *, actor: Actor, organisation: Organisation, roots: list[Path], dry_run: bool = False, enable: bool = True
) -> RulesImportReport:
    """Take on the rules of these files (or folders) for one SOC: new ids become rules (on, unless `enable` is
    False), known ones get the file's title, level, tags and path; their switch and exceptions stay as tuned."""
    ensure_can(actor, "soc.tune", DetectionRule(organisation=organisation))
    report = RulesImportReport(dry_run=dry_run)
    missing = [str(root) for root in roots if not root.exists()]
    report.failed += [(path, "not found") for path in missing]
    wanted = _collect([root for root in roots if root.exists()], report.failed)
    existing = {
        row.rule_id.lower(): row
        for row in DetectionRule.objects.filter(
            organisation=organisation, rule_id__in=[r.rule_id for r in wanted.values()]
        )
    }
    now = timezone.now()
    for key, rule in wanted.items():
        fields = {"kind": RuleKind.DETECTION, **rule.fields, "source_path": rule.source_path}
        fields["title"] = fields["title"][:300]
        row = existing.get(key)
        if row is None:
            report.created.append(
                DetectionRule(organisation=organisation, rule_id=rule.rule_id, enabled=enable, **fields)
            )
        elif row.custom_text:
            report.failed.append((rule.source_path, f"id {rule.rule_id} is a rule written in Towers; not replaced"))
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.version, row.updated_at = row.version + 1, now
            report.updated.append(row)
        else:
            report.unchanged.append(row)
    if not dry_run:
        _save_import(actor, organisation, roots, report)
    return report


def _save_import(actor: Actor, organisation: Organisation, roots: list[Path], report: RulesImportReport) -> None:
    changed = ["title", "level", "tags", "kind", "source_path", "version", "updated_at"]
    with transaction.atomic():
        DetectionRule.objects.bulk_create(report.created, batch_size=500)
        DetectionRule.objects.bulk_update(report.updated, changed, batch_size=500)
        # One entry for the whole import (thousands of rules), naming each rule it created or changed.
        audit.record(
            actor,
            "soc.rules.imported",
            organisation,
            after={
                "roots": [str(root) for root in roots],
                **report.counts(),
                "created_rules": [r.rule_id for r in report.created],
                "updated_rules": [r.rule_id for r in report.updated],
                "failures": [list(f) for f in report.failed[:200]],
            },
        )
        events.emit("soc.rules.imported", key=str(organisation.id), **report.counts())


def _set_enabled(actor: Actor, rule: DetectionRule, enabled: bool) -> DetectionRule:
    ensure_can(actor, "soc.tune", rule)
    if rule.enabled == enabled:
        return rule
    with transaction.atomic():
        rule.enabled, rule.version, rule.updated_at = enabled, rule.version + 1, timezone.now()
        rule.save(update_fields=["enabled", "version", "updated_at"])
        verb = "enabled" if enabled else "disabled"
        audit.record(actor, f"soc.rule.{verb}", rule, before={"enabled": not enabled}, after={"enabled": enabled})
        events.emit(f"soc.rule.{verb}", key=str(rule.id), rule_id=rule.rule_id)
    return rule


def rule_enable(*, actor: Actor, rule: DetectionRule) -> DetectionRule:
    return _set_enabled(actor, rule, True)


def rule_disable(*, actor: Actor, rule: DetectionRule) -> DetectionRule:
    return _set_enabled(actor, rule, False)


def rule_exception_add(*, actor: Actor, rule: DetectionRule, field: str, value: str, reason: str) -> DetectionRule:
    """Events of this rule with `field` equal to `value` (case-insensitive) raise no alert from now on."""
    ensure_can(actor, "soc.tune", rule)
    problems = {name: ["is required"] for name, v in (("field", field), ("value", value), ("reason", reason)) if not v}
    if problems:
        raise ValidationFailed(problems)
    exception = {"field": field.strip(), "value": value.strip(), "reason": reason.strip(), "by": actor.label}
    with transaction.atomic():
        before = list(rule.exceptions or [])
        rule.exceptions = [*before, exception]
        rule.version, rule.updated_at = rule.version + 1, timezone.now()
        rule.save(update_fields=["exceptions", "version", "updated_at"])
        audit.record(actor, "soc.rule.exception_added", rule, before={"exceptions": before}, after=exception)
        events.emit("soc.rule.exception_added", key=str(rule.id), rule_id=rule.rule_id, field=field)
    return rule


def suppression_create(
    *, actor: Actor, rule: DetectionRule, field: str, value: str, until: datetime, reason: str
) -> Suppression:
    """Hold back this rule's alerts about `field` = `value` until `until` (e.g. during a planned pen test)."""
    ensure_can(actor, "soc.tune", rule)
    if until <= timezone.now():
        raise ValidationFailed.one("until", "must be in the future")
    if not reason.strip():
        raise ValidationFailed.one("reason", "is required")
    with transaction.atomic():
        suppression = Suppression.objects.create(
            organisation_id=rule.organisation_id, rule=rule, field=field, value=value, until=until, reason=reason
        )
        audit.record(
            actor, "soc.suppression.created", suppression, after={"rule": rule.rule_id, "field": field, "value": value}
        )
        events.emit("soc.suppression.created", key=str(suppression.id), rule_id=rule.rule_id)
    return suppression


def rule_exception_remove(*, actor: Actor, rule: DetectionRule, index: int) -> DetectionRule:
    """Take back the exception at `index` (0-based, as listed): its events raise alerts again."""
    ensure_can(actor, "soc.tune", rule)
    before = list(rule.exceptions or [])
    if not 0 <= index < len(before):
        raise NotFound("No such exception.")
    with transaction.atomic():
        removed = before[index]
        rule.exceptions = before[:index] + before[index + 1 :]
        rule.version, rule.updated_at = rule.version + 1, timezone.now()
        rule.save(update_fields=["exceptions", "version", "updated_at"])
        audit.record(
            actor, "soc.rule.exception_removed", rule, before={"exceptions": before}, after={"removed": removed}
        )
        events.emit("soc.rule.exception_removed", key=str(rule.id), rule_id=rule.rule_id)
    return rule


def rule_custom_create(*, actor: Actor, organisation: Organisation, text: str) -> DetectionRule:
    """A rule written in Towers (Sigma YAML), run by this SOC from now on; its id must be new to the SOC."""
    ensure_can(actor, "soc.tune", DetectionRule(organisation=organisation))
    checked = _valid(text)
    if DetectionRule.objects.filter(organisation=organisation, rule_id__iexact=checked.rule_id).exists():
        raise ValidationFailed.one("id", f"this SOC already runs a rule with the id {checked.rule_id}; choose a new id")
    with transaction.atomic():
        rule = DetectionRule.objects.create(
            organisation=organisation, rule_id=checked.rule_id, custom_text=text, **checked.row_fields()
        )
        audit.record(actor, "soc.rule.created", rule, after={"rule_id": rule.rule_id, "text": text})
        events.emit("soc.rule.created", key=str(rule.id), rule_id=rule.rule_id)
    return rule


def rule_custom_update(*, actor: Actor, rule: DetectionRule, text: str) -> DetectionRule:
    """New YAML for a rule written in Towers; the id stays (alerts and correlations refer to it)."""
    ensure_can(actor, "soc.tune", rule)
    if not rule.custom_text:
        raise ValidationFailed.one(
            "text", f"only rules written in Towers can be edited; this one is {rule.source_path}"
        )
    checked = _valid(text)
    if checked.rule_id.lower() != rule.rule_id.lower():
        raise ValidationFailed.one("id", f"cannot change (it is {rule.rule_id}); create a new rule for a new id")
    if text == rule.custom_text:
        return rule
    with transaction.atomic():
        before = rule.custom_text
        for name, value in checked.row_fields().items():
            setattr(rule, name, value)
        rule.custom_text, rule.version, rule.updated_at = text, rule.version + 1, timezone.now()
        rule.save(update_fields=["custom_text", "title", "level", "tags", "kind", "version", "updated_at"])
        audit.record(actor, "soc.rule.updated", rule, before={"text": before}, after={"text": text})
        events.emit("soc.rule.updated", key=str(rule.id), rule_id=rule.rule_id)
    return rule


def _valid(text: str) -> RuleValidation:
    checked = rule_validate(text)
    if checked.errors:
        raise ValidationFailed({"text": checked.errors}, "The rule is not valid: " + "; ".join(checked.errors))
    return checked
