"""Test data for the service desk: a desk on the estate, with a service, SLAs and an OLA to clock against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import factory
from factory.django import DjangoModelFactory

from towers.contracts.models import Calendar, Service, ServiceLevel
from towers.contracts.tests.factories import CalendarFactory, ServiceFactory, ServiceLevelFactory
from towers.core.actor import Actor
from towers.core.roles import Role
from towers.organisations.models import Person, Team
from towers.organisations.tests.factories import (
    Estate,
    TeamFactory,
    TeamMembershipFactory,
    actor_of,
    person_with_roles,
)
from towers.servicedesk.models import Category, DeskSettings, Ticket
from towers.servicedesk.services.tickets import ticket_create


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


@dataclass
class Desk:
    """The estate plus what a desk needs: people who raise, triage and resolve, and clocked service levels."""

    estate: Estate
    settings: DeskSettings
    calendar: Calendar
    service: Service
    sla_response: ServiceLevel
    sla_resolution: ServiceLevel
    ola_apps: ServiceLevel
    requester: Person
    agent: Person
    apps_resolver: Person
    apps_team: Team
    second_desk_team: Team

    def actor(self, person: Person) -> Actor:
        return actor_of(person)

    def raise_incident(self, **kwargs: object) -> Ticket:
        fields: dict[str, object] = {
            "title": "Crime system is slow",
            "impact": 2,
            "urgency": 2,
            "service": self.service,
        }
        return ticket_create(actor=self.actor(self.requester), **(fields | kwargs))  # type: ignore[arg-type]


def build_desk(estate: Estate) -> Desk:
    calendar = CalendarFactory(owner=estate.authority, code="24x7", name="Always open", always_open=True)
    service = ServiceFactory(owner=estate.applications, code="crime", name="Crime system")
    common = {"service": service, "calendar": calendar, "customer": estate.authority, "provider": estate.applications}
    response = ServiceLevelFactory(metric="response", priority="P3", target=timedelta(hours=1), **common)
    resolution = ServiceLevelFactory(metric="resolution", priority="P3", target=timedelta(hours=8), **common)
    ServiceLevelFactory(metric="resolution", priority="P2", target=timedelta(hours=4), **common)
    # Every other priority (P1, P4 and requests' tasks): response in 4 hours, resolution in 3 days.
    ServiceLevelFactory(metric="response", priority="", target=timedelta(hours=4), **common)
    ServiceLevelFactory(metric="resolution", priority="", target=timedelta(days=3), **common)
    ola = ServiceLevelFactory(
        kind="ola",
        metric="response",
        priority="P3",
        target=timedelta(minutes=30),
        service=service,
        calendar=calendar,
        provider=estate.applications,
        customer=estate.integrator,
        pause_states=[],
    )
    ServiceLevelFactory(
        kind="ola",
        metric="response",
        priority="",
        target=timedelta(hours=1),
        service=service,
        calendar=calendar,
        provider=estate.applications,
        customer=estate.integrator,
        pause_states=[],
    )
    settings = DeskSettings.objects.create(
        desk_organisation=estate.integrator,
        triage_team=estate.integrator_team,
        resolution_codes=["fixed", "workaround", "no_fault_found"],
    )
    agent = estate.integrator_agent
    TeamMembershipFactory(team=estate.integrator_team, person=agent)
    apps_resolver = person_with_roles(estate.applications, Role.RESOLVER, username="apps.resolver")
    TeamMembershipFactory(team=estate.applications_team, person=apps_resolver)
    return Desk(
        estate=estate,
        settings=settings,
        calendar=calendar,
        service=service,
        sla_response=response,
        sla_resolution=resolution,
        ola_apps=ola,
        requester=person_with_roles(estate.authority, Role.REQUESTER, username="officer", email="officer@force.test"),
        agent=agent,
        apps_resolver=apps_resolver,
        apps_team=estate.applications_team,
        second_desk_team=TeamFactory(organisation=estate.integrator, code="desk-2", name="Second-line desk"),
    )


def foreign_ticket(estate: Estate) -> Ticket:
    """A ticket held by the applications supplier's team (the desk and the authority are party to it too)."""
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    return ticket_create(actor=Actor.system("tests"), title="Apps-only fault", team=estate.applications_team)
