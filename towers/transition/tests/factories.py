"""Test data for transitions: an incoming applications supplier onboarded from a plan, and a transition to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from towers.contracts.models import ServiceLevel
from towers.core.actor import Actor
from towers.organisations.models import Organisation
from towers.organisations.tests.factories import Estate, actor_of
from towers.servicedesk.tests.factories import Desk, build_desk
from towers.transition.models import Transition
from towers.transition.services.onboard import supplier_onboard
from towers.transition.services.transitions import transition_create


def desk_for_transition(estate: Estate) -> Desk:
    """The desk, with its factory-made catch-all levels given a priority: the catalogue service (so the copy made
    for the incoming supplier) refuses a timed level without one, and the demo's, made through it, all have one."""
    desk = build_desk(estate)
    ServiceLevel.objects.filter(priority="").update(priority="P4")
    return desk


def onboarding_plan(**overrides: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "organisation": {"code": "apps-next", "name": "Next Apps Ltd", "kind": "supplier", "tower": "applications"},
        "teams": [
            {"code": "next-support", "name": "Next application support"},
            {"code": "next-dev", "name": "Next development"},
        ],
        "contracts": [
            {
                "reference": "next-apps-2026",
                "title": "Applications run and maintain",
                "starts_on": "2026-01-01",
                "ends_on": "2030-12-31",
                "period_charge": "100000.00",
            }
        ],
        "service_levels": [],
        "integrations": [
            {
                "name": "Next tool",
                "base_url": "https://192.0.2.10/tmf-api/troubleTicket/v5",
                "teams": ["next-support"],
            }
        ],
    }
    return plan | overrides


def incoming_supplier(estate: Estate) -> Organisation:
    supplier_onboard(actor=actor_of(estate.authority_admin), plan=onboarding_plan(), dry_run=False)
    return Organisation.objects.get(code="apps-next")


def crime_transition(desk: Desk, incoming: Organisation, at: datetime | None = None, **kwargs: Any) -> Transition:
    return transition_create(
        actor=kwargs.pop("actor", Actor.system("tests")),
        name="Crime system to Next Apps",
        outgoing=desk.estate.applications,
        incoming=incoming,
        effective_at=at or timezone.now(),
        services=[desk.service],
        team_mapping=kwargs.pop("team_mapping", {"app-support": "next-support"}),
    )
