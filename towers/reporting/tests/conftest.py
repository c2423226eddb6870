"""A month of desk work (March 2026) driven through the real services, for the pack's tests.

T1 the desk fixes in an hour (first-time fix). T2 goes to the applications supplier, waits six hours pending a
supplier and is resolved after 10 h 10 min, breaching its 8-hour resolution SLA. T3 ping-pongs (sent, rejected,
sent again) and stays open. T4 was raised in February and is still open. T5 goes to the network third party and
is fixed in two hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from freezegun import freeze_time

from towers.servicedesk.models import Ticket
from towers.servicedesk.services.handoffs import handoff_accept, handoff_reject, ticket_hand_off
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.factories import Desk, build_desk

P3 = {"impact": 3, "urgency": 1}


@pytest.fixture(autouse=True, scope="session")
def _routes_loaded_before_any_clock_is_frozen() -> None:
    """The API's schemas are built when the URLconf first loads; under freezegun they would see its fake dates."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def desk(estate) -> Desk:
    return build_desk(estate)


@dataclass
class March:
    desk: Desk
    t1: Ticket
    t2: Ticket
    t3: Ticket
    t4: Ticket
    t5: Ticket


def resolve(desk: Desk, ticket: Ticket, person) -> None:
    ticket_transition(actor=desk.actor(person), ticket=ticket, state="resolved", resolution_code="fixed")


@pytest.fixture
def march(desk) -> March:
    estate = desk.estate
    agent, apps, net = desk.actor(desk.agent), desk.actor(desk.apps_resolver), desk.actor(estate.network_resolver)
    with freeze_time("2026-02-10 09:00:00+00:00"):
        t4 = desk.raise_incident(title="Old printer fault", **P3)
    with freeze_time("2026-03-02 09:00:00+00:00") as clock:
        t1 = desk.raise_incident(title="Password reset", **P3)
        t2 = desk.raise_incident(title="Crime system errors", **P3)
        clock.tick(timedelta(minutes=10))
        ticket_transition(actor=agent, ticket=t1, state="in_progress")
        sent = ticket_hand_off(actor=agent, ticket=t2, to_team=desk.apps_team, reason="Application fault")
        clock.tick(timedelta(minutes=10))
        handoff_accept(actor=apps, handoff=sent)
        clock.tick(timedelta(minutes=10))
        ticket_transition(actor=apps, ticket=t2, state="pending", pending_reason="supplier")
        clock.tick(timedelta(minutes=30))  # 10:00
        resolve(desk, t1, desk.agent)
        clock.tick(timedelta(hours=5, minutes=30))  # 15:30: six hours pending
        ticket_transition(actor=apps, ticket=t2, state="in_progress")
        clock.tick(timedelta(hours=3, minutes=40))  # 19:10
        resolve(desk, t2, desk.apps_resolver)
    with freeze_time("2026-03-03 09:00:00+00:00") as clock:
        t3 = desk.raise_incident(title="Intermittent log-in failures", **P3)
        first = ticket_hand_off(actor=agent, ticket=t3, to_team=desk.apps_team, reason="Application fault")
        clock.tick(timedelta(minutes=5))
        handoff_reject(actor=apps, handoff=first, reason="This is the network")
        t3.refresh_from_db()
        clock.tick(timedelta(minutes=5))
        ticket_hand_off(actor=agent, ticket=t3, to_team=desk.apps_team, reason="Network is clear: it is yours")
    with freeze_time("2026-03-04 09:00:00+00:00") as clock:
        t5 = desk.raise_incident(title="Branch office offline", **P3)
        clock.tick(timedelta(minutes=10))
        to_network = ticket_hand_off(actor=agent, ticket=t5, to_team=estate.network_team, reason="Line down")
        clock.tick(timedelta(minutes=10))
        handoff_accept(actor=net, handoff=to_network)
        clock.tick(timedelta(minutes=100))  # 11:00
        resolve(desk, t5, estate.network_resolver)
    for ticket in (t1, t2, t3, t4, t5):
        ticket.refresh_from_db()
    return March(desk, t1, t2, t3, t4, t5)
