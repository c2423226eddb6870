"""Test data for requests and major incidents: a catalogue item with approvals and tasks, approvers, a P1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from towers.core.actor import Actor
from towers.core.models import OutboxEvent
from towers.core.roles import Role
from towers.organisations.models import Person, Team
from towers.organisations.tests.factories import (
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
    person_with_roles,
)
from towers.servicedesk.handlers_requests import advance_fulfilment
from towers.servicedesk.models import CatalogItem, MajorIncident, Ticket
from towers.servicedesk.services.catalogue import catalog_item_create
from towers.servicedesk.services.major import major_declare
from towers.servicedesk.services.tickets import ticket_create
from towers.servicedesk.tests.factories import Desk

LAPTOP_FORM = [
    {"name": "model", "label": "Model", "type": "choice", "required": True, "choices": ["13-inch", "15-inch"]},
    {"name": "quantity", "label": "How many", "type": "number", "required": True, "min": 1, "max": 5},
    {"name": "needed_by", "label": "Needed by", "type": "date"},
    {"name": "budget_holder", "label": "Budget holder", "type": "person", "required": True},
    {"name": "notes", "label": "Notes", "type": "textarea"},
]


@dataclass
class Catalogue:
    """A laptop item (line manager, then budget holder; set up by the desk, then built by apps) and its people."""

    desk: Desk
    item: CatalogItem
    line_manager: Person
    budget_holder: Person
    officers: Team

    def answers(self, **overrides: Any) -> dict[str, Any]:
        return {"model": "13-inch", "quantity": 1, "budget_holder": self.budget_holder.username} | overrides


def laptop_item(desk: Desk, **overrides: Any) -> CatalogItem:
    fields: dict[str, Any] = {
        "code": "laptop",
        "name": "Laptop",
        "service": desk.service,
        "form": LAPTOP_FORM,
        "approvals": ["line_manager", "budget_holder"],
        "tasks": [
            {"title": "Set up an account", "team": str(desk.second_desk_team.id)},
            {"title": "Build the laptop", "team": str(desk.apps_team.id), "after": 0, "fields": ["model"]},
        ],
    }
    return catalog_item_create(actor=desk.actor(desk.estate.integrator_admin), **(fields | overrides))


def build_catalogue(desk: Desk) -> Catalogue:
    authority = desk.estate.authority
    officers = TeamFactory(organisation=authority, code="response-officers", name="Response officers")
    line_manager = person_with_roles(authority, Role.REQUESTER, username="sergeant", email="sergeant@force.test")
    MembershipFactory(person=line_manager, organisation=authority, role=Role.TEAM_LEAD)
    TeamMembershipFactory(team=officers, person=line_manager)
    TeamMembershipFactory(team=officers, person=desk.requester)
    budget_holder = person_with_roles(authority, Role.REQUESTER, username="inspector", email="inspector@force.test")
    return Catalogue(desk, laptop_item(desk), line_manager, budget_holder, officers)


def deliver_fulfilment() -> int:
    """Run the fulfilment handler over every ticket event not yet given to it, until none are left."""
    done = 0
    seen: set[int] = set()
    names = ("servicedesk.ticket.resolved", "servicedesk.ticket.closed", "servicedesk.ticket.state_changed")
    while pending := list(OutboxEvent.objects.filter(name__in=names).exclude(id__in=seen).order_by("id")):
        for event in pending:
            seen.add(event.id)
            advance_fulfilment(event)
            done += 1
    return done


def p1_incident(desk: Desk, **kwargs: Any) -> Ticket:
    fields: dict[str, Any] = {"title": "Crime system down", "impact": 1, "urgency": 1, "service": desk.service}
    return desk.raise_incident(**(fields | kwargs))


def declared_major(desk: Desk, **kwargs: Any) -> MajorIncident:
    fields: dict[str, Any] = {"bridge": "Teams: MI bridge 1", "stakeholders": ["chief@force.test"]}
    return major_declare(actor=desk.actor(desk.agent), ticket=p1_incident(desk), **(fields | kwargs))


def foreign_request(estate: Any) -> Ticket:
    """A request held by the applications supplier's team, with an approval waiting: nobody else's business."""
    from towers.servicedesk.models import AssignmentRule, DeskSettings
    from towers.servicedesk.services.requests import request_submit

    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    item = foreign_item(estate)
    AssignmentRule.objects.create(name="Apps requests", service=item.service, team=estate.applications_team)
    approver = Person.objects.filter(username="apps.budget").first() or person_with_roles(
        estate.applications, Role.SERVICE_MANAGER, username="apps.budget"
    )
    item.approvals = [{"role": "budget_holder", "person": approver.username}]
    item.save(update_fields=["approvals"])
    return request_submit(actor=Actor.system("tests"), item=item, answers={}, requester=estate.applications_admin)


def foreign_item(estate: Any) -> CatalogItem:
    """A catalogue item of a service the applications supplier owns."""
    from towers.contracts.tests.factories import ServiceFactory

    service = ServiceFactory(owner=estate.applications)
    return CatalogItem.objects.create(
        code=f"apps-item-{service.code}", name="Apps-only item", service=service, form=[], approvals=[], tasks=[]
    )


def foreign_major(estate: Any) -> MajorIncident:
    """A major incident on a P1 held by the applications supplier's team."""
    from towers.servicedesk.models import DeskSettings

    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    system = Actor.system("tests")
    ticket = ticket_create(actor=system, title="Apps down", impact=1, urgency=1, team=estate.applications_team)
    return major_declare(actor=system, ticket=ticket, bridge="Apps bridge")
