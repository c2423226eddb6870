"""Detection rules of a SOC written in Towers, switched on and off, tuned with exceptions and suppressions.
Every change is audited. (Rule sets from files: rules_import; checking a text: sigma.validation.)"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import NotFound, ValidationFailed
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation
from towers.soc.models import DetectionRule, Suppression
from towers.soc.sigma.validation import RuleValidation, rule_validate


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
