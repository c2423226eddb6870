"""Writes for people, their roles in organisations and their places in teams."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.core.roles import Role
from towers.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Team,
    TeamMembership,
)

PERSON_FIELDS = ["username", "first_name", "last_name", "email", "job_title", "phone", "is_active"]
# Roles that only make sense inside the authority.
AUTHORITY_ONLY_ROLES = {Role.AUDITOR, Role.CONTRACT_MANAGER}


def person_create(
    *,
    actor: Actor,
    organisation: Organisation,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    job_title: str = "",
    phone: str = "",
    roles: list[str] | None = None,
    password: str | None = None,
) -> Person:
    """Add a person to `organisation` with `roles` (requester if none are given)."""
    ensure_can(actor, "person.create", organisation)
    person = Person(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        job_title=job_title,
        phone=phone,
    )
    if password:
        person.set_password(password)
    else:
        person.set_unusable_password()
    validate(person, exclude=["password"])
    with transaction.atomic():
        person.save()
        audit.record(actor, "person.created", person, after=audit.snapshot(person, PERSON_FIELDS))
        for role in roles or [Role.REQUESTER]:
            _grant(actor, person, organisation, role)
    return person


def person_update(
    *, actor: Actor, person: Person, changes: dict[str, Any], expected_version: int | None = None
) -> Person:
    ensure_can(actor, "person.update", person)
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    with transaction.atomic():
        before, after = apply_changes(person, changes, expected_version=expected_version)
        if before:
            validate(person, exclude=["password"])
            audit.record(actor, "person.updated", person, before=before, after=after)
    return person


def person_set_password(*, actor: Actor, person: Person, password: str) -> None:
    """Set a password; the audit entry records that it changed, never the password."""
    if actor.person_id != person.id:
        ensure_can(actor, "person.update", person)
    with transaction.atomic():
        person.set_password(password)
        person.save(update_fields=["password"])
        audit.record(actor, "person.password_set", person)


def _grant(actor: Actor, person: Person, organisation: Organisation, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationFailed.one("role", f"{role!r} is not a role; choose from {', '.join(Role.values)}")
    if role in AUTHORITY_ONLY_ROLES and organisation.kind != OrganisationKind.AUTHORITY:
        raise ValidationFailed.one("role", f"{Role(role).label} is a role within the authority only")
    membership, created = Membership.objects.get_or_create(person=person, organisation=organisation, role=role)
    if created:
        audit.record(
            actor,
            "membership.granted",
            membership,
            after={"person": person.id, "organisation": organisation.id, "role": role},
        )
        events.emit(
            "organisations.membership.granted",
            key=str(person.id),
            membership_id=str(membership.id),
            person_id=str(person.id),
            organisation_id=str(organisation.id),
            role=role,
        )
    return membership


def membership_grant(*, actor: Actor, person: Person, organisation: Organisation, role: str) -> Membership:
    """Give `person` a role in `organisation`; granting a role they already hold changes nothing."""
    ensure_can(actor, "membership.manage", organisation)
    with transaction.atomic():
        return _grant(actor, person, organisation, role)


def membership_revoke(*, actor: Actor, membership: Membership) -> None:
    ensure_can(actor, "membership.manage", membership)
    if membership.person_id == actor.person_id and membership.role == Role.ADMINISTRATOR:
        raise Forbidden("You cannot remove your own administrator role; ask another administrator.")
    with transaction.atomic():
        audit.record(
            actor,
            "membership.revoked",
            membership,
            before={
                "person": membership.person_id,
                "organisation": membership.organisation_id,
                "role": membership.role,
            },
        )
        events.emit(
            "organisations.membership.revoked",
            key=str(membership.person_id),
            person_id=str(membership.person_id),
            organisation_id=str(membership.organisation_id),
            role=membership.role,
        )
        membership.delete()


def team_member_add(*, actor: Actor, team: Team, person: Person) -> TeamMembership:
    """Put `person` in `team`; they must already belong to the team's organisation."""
    ensure_can(actor, "team.members", team)
    if not Membership.objects.filter(person=person, organisation_id=team.organisation_id).exists():
        raise ValidationFailed.one("person", f"{person} is not a member of {team.organisation}")
    with transaction.atomic():
        member, created = TeamMembership.objects.get_or_create(team=team, person=person)
        if created:
            audit.record(actor, "team.member_added", team, after={"person": person.id, "name": str(person)})
    return member


def team_member_remove(*, actor: Actor, member: TeamMembership) -> None:
    ensure_can(actor, "team.members", member.team)
    with transaction.atomic():
        audit.record(
            actor,
            "team.member_removed",
            member.team,
            before={"person": member.person_id, "name": str(member.person)},
        )
        member.delete()
