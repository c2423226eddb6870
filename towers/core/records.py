"""Changing a record safely: only what changed, never from a stale copy, with before/after for audit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Model
from django.utils import timezone

from towers.core.audit import snapshot
from towers.core.errors import StaleVersion, ValidationFailed

T = TypeVar("T", bound=Model)


def apply_changes(
    obj: T, changes: dict[str, Any], *, expected_version: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write `changes` to `obj` with a compare-and-set on its version; return (before, after).

    Raises StaleVersion when `expected_version` is out of date, or when another writer got in
    between our read and this write, so no update is silently lost.
    """
    current: int = obj.version  # type: ignore[attr-defined]  # every versioned model has it
    if expected_version is not None and expected_version != current:
        raise StaleVersion(current)
    changed = {name: value for name, value in changes.items() if getattr(obj, name) != value}
    if not changed:
        return {}, {}
    before = snapshot(obj, changed)
    now = timezone.now()
    rows = (
        type(obj)
        ._default_manager.filter(pk=obj.pk, version=current)
        .update(**changed, updated_at=now, version=F("version") + 1)
    )
    if rows == 0:
        raise StaleVersion(type(obj)._default_manager.values_list("version", flat=True).get(pk=obj.pk))
    for name, value in changed.items():
        setattr(obj, name, value)
    obj.updated_at, obj.version = now, current + 1  # type: ignore[attr-defined]
    return before, snapshot(obj, changed)


def _held_relations(obj: Model) -> set[str]:
    """Foreign keys whose existence check would only re-read what the caller already holds (saved instances)."""
    held = set()
    for field in obj._meta.concrete_fields:
        if field.is_relation and field.is_cached(obj):  # type: ignore[attr-defined]  # a ForeignKey's
            related = getattr(obj, field.name)
            if related is not None and not related._state.adding:
                held.add(field.name)
    return held


def validate(obj: Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's own checks (choices, lengths, uniqueness) and report them field by field.

    As Model.full_clean, minus two reads that cannot fail: the existence of related objects the caller
    already holds, and the uniqueness of a new record's freshly generated UUID.
    """
    skip = set(exclude or [])
    pk = obj._meta.pk
    if obj._state.adding and pk is not None and getattr(pk, "default", None) is uuid.uuid4:
        skip.add(pk.name)
    problems: dict[str, list[str]] = {}
    checks: list[Callable[[], None]] = [
        lambda: obj.clean_fields(exclude=skip | _held_relations(obj)),
        obj.clean,
        lambda: obj.validate_unique(exclude=skip),
        lambda: obj.validate_constraints(exclude=skip),
    ]
    for check in checks:
        try:
            check()
        except DjangoValidationError as exc:
            for name, messages in exc.update_error_dict({}).items():
                problems.setdefault("body" if name == "__all__" else name, []).extend(str(m) for m in messages)
    if problems:
        raise ValidationFailed(problems, "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()))
