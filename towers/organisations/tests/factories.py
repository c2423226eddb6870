"""Factories for every organisations model, and `build_estate` for the multi-supplier cast of a test."""

from __future__ import annotations

from dataclasses import dataclass

import factory
from factory.django import DjangoModelFactory

from towers.core.actor import Actor, Channel
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
from towers.organisations.selectors import actor_for
from towers.organisations.services.tokens import token_digest

PASSWORD = "correct-horse-battery-staple"


class TowerFactory(DjangoModelFactory):
    class Meta:
        model = Tower

    code = factory.Sequence(lambda n: f"tower-{n}")
    name = factory.Sequence(lambda n: f"Tower {n}")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = OrganisationKind.SUPPLIER


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"team-{n}")
    name = factory.Sequence(lambda n: f"Team {n}")


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda p: f"{p.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.REQUESTER


class TeamMembershipFactory(DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    person = factory.SubFactory(PersonFactory)


class CommercialGrantFactory(DjangoModelFactory):
    class Meta:
        model = CommercialGrant

    grantee = factory.SubFactory(OrganisationFactory)
    supplier = factory.SubFactory(OrganisationFactory)
    reason = "Contract review"


class ApiTokenFactory(DjangoModelFactory):
    """Pass `secret=` to know the token; the stored digest is derived from it."""

    class Meta:
        model = ApiToken
        exclude = ["secret"]

    secret = factory.Sequence(lambda n: f"twr_test-secret-{n:06d}-abcdefghijklmnopqrstuvwxyz")
    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    name = "test token"
    prefix = factory.LazyAttribute(lambda t: t.secret[:10])
    digest = factory.LazyAttribute(lambda t: token_digest(t.secret))
    scope = ApiToken.Scope.WRITE


def person_with_roles(organisation: Organisation, *roles: str, **kwargs: object) -> Person:
    person = PersonFactory(**kwargs)
    for role in roles:
        MembershipFactory(person=person, organisation=organisation, role=role)
    return person


def actor_of(person: Person, organisation: Organisation | None = None, channel: Channel = Channel.WEB) -> Actor:
    return actor_for(person, organisation=organisation, channel=channel)


@dataclass
class Estate:
    """The cast of a segregation test: the authority, the integrator, two suppliers and their people."""

    authority: Organisation
    integrator: Organisation
    applications: Organisation
    network: Organisation
    infrastructure_tower: Tower
    applications_tower: Tower
    integrator_team: Team
    applications_team: Team
    network_team: Team
    authority_admin: Person
    auditor: Person
    integrator_admin: Person
    integrator_agent: Person
    applications_admin: Person
    network_admin: Person
    network_resolver: Person


def build_estate() -> Estate:
    authority = OrganisationFactory(code="authority", name="Authority", kind=OrganisationKind.AUTHORITY)
    infrastructure = TowerFactory(code="infrastructure", name="Infrastructure")
    applications_tower = TowerFactory(code="applications", name="Applications")
    integrator = OrganisationFactory(code="integrator", name="Integrator", tower=infrastructure)
    infrastructure.integrator = integrator
    infrastructure.save()
    applications_tower.integrator = integrator
    applications_tower.save()
    applications = OrganisationFactory(code="apps", name="Apps Supplier", tower=applications_tower)
    network = OrganisationFactory(
        code="network", name="Network Co", kind=OrganisationKind.THIRD_PARTY, tower=infrastructure
    )
    network_team = TeamFactory(organisation=network, code="net-ops", name="Network operations")
    network_resolver = person_with_roles(network, Role.RESOLVER, username="net.resolver")
    TeamMembershipFactory(team=network_team, person=network_resolver)
    return Estate(
        authority=authority,
        integrator=integrator,
        applications=applications,
        network=network,
        infrastructure_tower=infrastructure,
        applications_tower=applications_tower,
        integrator_team=TeamFactory(organisation=integrator, code="service-desk", name="Service desk"),
        applications_team=TeamFactory(organisation=applications, code="app-support", name="Application support"),
        network_team=network_team,
        authority_admin=person_with_roles(authority, Role.ADMINISTRATOR, Role.CONTRACT_MANAGER, username="auth.admin"),
        auditor=person_with_roles(authority, Role.AUDITOR, username="auditor"),
        integrator_admin=person_with_roles(integrator, Role.ADMINISTRATOR, username="int.admin"),
        integrator_agent=person_with_roles(integrator, Role.AGENT, username="int.agent"),
        applications_admin=person_with_roles(applications, Role.ADMINISTRATOR, username="apps.admin"),
        network_admin=person_with_roles(network, Role.ADMINISTRATOR, username="net.admin"),
        network_resolver=network_resolver,
    )


def sign_in(client, person: Person, organisation: Organisation | None = None):
    """Sign `person` in on the test client, acting for `organisation` (their first one if None)."""
    from towers.organisations.auth import SESSION_ORGANISATION_KEY

    client.force_login(person)
    if organisation is not None:
        session = client.session
        session[SESSION_ORGANISATION_KEY] = str(organisation.id)
        session.save()
    return client
