"""Writes for configuration items and their relationships, each attributed, audited and evented."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from towers.cmdb.classes import CLASSES, coerce
from towers.cmdb.identification import family, identifier_values
from towers.cmdb.models import CIIdentifier, ConfigurationItem, Relationship
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate

CI_FIELDS = [
    "ci_class",
    "name",
    "owner",
    "support_team",
    "criticality",
    "environment",
    "lifecycle",
    "service",
    "offering",
]


def clean_attributes(ci_class: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes typed as the class declares them; unknown or mistyped ones raise naming the attribute."""
    if ci_class not in CLASSES:
        raise ValidationFailed.one("ci_class", f"{ci_class!r} is not a CI class")
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in attributes.items():
        try:
            typed = coerce(ci_class, name, value)
        except ValueError as exc:
            problems[f"attributes.{name}"] = [str(exc).split(": ", 1)[-1]]
            continue
        if typed is not None:
            cleaned[name] = typed
    if problems:
        raise ValidationFailed(problems, "; ".join(f"{k}: {v[0]}" for k, v in problems.items()))
    return cleaned


def sync_identifiers(ci: ConfigurationItem, *, new: bool = False) -> None:
    """Rewrite the CI's identification keys from its attributes and relationships; a clash names the other CI.

    A `new` CI has neither relationships nor keys yet, so there is nothing to read or clear first.
    """
    related = {} if new else dict(ci.outgoing.values_list("type", "target_id"))
    wanted = identifier_values(ci.ci_class, ci.name, ci.attributes, related)
    if not new:
        ci.identifiers.all().delete()
    rows = [CIIdentifier(ci=ci, family=family(ci.ci_class), key=key, value=value) for key, value in wanted]
    try:
        with transaction.atomic():
            CIIdentifier.objects.bulk_create(rows)
    except IntegrityError:
        clashes = [
            f"{key}={value} is already {other}"
            for key, value in wanted
            for other in ConfigurationItem.objects.filter(
                identifiers__family=family(ci.ci_class), identifiers__key=key, identifiers__value=value
            ).exclude(pk=ci.pk)
        ]
        raise ValidationFailed.one("identification", "; ".join(clashes) or "duplicate identifier") from None


def ci_build(
    *, actor: Actor, ci_class: str, name: str, attributes: dict[str, Any] | None = None, source: str = "", **fields: Any
) -> ConfigurationItem:
    """A new CI checked as ci_create checks it (attributes, permission, model rules), not saved yet."""
    attributes = clean_attributes(ci_class, attributes or {})
    ci = ConfigurationItem(ci_class=ci_class, name=name, attributes=attributes, **fields)
    if source:
        stamp = {"source": source, "at": timezone.now().isoformat()}
        ci.provenance = dict.fromkeys(attributes, stamp)
    ensure_can(actor, "ci.manage", ci)
    validate(ci)
    return ci


def _created(ci: ConfigurationItem, source: str) -> dict[str, Any]:
    return {**audit.snapshot(ci, CI_FIELDS), "attributes": ci.attributes, "source": source or None}


def ci_create(
    *, actor: Actor, ci_class: str, name: str, attributes: dict[str, Any] | None = None, source: str = "", **fields: Any
) -> ConfigurationItem:
    """Record a CI; its identification keys must not belong to another CI already."""
    ci = ci_build(actor=actor, ci_class=ci_class, name=name, attributes=attributes, source=source, **fields)
    with transaction.atomic():
        ci.save(force_insert=True)
        sync_identifiers(ci, new=True)
        audit.record(actor, "ci.created", ci, after=_created(ci, source))
        events.emit("cmdb.ci.created", key=str(ci.id), ci_id=str(ci.id), ci_class=ci_class)
    return ci


def ci_create_many(*, actor: Actor, cis: list[ConfigurationItem], source: str = "") -> None:
    """Save CIs made (and so checked) by ci_build, with what ci_create writes for each, in a few statements.

    The caller has checked that their identification keys are free (of the CMDB and of each other); should
    one be taken after all (another writer got there first), IntegrityError is raised and nothing is written.
    """
    keys = [
        CIIdentifier(ci=ci, family=family(ci.ci_class), key=key, value=value)
        for ci in cis
        for key, value in identifier_values(ci.ci_class, ci.name, ci.attributes)
    ]
    with transaction.atomic():
        ConfigurationItem.objects.bulk_create(cis)
        CIIdentifier.objects.bulk_create(keys)
        audit.record_many(actor, "ci.created", [(ci, None, _created(ci, source)) for ci in cis])
        events.emit_many(
            "cmdb.ci.created", [(str(ci.id), {"ci_id": str(ci.id), "ci_class": ci.ci_class}) for ci in cis]
        )


def ci_update(
    *,
    actor: Actor,
    ci: ConfigurationItem,
    changes: dict[str, Any],
    attributes: dict[str, Any] | None = None,
    expected_version: int | None = None,
    source: str = "",
) -> ConfigurationItem:
    """Change fields and attributes (an attribute set to None is removed); only what differs is written."""
    ensure_can(actor, "ci.manage", ci)
    unknown = set(changes) - set(CI_FIELDS) - {"ci_class"}
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    ci_class = changes.get("ci_class", ci.ci_class)
    if attributes is not None:
        removed = {k for k, v in attributes.items() if v is None}
        merged = {
            k: v for k, v in {**ci.attributes, **clean_attributes(ci_class, attributes)}.items() if k not in removed
        }
        if merged != ci.attributes:
            changes = {**changes, "attributes": merged}
            if source:
                stamp = {"source": source, "at": timezone.now().isoformat()}
                touched = {k for k in attributes if ci.attributes.get(k) != merged.get(k)}
                changes["provenance"] = {**ci.provenance, **dict.fromkeys(touched, stamp)}
    elif "ci_class" in changes:
        clean_attributes(ci_class, ci.attributes)  # the attributes must still belong to the new class
    with transaction.atomic():
        before, after = apply_changes(ci, changes, expected_version=expected_version)
        if before:
            validate(ci)
            sync_identifiers(ci)
            before.pop("provenance", None)
            after.pop("provenance", None)
            audit.record(actor, "ci.updated", ci, before=before, after={**after, "source": source or None})
            events.emit("cmdb.ci.updated", key=str(ci.id), ci_id=str(ci.id))
    return ci


def relationship_create(
    *, actor: Actor, source: ConfigurationItem, target: ConfigurationItem, type: str, origin: str = ""
) -> Relationship:
    """Link `source` to `target`; the writer must manage the source CI."""
    ensure_can(actor, "ci.manage", source)
    if source.pk == target.pk:
        raise ValidationFailed.one("target", "a CI cannot be related to itself")
    relationship = Relationship(source=source, target=target, type=type)
    validate(relationship)
    with transaction.atomic():
        relationship.save()
        sync_identifiers(source)  # a dependent identification may hang on this relationship
        audit.record(
            actor,
            "ci.related",
            source,
            after={"type": type, "target": target.pk, "target_name": target.name, "source": origin or None},
        )
        events.emit(
            "cmdb.relationship.created",
            key=str(source.id),
            source_id=str(source.id),
            target_id=str(target.id),
            type=type,
        )
    return relationship


def relationship_delete(*, actor: Actor, relationship: Relationship) -> None:
    ensure_can(actor, "ci.manage", relationship.source)
    with transaction.atomic():
        audit.record(
            actor,
            "ci.unrelated",
            relationship.source,
            before={
                "type": relationship.type,
                "target": relationship.target_id,
                "target_name": relationship.target.name,
            },
        )
        source = relationship.source
        relationship.delete()
        sync_identifiers(source)
        events.emit("cmdb.relationship.deleted", key=str(source.id), source_id=str(source.id))
