"""Test data for changes and problems: templates, freezes, a CAB on the desk, and changes at each stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from towers.core.actor import Actor
from towers.core.roles import Role
from towers.organisations.models import Person
from towers.organisations.tests.factories import Estate, actor_of, person_with_roles
from towers.servicedesk.models import ChangeTemplate, DeskSettings, FreezeWindow, Ticket
from towers.servicedesk.services.change_approvals import change_submit_for_approval
from towers.servicedesk.services.changes import change_create
from towers.servicedesk.services.problems import problem_create
from towers.servicedesk.services.tickets import ticket_create
from towers.servicedesk.tests.factories import Desk


class ChangeTemplateFactory(DjangoModelFactory):
    class Meta:
        model = ChangeTemplate

    code = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Restart application pool {n}")
    implementation_plan = "Drain the node, restart the pool, return it to the balancer."
    backout_plan = "Return the node to the balancer as it was."
    test_plan = "Synthetic log-in succeeds."
    risk = "low"


class FreezeWindowFactory(DjangoModelFactory):
    class Meta:
        model = FreezeWindow

    name = factory.Sequence(lambda n: f"Freeze {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    ends_at = factory.LazyAttribute(lambda f: f.starts_at + timedelta(days=2))
    reason = "Year-end"


@dataclass
class Cab:
    """The desk's change advisory board: a service manager and two team leads of the integrator."""

    manager: Person
    lead_one: Person
    lead_two: Person

    @property
    def members(self) -> list[Person]:
        return [self.manager, self.lead_one, self.lead_two]


def build_cab(desk: Desk) -> Cab:
    integrator = desk.estate.integrator
    return Cab(
        manager=person_with_roles(integrator, Role.SERVICE_MANAGER, username="cab.manager"),
        lead_one=person_with_roles(integrator, Role.TEAM_LEAD, username="cab.lead1", last_name="Aardvark"),
        lead_two=person_with_roles(integrator, Role.TEAM_LEAD, username="cab.lead2", last_name="Zebra"),
    )


def tomorrow(hour: int = 10) -> datetime:
    start = timezone.now() + timedelta(days=1)
    return start.replace(hour=hour, minute=0, second=0, microsecond=0)


def normal_change(desk: Desk, *, actor: Actor | None = None, start: datetime | None = None, **kwargs: object) -> Ticket:
    """A normal change to the desk's service, planned for two hours from `start` (tomorrow 10:00), plans written."""
    start = start or tomorrow()
    fields: dict[str, object] = {
        "title": "Patch the crime system database",
        "service": desk.service,
        "planned_start": start,
        "planned_end": start + timedelta(hours=2),
        "implementation_plan": "Apply the patch on the standby, fail over, patch the primary.",
        "backout_plan": "Fail back to the unpatched primary.",
        "team": desk.estate.integrator_team,
    }
    return change_create(actor=actor or desk.actor(desk.agent), **(fields | kwargs))  # type: ignore[arg-type]


def foreign_change(estate: Estate) -> Ticket:
    """An emergency change held by the applications supplier, submitted to the integrator's administrator."""
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    start = timezone.now() + timedelta(days=1)
    change = change_create(
        actor=Actor.system("tests"),
        title="Apps-only change",
        change_type="emergency",
        team=estate.applications_team,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        implementation_plan="Deploy the fix.",
        backout_plan="Redeploy the previous release.",
    )
    change_submit_for_approval(actor=Actor.system("tests"), change=change, approvers=[estate.integrator_admin])
    return change


def foreign_problem(estate: Estate) -> Ticket:
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    return problem_create(actor=Actor.system("tests"), title="Apps-only problem", team=estate.applications_team)


def foreign_incident(estate: Estate) -> Ticket:
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    return ticket_create(actor=Actor.system("tests"), title="Apps-only incident", team=estate.applications_team)


def apps_actor(estate: Estate) -> Actor:
    return actor_of(estate.applications_admin, estate.applications)
