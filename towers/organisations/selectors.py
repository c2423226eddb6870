"""Reads of the organisations app, each already restricted to what the actor may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.utils import timezone

from towers.core.actor import Actor, Channel, Scope
from towers.core.audit import object_type
from towers.core.errors import Forbidden
from towers.core.models import AuditEntry
from towers.core.permissions import get_visible, visible_to
from towers.core.roles import Role
from towers.organisations.models import (
    ApiToken,
    CommercialGrant,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
    Team,
    TeamMembership,
    Tower,
)


def scope_for(organisation: Organisation) -> Scope:
    """What an organisation's people may see, by DESIGN.md's segregation rules."""
    if organisation.kind == OrganisationKind.AUTHORITY:
        return Scope(everything=True)
    own = frozenset({organisation.id})
    integrated = frozenset(Organisation.objects.filter(tower__integrator=organisation).values_list("id", flat=True))
    granted = frozenset(
        CommercialGrant.objects.filter(grantee=organisation)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .values_list("supplier_id", flat=True)
    )
    counterparties = frozenset(
        Organisation.objects.filter(
            Q(kind=OrganisationKind.AUTHORITY) | Q(integrated_towers__organisations=organisation)
        ).values_list("id", flat=True)
    )
    return Scope(operational=own | integrated, commercial=own | granted, counterparties=counterparties)


def person_organisations(person: Person) -> list[Organisation]:
    return list(Organisation.objects.filter(memberships__person=person, is_active=True).distinct().order_by("name"))


def actor_for(
    person: Person,
    *,
    organisation: Organisation | None = None,
    channel: Channel,
    token: ApiToken | None = None,
) -> Actor:
    """The actor for `person` working for `organisation` (their first organisation if None)."""
    organisations = person_organisations(person)
    if organisation is None or organisation.id not in {o.id for o in organisations}:
        organisation = organisations[0] if organisations else None
    if organisation is None:
        # Someone with no membership can sign in but sees nothing and may do nothing.
        return Actor(label=person.username, channel=channel, scope=Scope(), person_id=person.id)
    roles = frozenset(
        Membership.objects.filter(person=person, organisation=organisation).values_list("role", flat=True)
    )
    return Actor(
        label=person.username,
        channel=channel,
        scope=scope_for(organisation),
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        person_id=person.id,
        token_id=token.id if token else None,
        roles=roles,
    )


def organisation_list(*, actor: Actor, kind: str | None = None, search: str = "") -> QuerySet[Organisation]:
    qs = (
        visible_to(actor, Organisation.objects)
        .select_related("tower")
        .annotate(team_count=Count("teams", distinct=True))
    )
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("name")


def organisation_get(*, actor: Actor, id: UUID | str) -> Organisation:
    return get_visible(actor, Organisation.objects.select_related("tower"), pk=id)


def authority_get() -> Organisation:
    return Organisation.objects.get(kind=OrganisationKind.AUTHORITY)


def tower_list(*, actor: Actor) -> QuerySet[Tower]:
    return visible_to(actor, Tower.objects).select_related("integrator").order_by("name")


def tower_get(*, actor: Actor, id: UUID | str) -> Tower:
    return get_visible(actor, Tower.objects.select_related("integrator"), pk=id)


def team_list(*, actor: Actor, organisation: UUID | str | None = None, search: str = "") -> QuerySet[Team]:
    qs = (
        visible_to(actor, Team.objects)
        .select_related("organisation")
        .annotate(member_count=Count("members", distinct=True))
    )
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("organisation__name", "name")


def team_get(*, actor: Actor, id: UUID | str) -> Team:
    return get_visible(actor, Team.objects.select_related("organisation"), pk=id)


def team_members(*, actor: Actor, team: Team) -> QuerySet[TeamMembership]:
    return (
        visible_to(actor, TeamMembership.objects)
        .filter(team=team)
        .select_related("person")
        .order_by("person__last_name", "person__first_name")
    )


def _people(actor: Actor) -> QuerySet[Person]:
    """Visible people, each with the memberships the actor may see as `visible_memberships`."""
    return visible_to(actor, Person.objects).prefetch_related(
        Prefetch(
            "memberships",
            queryset=visible_to(actor, Membership.objects).select_related("organisation"),
            to_attr="visible_memberships",
        )
    )


def person_list(
    *, actor: Actor, organisation: UUID | str | None = None, role: str | None = None, search: str = ""
) -> QuerySet[Person]:
    qs = _people(actor)
    if organisation or role:
        membership = Membership.objects.all()
        if organisation:
            membership = membership.filter(organisation_id=organisation)
        if role:
            membership = membership.filter(role=role)
        qs = qs.filter(pk__in=membership.values("person_id"))
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
        )
    return qs.order_by("last_name", "first_name", "username")


def person_get(*, actor: Actor, id: UUID | str) -> Person:
    return get_visible(actor, _people(actor), pk=id)


def membership_list(
    *, actor: Actor, person: UUID | str | None = None, organisation: UUID | str | None = None
) -> QuerySet[Membership]:
    qs = visible_to(actor, Membership.objects).select_related("person", "organisation")
    if person:
        qs = qs.filter(person_id=person)
    if organisation:
        qs = qs.filter(organisation_id=organisation)
    return qs.order_by("organisation__name", "person__last_name", "role")


def membership_get(*, actor: Actor, id: UUID | str) -> Membership:
    return get_visible(actor, Membership.objects.select_related("person", "organisation"), pk=id)


def person_teams(*, actor: Actor, person: Person) -> QuerySet[TeamMembership]:
    return visible_to(actor, TeamMembership.objects).filter(person=person).select_related("team__organisation")


def commercial_grant_list(*, actor: Actor) -> QuerySet[CommercialGrant]:
    return visible_to(actor, CommercialGrant.objects).select_related("grantee", "supplier")


def commercial_grant_get(*, actor: Actor, id: UUID | str) -> CommercialGrant:
    return get_visible(actor, CommercialGrant.objects.select_related("grantee", "supplier"), pk=id)


def token_list(*, actor: Actor) -> QuerySet[ApiToken]:
    """A person's own tokens: nobody else, not even an administrator, needs to list them."""
    if actor.person_id is None:
        return ApiToken.objects.none()
    return visible_to(actor, ApiToken.objects).filter(person_id=actor.person_id).select_related("organisation")


def token_get(*, actor: Actor, id: UUID | str) -> ApiToken:
    return get_visible(actor, token_list(actor=actor), pk=id)


def audit_history(*, obj: Model) -> QuerySet[AuditEntry]:
    """Every entry about `obj`, newest first. Callers fetched `obj` through a selector, so may see it."""
    return AuditEntry.objects.filter(object_type=object_type(obj), object_id=str(obj.pk)).order_by("-seq")


def may_read_audit_log(actor: Actor) -> bool:
    # Entries are already limited to the actor's organisation; the log itself is for those who oversee
    # changes, not for every requester of the authority (whose scope is everything).
    return actor.has_role(Role.AUDITOR, Role.ADMINISTRATOR)


def audit_list(*, actor: Actor, action: str = "", object_type: str = "") -> QuerySet[AuditEntry]:
    if not may_read_audit_log(actor):
        raise Forbidden("The audit log is for auditors and administrators.")
    qs = visible_to(actor, AuditEntry.objects)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs.order_by("-seq")


def is_authority_admin(actor: Actor) -> bool:
    return actor.scope.everything and actor.has_role(Role.ADMINISTRATOR)
