"""The pack's query count depends on its sections and service levels, never on how many tickets the month held."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from towers.organisations.tests.factories import actor_of
from towers.reporting.selectors_pack import build_pack
from towers.reporting.tests.conftest import P3, resolve
from towers.servicedesk.services.handoffs import handoff_accept, ticket_hand_off

MARCH = date(2026, 3, 1)
AFTER = "2026-04-02 09:00:00+00:00"


def _build(desk, person, supplier=None):
    with freeze_time(AFTER):
        return build_pack(actor=actor_of(person), month=MARCH, supplier=supplier)


def test_many_more_tickets_take_no_more_queries(march, django_assert_max_num_queries):
    desk = march.desk
    estate = desk.estate
    readers = ((estate.authority_admin, None), (estate.applications_admin, estate.applications))
    baseline = {}
    for person, supplier in readers:
        with CaptureQueriesContext(connection) as queries:
            _build(desk, person, supplier)
        baseline[person.pk] = len(queries)
    agent, apps = desk.actor(desk.agent), desk.actor(desk.apps_resolver)
    with freeze_time("2026-03-10 09:00:00+00:00") as clock:
        for n in range(12):
            ticket = desk.raise_incident(title=f"Fault {n}", **P3)
            clock.tick(timedelta(minutes=5))
            sent = ticket_hand_off(actor=agent, ticket=ticket, to_team=desk.apps_team, reason="Application fault")
            handoff_accept(actor=apps, handoff=sent)
            clock.tick(timedelta(hours=9 if n % 2 else 1))  # every other one breaches
            resolve(desk, ticket, desk.apps_resolver)
    for person, supplier in readers:
        with django_assert_max_num_queries(baseline[person.pk]):
            pack = _build(desk, person, supplier)
        assert len(pack.breaches) == 7  # T2 and six of the twelve
    assert baseline[estate.authority_admin.pk] <= 40
