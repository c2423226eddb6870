"""Writes for data sources and the per-attribute authority rules between them."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from towers.cmdb.classes import CLASSES, attributes_of
from towers.cmdb.models import AttributeRule, DataSource
from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import validate
from towers.organisations.models import Organisation


def source_create(*, actor: Actor, code: str, name: str, organisation: Organisation, priority: int = 100) -> DataSource:
    """Register a tool that reports CIs for `organisation` (its discovery, DCIM, MDM…)."""
    ensure_can(actor, "cmdb.configure", organisation)
    source = DataSource(code=code, name=name, organisation=organisation, priority=priority)
    validate(source)
    with transaction.atomic():
        source.save()
        audit.record(
            actor,
            "cmdb.source_created",
            source,
            after={"code": code, "name": name, "organisation": organisation.pk, "priority": priority},
        )
    return source


def attribute_rule_set(
    *,
    actor: Actor,
    ci_class: str,
    attribute: str,
    source: DataSource,
    priority: int,
    stale_after: timedelta | None = None,
) -> AttributeRule:
    """Say that `source` may write `attribute` of `ci_class` at `priority` (1 wins), its value stale after a while.

    Rules are the authority's to set: they decide whose word counts when suppliers' tools disagree.
    """
    ensure_can(actor, "cmdb.configure", AttributeRule(source=source))
    if ci_class not in CLASSES:
        raise ValidationFailed.one("ci_class", f"{ci_class!r} is not a CI class")
    if attribute not in {*attributes_of(ci_class), "name"}:
        raise ValidationFailed.one("attribute", f"{attribute!r} is not an attribute of {CLASSES[ci_class].label}")
    with transaction.atomic():
        rule, created = AttributeRule.objects.update_or_create(
            ci_class=ci_class,
            attribute=attribute,
            source=source,
            defaults={"priority": priority, "stale_after": stale_after},
        )
        audit.record(
            actor,
            "cmdb.attribute_rule_set",
            rule,
            after={
                "ci_class": ci_class,
                "attribute": attribute,
                "source": source.code,
                "priority": priority,
                "stale_after": stale_after,
                "created": created,
            },
        )
    return rule
