"""Load Sigma rule files, compile them, and say how many compiled and why the others did not.

pySigma parses (YAML, multi-document ``action: global`` files, modifiers, conditions); we only
walk the files ourselves so that every failure is tied to its file and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.modifiers import SigmaWideModifier, modifier_mapping
from sigma.rule import SigmaRule

from towers.soc.sigma.compiler import CompiledRule, RuleCompileError, compile_rule
from towers.soc.sigma.modifiers import UnsupportedValueError

# The Sigma v2 specification names ``utf16le`` as an alias of ``wide``; pySigma 2.0.1 lacks it.
modifier_mapping.setdefault("utf16le", SigmaWideModifier)

_ID_LINE = re.compile(r"^id:\s*['\"]?([0-9a-fA-F-]{36})", re.MULTILINE)


@dataclass
class CompileReport:
    rules: list[CompiledRule] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    correlations: list[SigmaCorrelationRule] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rules) + len(self.failures)

    @property
    def compiled_ratio(self) -> float:
        return len(self.rules) / self.total if self.total else 0.0

    def summary(self) -> str:
        lines = [f"{len(self.rules)}/{self.total} rules compiled ({self.compiled_ratio:.2%})"]
        lines += [f"  {path}: {reason}" for path, reason in self.failures]
        return "\n".join(lines)


def rule_files(roots: Iterable[Path]) -> list[Path]:
    """Every .yml/.yaml file under the roots, in a stable order."""
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        else:
            files += sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return files


def compile_text(
    text: str, report: CompileReport, origin: str = "<text>", placeholders: dict[str, list[str]] | None = None
) -> None:
    """Parse one YAML document set and add its rules (or failures) to the report."""
    try:
        collection = SigmaCollection.from_yaml(text, collect_errors=True)
    except (SigmaError, ValueError, yaml.YAMLError) as error:
        report.failures.append((origin, f"parse: {error}"))
        return
    except (AttributeError, TypeError):  # pySigma assumes each YAML document is a mapping
        report.failures.append((origin, "parse: a rule must be a YAML mapping (title:, logsource:, detection: …)"))
        return
    if not collection.rules:
        # Errors of parsed rules are reported per rule below; these are whole-file ones.
        report.failures += [(origin, f"parse: {error}") for error in collection.errors]
    for item in collection.rules:
        if isinstance(item, SigmaCorrelationRule):
            report.correlations.append(item)
            continue
        if not isinstance(item, SigmaRule):
            continue  # filters apply to rules at conversion time; not evaluated on their own
        try:
            compiled = compile_rule(item, placeholders)
        except (SigmaError, RuleCompileError, UnsupportedValueError, re.error, ValueError) as error:
            report.failures.append((origin, f"{type(error).__name__}: {error}"))
            continue
        compiled.source = origin
        report.rules.append(compiled)


def load_rules(roots: Iterable[Path], placeholders: dict[str, list[str]] | None = None) -> CompileReport:
    """Compile every rule file under ``roots``."""
    report = CompileReport()
    for path in rule_files(roots):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            report.failures.append((str(path), f"read: {error}"))
            continue
        compile_text(text, report, str(path), placeholders)
    return report


def index_rule_ids(roots: Iterable[Path]) -> dict[str, Path]:
    """rule id → file, by a text scan: finding one rule must not cost parsing thousands."""
    index: dict[str, Path] = {}
    for path in rule_files(roots):
        for match in _ID_LINE.finditer(path.read_text(encoding="utf-8", errors="replace")):
            index.setdefault(match.group(1).lower(), path)
    return index


def load_rule(path: Path, rule_id: str | None = None) -> CompiledRule:
    """Compile the rule in ``path`` (the one with ``rule_id`` when the file holds several)."""
    report = CompileReport()
    compile_text(path.read_text(encoding="utf-8"), report, str(path))
    if report.failures:
        raise RuleCompileError(report.summary())
    for rule in report.rules:
        if rule_id is None or rule.id.lower() == rule_id.lower():
            return rule
    raise RuleCompileError(f"rule {rule_id} not found in {path}")
