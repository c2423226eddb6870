"""Tuning detection: switch rules on and off, add exceptions and suppressions. Every change is audited."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.soc.models import DetectionRule, Suppression


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
