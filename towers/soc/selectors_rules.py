"""Reads for the rule pages: the rule list with its recent alert counts, and what a rule's page shows beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.permissions import visible_to
from towers.soc.models import Alert, DetectionRule

RECENT = timedelta(days=7)


@dataclass(frozen=True)
class RuleFilters:
    search: str = ""
    enabled: bool | None = None
    level: str = ""
    kind: str = ""
    custom_only: bool = False


def rule_page_list(*, actor: Actor, filters: RuleFilters) -> QuerySet[DetectionRule]:
    """Rules the actor may see, each with `recent_alerts` (seen in the last 7 days), in one query."""
    since = timezone.now() - RECENT
    qs = visible_to(actor, DetectionRule.objects).annotate(
        recent_alerts=Count("alerts", filter=Q(alerts__last_seen__gte=since))
    )
    if filters.search:
        qs = qs.filter(Q(title__icontains=filters.search) | Q(rule_id__icontains=filters.search))
    if filters.enabled is not None:
        qs = qs.filter(enabled=filters.enabled)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.custom_only:
        qs = qs.exclude(custom_text="")
    return qs.order_by("title", "id")


def rule_text(rule: DetectionRule) -> str | None:
    """The rule's YAML: its own text when written in Towers, else its file's (None when the file is gone)."""
    if rule.custom_text:
        return rule.custom_text
    try:
        return Path(rule.source_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def rule_detail(*, actor: Actor, rule: DetectionRule, alerts: int = 20) -> dict[str, Any]:
    """What the rule page shows beside the rule, in a fixed number of queries."""
    return {
        "text": rule_text(rule),
        "suppressions": list(rule.suppressions.filter(until__gt=timezone.now()).order_by("until")),
        "alerts": list(visible_to(actor, Alert.objects).filter(rule=rule).order_by("-last_seen", "id")[:alerts]),
    }
