"""The append-only, hash-chained audit log: `record` inside every write, `verify` to prove the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
_HASHED_FIELDS = (
    "seq",
    "at",
    "actor_label",
    "person_id",
    "token_id",
    "job",
    "organisation_id",
    "organisation_name",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "prev_hash",
)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (UUID, date, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of `obj` as JSON-safe values (foreign keys as their ids)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname) if isinstance(field, models.ForeignKey) else getattr(obj, name)
        result[name] = _plain(value)
    return result


def entry_hash(values: dict[str, Any]) -> str:
    canonical = json.dumps({k: _plain(values[k]) for k in _HASHED_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def object_type(obj: models.Model) -> str:
    return obj._meta.label_lower


def _values(
    actor: Actor, action: str, obj: models.Model, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, Any]:
    """The hashed content of one entry, less its place in the chain (seq and prev_hash)."""
    return {
        "at": timezone.now(),
        "actor_label": actor.label,
        "person_id": actor.person_id,
        "token_id": actor.token_id,
        "job": actor.job or "",
        "organisation_id": actor.organisation_id,
        "organisation_name": actor.organisation_name,
        "channel": str(actor.channel),
        "action": action,
        "object_type": object_type(obj),
        "object_id": str(obj.pk),
        "object_repr": str(obj)[:300],
        "before": _plain(before) if before is not None else None,
        "after": _plain(after) if after is not None else None,
    }


def _in_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"audit.{name} must be called inside the transaction that makes the change")


def record(
    actor: Actor,
    action: str,
    obj: models.Model,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry for `obj`. Must run inside the transaction that makes the change."""
    _in_transaction("record")
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    values = {**_values(actor, action, obj, before, after), "seq": head.seq + 1, "prev_hash": head.hash}
    entry = AuditEntry.objects.create(**values, hash=entry_hash(values))
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def record_many(
    actor: Actor,
    action: str,
    changes: Iterable[tuple[models.Model, dict[str, Any] | None, dict[str, Any] | None]],
) -> list[AuditEntry]:
    """Append one entry per (obj, before, after), chained in that order, as `record` would one by one.

    The head is locked and saved once and the entries inserted together: a bulk write of many records
    pays for the chain once, not once a record.
    """
    _in_transaction("record_many")
    changes = list(changes)
    if not changes:
        return []
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    entries, seq, prev = [], head.seq, head.hash
    for obj, before, after in changes:  # stamped once the head is held, as `record` does, so `at` follows seq
        values = _values(actor, action, obj, before, after)
        seq += 1
        values.update(seq=seq, prev_hash=prev)
        prev = entry_hash(values)
        entries.append(AuditEntry(**values, hash=prev))
    AuditEntry.objects.bulk_create(entries)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return entries


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def _entries(batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(batch: int = 2000) -> VerifyResult:
    """Walk the chain from the start; report the first entry whose content, link or position is wrong."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for entry in _entries(batch):
        values = {name: getattr(entry, name) for name in _HASHED_FIELDS}
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return VerifyResult(False, checked, entry.seq, "does not link to the entry before it")
        if entry_hash(values) != entry.hash:
            return VerifyResult(False, checked, entry.seq, "its content does not match its hash")
        expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.seq != checked:
        return VerifyResult(False, checked, checked + 1, f"the chain ends at {checked} but its head says {head.seq}")
    return VerifyResult(True, checked)
