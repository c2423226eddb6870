from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from towers.core.actor import Actor
from towers.organisations.tests.factories import actor_of
from towers.reporting.selectors_pack import build_pack
from towers.reporting.selectors_dashboard import dashboard_build
from towers.servicedesk.models import HandOff, TicketClock
from towers.servicedesk.services.handoffs import handoff_accept
from towers.servicedesk.services.tickets import ticket_create, ticket_transition, tickets_close_resolved
from towers.transition.services.move import transition_run
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


@pytest.fixture(autouse=True, scope="module")
def _routes():
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_explore(estate):
    with freeze_time(at(1, 8)) as clock:
        desk = desk_for_transition(estate)
        incoming = incoming_supplier(estate)
        clock.move_to(at(5, 9))
        a = ticket_create(actor=SYSTEM, title="Old", service=desk.service, team=desk.apps_team, impact=2, urgency=2)
        clock.move_to(at(5, 9, 10))
        handoff_accept(actor=SYSTEM, handoff=HandOff.objects.get(ticket=a))
        clock.move_to(at(5, 11))
        a.refresh_from_db()
        ticket_transition(actor=SYSTEM, ticket=a, state="resolved", resolution_code="fixed")
        clock.move_to(at(10, 9))
        b = ticket_create(actor=SYSTEM, title="New", service=desk.service, team=desk.apps_team, impact=2, urgency=2)
        clock.move_to(at(10, 10, 20))
        tr = crime_transition(desk, incoming, at(10, 10))
        actor = actor_of(estate.integrator_admin)
        transition_run(actor=actor, transition=tr, dry_run=True)
        rep = transition_run(actor=actor, transition=tr, dry_run=False)
        print(rep.problems, rep.notes)
        clock.move_to(at(10, 10, 25))
        b.refresh_from_db()
        handoff_accept(actor=SYSTEM, handoff=HandOff.objects.get(ticket=b, to_organisation=incoming))
        clock.move_to(at(10, 14))
        b.refresh_from_db()
        ticket_transition(actor=SYSTEM, ticket=b, state="resolved", resolution_code="fixed")
    for c in TicketClock.objects.order_by("ticket__opened_at", "id").select_related("organisation", "service_level", "ticket"):
        print(c.ticket.title, c.kind, c.metric, c.organisation.code, c.service_level.code, c.service_level.priority, c.state, c.elapsed_seconds, c.target_seconds, c.due_at, c.stopped_at, c.breached, c.by_organisation)
    with freeze_time("2026-04-02 09:00:00+00:00"):
        admin = actor_of(estate.authority_admin)
        for sup in (estate.applications, incoming):
            pack = build_pack(actor=admin, month=date(2026, 3, 1), supplier=sup)
            print("PACK", sup.code)
            for r in pack.attainment:
                print("  ", r)
            for r in pack.breaches:
                print("  B", r)
            print(pack.sections[0].figures[:2])
        d = dashboard_build(actor=admin, month=date(2026, 3, 1))
        for r in d.rows:
            print("DASH", r.code, r.sla, r.ola, r.breaches)
    with freeze_time(at(12, 12)):
        print("closed", tickets_close_resolved(actor=SYSTEM))
    for c in TicketClock.objects.filter(ticket=a).select_related("organisation"):
        print("A after close", c.kind, c.metric, c.organisation.code, c.elapsed_seconds, c.breached)
