"""The rule set detection workers run: the enabled rules of every SOC, rebuilt when a rule changes.

A worker asks for its engine before each batch; a cheap stamp query (rule count, latest change) says whether any
rule was added, switched, edited or deleted since the last build, and is itself asked at most every few seconds.
A rebuild compiles only rules whose text is new to this worker: the rest come from a cache.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from django.db.models import Count, Max

from towers.soc.models import DetectionRule, RuleKind
from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.rules import CompileReport, compile_text, load_rule

logger = logging.getLogger(__name__)

# A compiled rule is the same for every SOC that runs it: a file rule is named by its file and id (and the file's
# modification time, so an edited file is recompiled), a custom rule by a digest of its text.
CacheKey = tuple[str, ...]


def compile_custom(rule_id: str, text: str) -> CompiledRule:
    """The detection rule in a custom rule's YAML (raises ValueError naming the problem)."""
    report = CompileReport()
    compile_text(text, report, origin=f"custom:{rule_id}")
    if report.failures:
        raise ValueError(report.summary())
    if not report.rules:
        raise ValueError("no detection rule in the text")
    return report.rules[0]


class LiveRules:
    """`.engine()` over the enabled detection rules; `.rules()`: the enabled correlation rules (DetectionRule rows)."""

    def __init__(self, *, refresh_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.builds = 0  # how many times the engine was rebuilt (for logs and tests)
        self.compiles = 0  # how many rules were compiled, over all builds
        self._stamp: tuple[Any, ...] | None = None
        self._checked_at: float | None = None
        self._engine = Engine([])
        self._correlations: list[DetectionRule] = []
        self._cache: dict[CacheKey, CompiledRule] = {}

    def engine(self) -> Engine:
        self._refresh()
        return self._engine

    def rules(self) -> list[DetectionRule]:
        self._refresh()
        return self._correlations

    def _refresh(self) -> None:
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.refresh_seconds:
            return
        self._checked_at = now
        stamp = self._current_stamp()
        if stamp != self._stamp:
            self._build()
            self._stamp = stamp

    @staticmethod
    def _current_stamp() -> tuple[Any, ...]:
        # Every service that changes a rule bumps its version and updated_at; a deletion lowers the count.
        found = DetectionRule.objects.aggregate(n=Count("id"), at=Max("updated_at"), version=Max("version"))
        return found["n"], found["at"], found["version"]

    def _build(self) -> None:
        rows = list(DetectionRule.objects.filter(enabled=True).order_by("rule_id", "id"))
        compiled: dict[CacheKey, CompiledRule] = {}
        for row in rows:
            if row.kind != RuleKind.DETECTION:
                continue
            key = self._key(row)
            if key is None or key in compiled:
                continue  # missing file (already logged), or the same rule enabled by another SOC
            rule = self._cache.get(key) or self._compile(row)
            if rule is not None:
                compiled[key] = rule
        self._cache = compiled  # rules no SOC runs any more are dropped
        self._engine = Engine(compiled.values())
        self._correlations = [row for row in rows if row.kind == RuleKind.CORRELATION]
        self.builds += 1
        logger.info("live rules rebuilt: %d detection, %d correlation", len(compiled), len(self._correlations))

    @staticmethod
    def _key(row: DetectionRule) -> CacheKey | None:
        if row.custom_text:
            return ("custom", row.rule_id.lower(), hashlib.sha256(row.custom_text.encode()).hexdigest())
        if not row.source_path:  # a built-in rule with no Sigma text (e.g. the threat-intel match): nothing to run
            logger.debug("rule %s has neither its own text nor a rule file", row.rule_id)
            return None
        try:  # a relative source_path is read from the worker's directory, as the import was given it
            modified = Path(row.source_path).stat().st_mtime_ns
        except OSError:
            logger.warning("rule %s skipped: its file %r cannot be read", row.rule_id, row.source_path)
            return None
        return ("file", row.source_path, row.rule_id.lower(), str(modified))

    def _compile(self, row: DetectionRule) -> CompiledRule | None:
        self.compiles += 1
        try:
            if row.custom_text:
                return compile_custom(row.rule_id, row.custom_text)
            return load_rule(Path(row.source_path), row.rule_id)
        # compile_text passes YAML syntax errors and non-mapping documents through; a worker must not stop for one
        except (OSError, ValueError, yaml.YAMLError, AttributeError, TypeError) as error:
            logger.warning("rule %s skipped: %s", row.rule_id, error)
            return None
