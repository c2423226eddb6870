"""Writes on a transition's plan: who hands what to whom, when, and which team takes each team's work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from towers.contracts.models import Service
from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import Organisation, OrganisationKind
from towers.transition.models import Transition
from towers.transition.policies import MANAGE

FIELDS = ["name", "outgoing", "incoming", "effective_at", "team_mapping"]
EDITABLE = {"name", "effective_at", "team_mapping"}


def _check(transition: Transition, services: list[Service]) -> None:
    problems: dict[str, list[str]] = {}
    if transition.outgoing_id == transition.incoming_id:
        problems["incoming"] = ["must be another organisation than the outgoing supplier"]
    for field in ("outgoing", "incoming"):
        if getattr(transition, field).kind == OrganisationKind.AUTHORITY:
            problems.setdefault(field, []).append("must be a supplier or third party, not the authority")
    if not services:
        problems["services"] = ["name at least one service to move"]
    mapping = transition.team_mapping
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        problems["team_mapping"] = ["must map outgoing team codes to incoming team codes"]
    if problems:
        raise ValidationFailed(problems)


def transition_create(
    *,
    actor: Actor,
    name: str,
    outgoing: Organisation,
    incoming: Organisation,
    effective_at: datetime,
    services: Iterable[Service],
    team_mapping: dict[str, str] | None = None,
) -> Transition:
    """Plan a move of `services` from `outgoing` to `incoming` at `effective_at`; nothing moves until apply."""
    chosen = list(services)
    transition = Transition(
        name=name.strip(),
        outgoing=outgoing,
        incoming=incoming,
        effective_at=effective_at,
        team_mapping=team_mapping or {},
        created_by=actor.label,
    )
    ensure_can(actor, MANAGE, transition)
    validate(transition)
    _check(transition, chosen)
    with transaction.atomic():
        transition.save()
        transition.services.set(chosen)
        after = audit.snapshot(transition, FIELDS) | {"services": sorted(s.code for s in chosen)}
        audit.record(actor, "transition.created", transition, after=after)
    return transition


def transition_update(
    *,
    actor: Actor,
    transition: Transition,
    changes: dict[str, Any],
    services: Iterable[Service] | None = None,
    expected_version: int | None = None,
) -> Transition:
    """Change the plan; any change makes the last dry run stale, so apply waits for a new one."""
    ensure_can(actor, MANAGE, transition)
    if transition.status == Transition.Status.APPLIED:
        raise ValidationFailed.one("status", "an applied transition cannot be changed")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    chosen = list(services) if services is not None else list(transition.services.all())
    if transition.scheduled_at is not None:  # a changed plan needs a new dry run, and to be scheduled again
        changes = {**changes, "scheduled_at": None, "scheduled_by": ""}
    with transaction.atomic():
        before, after = apply_changes(transition, changes, expected_version=expected_version)
        validate(transition)
        _check(transition, chosen)
        old = sorted(transition.services.values_list("code", flat=True))
        new = sorted(s.code for s in chosen)
        if services is not None and old != new:
            if not before:  # a change of services alone must still make the last dry run stale
                Transition.objects.filter(pk=transition.pk).update(version=F("version") + 1, updated_at=timezone.now())
                transition.refresh_from_db(fields=["version", "updated_at"])
            transition.services.set(chosen)
            before["services"], after["services"] = old, new
        if after:
            audit.record(actor, "transition.updated", transition, before=before, after=after)
    return transition
