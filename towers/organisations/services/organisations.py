"""Writes for organisations, towers, teams and commercial grants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import CommercialGrant, Organisation, OrganisationKind, Team, Tower
from towers.organisations.selectors import authority_get

ORGANISATION_FIELDS = ["code", "name", "kind", "tower", "email", "is_active"]
TOWER_FIELDS = ["code", "name", "description", "integrator"]
TEAM_FIELDS = ["organisation", "code", "name", "email", "description", "is_active"]


def _check_tower_rules(organisation: Organisation) -> None:
    if organisation.kind == OrganisationKind.AUTHORITY and organisation.tower_id:
        raise ValidationFailed.one("tower", "the authority is not part of a tower")


def organisation_create(
    *, actor: Actor, code: str, name: str, kind: str, tower: Tower | None = None, email: str = ""
) -> Organisation:
    """Register an organisation. Only the authority's administrators do this."""
    authority = Organisation.objects.filter(kind=OrganisationKind.AUTHORITY).first()
    if authority is not None:
        ensure_can(actor, "organisation.create", authority)
    elif not actor.is_system:
        raise Forbidden("The authority must be created first, by the set-up job.")
    organisation = Organisation(code=code, name=name, kind=kind, tower=tower, email=email)
    validate(organisation)
    _check_tower_rules(organisation)
    with transaction.atomic():
        organisation.save()
        audit.record(
            actor,
            "organisation.created",
            organisation,
            after=audit.snapshot(organisation, ORGANISATION_FIELDS),
        )
        events.emit(
            "organisations.organisation.created",
            key=str(organisation.id),
            organisation_id=str(organisation.id),
        )
    return organisation


def organisation_update(
    *, actor: Actor, organisation: Organisation, changes: dict[str, Any], expected_version: int | None = None
) -> Organisation:
    ensure_can(actor, "organisation.update", organisation)
    if "kind" in changes and changes["kind"] != organisation.kind and not actor.scope.everything:
        raise Forbidden("Only the authority can change what kind of organisation this is.")
    if "tower" in changes and changes["tower"] != organisation.tower and not actor.scope.everything:
        raise Forbidden("Only the authority can move an organisation between towers.")
    with transaction.atomic():
        before, after = apply_changes(organisation, changes, expected_version=expected_version)
        if before:
            validate(organisation)
            _check_tower_rules(organisation)
            audit.record(actor, "organisation.updated", organisation, before=before, after=after)
            events.emit(
                "organisations.organisation.updated",
                key=str(organisation.id),
                organisation_id=str(organisation.id),
            )
    return organisation


def tower_create(
    *, actor: Actor, code: str, name: str, description: str = "", integrator: Organisation | None = None
) -> Tower:
    ensure_can(actor, "tower.manage", authority_get())
    tower = Tower(code=code, name=name, description=description, integrator=integrator)
    validate(tower)
    with transaction.atomic():
        tower.save()
        audit.record(actor, "tower.created", tower, after=audit.snapshot(tower, TOWER_FIELDS))
    return tower


def tower_update(*, actor: Actor, tower: Tower, changes: dict[str, Any], expected_version: int | None = None) -> Tower:
    ensure_can(actor, "tower.manage", authority_get())
    with transaction.atomic():
        before, after = apply_changes(tower, changes, expected_version=expected_version)
        if before:
            validate(tower)
            audit.record(actor, "tower.updated", tower, before=before, after=after)
    return tower


def team_create(
    *, actor: Actor, organisation: Organisation, code: str, name: str, email: str = "", description: str = ""
) -> Team:
    ensure_can(actor, "team.create", organisation)
    team = Team(organisation=organisation, code=code, name=name, email=email, description=description)
    validate(team)
    with transaction.atomic():
        team.save()
        audit.record(actor, "team.created", team, after=audit.snapshot(team, TEAM_FIELDS))
        events.emit("organisations.team.created", key=str(team.id), team_id=str(team.id))
    return team


def team_update(*, actor: Actor, team: Team, changes: dict[str, Any], expected_version: int | None = None) -> Team:
    ensure_can(actor, "team.update", team)
    if "organisation" in changes and changes["organisation"] != team.organisation:
        raise ValidationFailed.one("organisation", "a team cannot move to another organisation; create a new team")
    with transaction.atomic():
        before, after = apply_changes(team, changes, expected_version=expected_version)
        if before:
            validate(team)
            audit.record(actor, "team.updated", team, before=before, after=after)
            events.emit("organisations.team.updated", key=str(team.id), team_id=str(team.id))
    return team


def commercial_grant_create(
    *,
    actor: Actor,
    grantee: Organisation,
    supplier: Organisation,
    reason: str,
    expires_at: datetime | None = None,
) -> CommercialGrant:
    """The authority lets `grantee` see `supplier`'s commercial records (contracts, credits)."""
    authority = authority_get()
    ensure_can(actor, "commercial_grant.manage", authority)
    if grantee == supplier:
        raise ValidationFailed.one("supplier", "an organisation always sees its own commercial records")
    grant = CommercialGrant(grantee=grantee, supplier=supplier, reason=reason, expires_at=expires_at)
    validate(grant)
    with transaction.atomic():
        grant.save()
        audit.record(
            actor,
            "commercial_grant.created",
            grant,
            after=audit.snapshot(grant, ["grantee", "supplier", "reason", "expires_at"]),
        )
    return grant


def commercial_grant_revoke(*, actor: Actor, grant: CommercialGrant) -> None:
    ensure_can(actor, "commercial_grant.manage", authority_get())
    with transaction.atomic():
        audit.record(
            actor,
            "commercial_grant.revoked",
            grant,
            before=audit.snapshot(grant, ["grantee", "supplier", "reason", "expires_at"]),
        )
        grant.delete()
