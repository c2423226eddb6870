"""Writes on supplier integrations, their mapping tables and their message log: permission-checked and audited.

Managed by the integrator of the supplier's tower (administrators and service managers) or the authority; the
supplier itself reads its integration but does not change it. The partner's auth token is write-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.integration.models_partners import FieldMapping, PartnerIntegration, PartnerMessage, StateMapping
from towers.integration.policies_partners import MANAGE_PARTNERS
from towers.integration.targets import target_refusal
from towers.organisations.models import Organisation, Team

FIELDS = ["organisation", "name", "base_url", "active"]
EDITABLE = {"name", "base_url", "auth_token", "active"}


def _check(name: str, base_url: str) -> None:
    problems: dict[str, list[str]] = {}
    if not name.strip():
        problems["name"] = ["is required"]
    if refused := target_refusal(base_url):
        problems["base_url"] = [f"must be the partner's TMF621 root: {refused}"]
    if problems:
        raise ValidationFailed(problems)


def _check_teams(integration: PartnerIntegration, teams: Iterable[Team]) -> list[Team]:
    teams = list(teams)
    foreign = [str(t) for t in teams if t.organisation_id != integration.organisation_id]
    if foreign:
        raise ValidationFailed.one("teams", f"not teams of {integration.organisation}: {', '.join(foreign)}")
    return teams


def partner_integration_create(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str,
    base_url: str,
    auth_token: str = "",
    teams: Iterable[Team] = (),
) -> PartnerIntegration:
    _check(name, base_url)
    integration = PartnerIntegration(
        organisation=organisation, name=name.strip(), base_url=base_url, auth_token=auth_token
    )
    ensure_can(actor, MANAGE_PARTNERS, integration)
    chosen = _check_teams(integration, teams)
    with transaction.atomic():
        integration.save()
        integration.teams.set(chosen)
        after = audit.snapshot(integration, FIELDS) | {"teams": sorted(str(t.id) for t in chosen)}
        audit.record(actor, "integration.partner.created", integration, after=after)
    return integration


def partner_integration_update(
    *,
    actor: Actor,
    integration: PartnerIntegration,
    changes: dict[str, Any],
    teams: Iterable[Team] | None = None,
    expected_version: int | None = None,
) -> PartnerIntegration:
    ensure_can(actor, MANAGE_PARTNERS, integration)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    _check(changes.get("name", integration.name), changes.get("base_url", integration.base_url))
    chosen = _check_teams(integration, teams) if teams is not None else None
    with transaction.atomic():
        before, after = apply_changes(integration, changes, expected_version=expected_version)
        if "auth_token" in after:  # never into the audit log either
            before["auth_token"], after["auth_token"] = "(set)" if before["auth_token"] else "", "(changed)"
        if chosen is not None:
            old = sorted(str(i) for i in integration.teams.values_list("id", flat=True))
            integration.teams.set(chosen)
            if old != sorted(str(t.id) for t in chosen):
                before["teams"], after["teams"] = old, sorted(str(t.id) for t in chosen)
        if after:
            audit.record(actor, "integration.partner.updated", integration, before=before, after=after)
    return integration


def _mapping_model(kind: str) -> type[FieldMapping] | type[StateMapping]:
    return FieldMapping if kind == "field" else StateMapping


def partner_mapping_create(
    *, actor: Actor, integration: PartnerIntegration, kind: str, ours: str, theirs: str, direction: str
) -> FieldMapping | StateMapping:
    """Add one row to the integration's field ("field") or state ("state") mapping table."""
    ensure_can(actor, MANAGE_PARTNERS, integration)
    if not ours.strip() or not theirs.strip():
        raise ValidationFailed(
            {name: ["is required"] for name, v in (("ours", ours), ("theirs", theirs)) if not v.strip()}
        )
    if direction not in ("in", "out", "both"):
        raise ValidationFailed.one("direction", "choose in, out or both")
    mapping = _mapping_model(kind)(
        integration=integration, ours=ours.strip(), theirs=theirs.strip(), direction=direction
    )
    try:
        with transaction.atomic():
            mapping.save()
            after = {"ours": mapping.ours, "theirs": mapping.theirs, "direction": direction}
            audit.record(actor, f"integration.partner.{kind}_mapping_added", integration, after=after)
    except IntegrityError as exc:
        raise ValidationFailed.one("theirs", f"{ours} is already mapped to {theirs}") from exc
    return mapping


def partner_mapping_delete(*, actor: Actor, mapping: FieldMapping | StateMapping) -> None:
    integration = mapping.integration
    ensure_can(actor, MANAGE_PARTNERS, integration)
    kind = "field" if isinstance(mapping, FieldMapping) else "state"
    with transaction.atomic():
        before = {"ours": mapping.ours, "theirs": mapping.theirs, "direction": mapping.direction}
        mapping.delete()
        audit.record(actor, f"integration.partner.{kind}_mapping_removed", integration, before=before)


def partner_messages_replay(*, actor: Actor, messages: Iterable[PartnerMessage]) -> int:
    """Send dead outbound messages again from a fresh attempt count; returns how many now wait to go."""
    replayed = 0
    with transaction.atomic():
        for message in messages:
            ensure_can(actor, MANAGE_PARTNERS, message)
            if message.status != PartnerMessage.Status.DEAD or message.direction != "out":
                continue
            before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
            message.status, message.attempts, message.next_attempt_at = PartnerMessage.Status.PENDING, 0, timezone.now()
            message.completed_at = None
            message.save(update_fields=["status", "attempts", "next_attempt_at", "completed_at"])
            audit.record(
                actor, "integration.partner_message.replayed", message, before=before, after={"status": "pending"}
            )
            replayed += 1
    return replayed
