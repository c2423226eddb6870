"""Taking a Sigma rule set on for a SOC: one DetectionRule per rule in the files, with a report per file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation
from towers.soc.models import DetectionRule, RuleKind
from towers.soc.sigma.rules import CompileReport, compile_text, rule_files
from towers.soc.sigma.validation import describe_error, level_of


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
        # a file that cannot be read, or is not YAML, is one failure: the rest still import
        failed.append((origin, f"{type(error).__name__}: {error}"))
        return []
    failed += report.failures
    found = [
        _FileRule(r.id, origin, {"title": r.title, "level": level_of(r.level), "tags": list(r.tags)})
        for r in report.rules
    ]
    found += [
        _FileRule(
            str(c.id or c.name or ""),
            origin,
            {
                "title": c.title,
                "level": level_of(c.level),
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
            report.failures.append((origin, describe_error(error)))
            continue
        if parsed.errors:
            report.failures += [(origin, describe_error(e)) for e in parsed.errors]
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
