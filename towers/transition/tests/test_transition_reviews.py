"""The March 2026 service review of a supplier transition: packs, dashboard and clock lists either side of the date.

The world (24x7 calendar; London time is UTC in early March):

* OLD, raised 5 March 09:00 and routed to the applications supplier ("apps"), accepted by it at 09:10 and
  resolved at 11:00: wholly the outgoing supplier's work, before the move.
* NEW, raised 10 March 09:00 and routed to "apps", which never picks it up. The transition of the Crime system
  to Next Apps Ltd ("apps-next") is effective 10:00 and applied, back-dated, at 10:20. Next application support
  accepts it at 10:25 and resolves it at 14:00.

The targets (servicedesk factories, copied for the incoming supplier by the move): P3 OLA response 30 min,
P3 SLA response 1 h, P3 SLA resolution 8 h. So on NEW the outgoing OLA runs 09:00–10:00 (3600 s, breached at
09:30), the incoming OLA 10:00–10:25 (1500 s, met), and the SLAs, moved whole to the incoming supplier's copies,
run from 09:00: response to 10:25 (5100 s, breached at 10:00) and resolution to 14:00 (18000 s, met).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time

from towers.contracts.models import ServiceLevel
from towers.core.actor import Actor
from towers.core.roles import Role
from towers.organisations.models import Organisation, Team
from towers.organisations.tests.factories import Estate, TeamMembershipFactory, actor_of, person_with_roles
from towers.reporting.pack import ServicePack
from towers.reporting.pack_common import PackScope
from towers.reporting.selectors_dashboard import Dashboard, SupplierRow, dashboard_build
from towers.reporting.selectors_pack import build_pack
from towers.reporting.selectors_records import ClockFilters, month_clock_list
from towers.servicedesk.models import HandOff, Ticket, TicketClock
from towers.servicedesk.services.handoffs import handoff_accept
from towers.servicedesk.services.tickets import ticket_create, ticket_transition, tickets_close_resolved
from towers.servicedesk.tests.factories import Desk
from towers.transition.services.move import transition_run
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")
MARCH = date(2026, 3, 1)
REVIEWED = datetime(2026, 4, 2, 9, tzinfo=UTC)


def march(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


EFFECTIVE = march(10, 10)


@pytest.fixture(autouse=True, scope="module")
def _routes_loaded_before_any_clock_is_frozen() -> None:
    """The API's schemas are built when the URLconf first loads; under freezegun they would see its fake dates."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@dataclass
class World:
    estate: Estate
    desk: Desk
    apps: Organisation
    incoming: Organisation
    old: Ticket
    new: Ticket

    @property
    def admin(self) -> Actor:
        return actor_of(self.estate.authority_admin)

    def copy_of(self, level: ServiceLevel) -> ServiceLevel:
        return ServiceLevel.objects.get(code=f"{level.code}-apps-next")

    def pack(self, supplier: Organisation) -> ServicePack:
        with freeze_time(REVIEWED):
            return build_pack(actor=self.admin, month=MARCH, supplier=supplier)

    def dashboard(self) -> Dashboard:
        with freeze_time(REVIEWED):
            return dashboard_build(actor=self.admin, month=MARCH)

    def clocks(self, supplier: Organisation, provider: str) -> list[tuple[str, str, str, str, float, bool]]:
        """(ticket title, kind, metric, provider code, elapsed seconds, breached) of the month's listed clocks."""
        scope = PackScope(actor=self.admin, month=MARCH, supplier=supplier)
        with freeze_time(REVIEWED):
            rows = month_clock_list(scope, ClockFilters(provider=provider))
            return [
                (c.ticket.title, c.kind, c.metric, c.organisation.code, c.elapsed_seconds, c.breached) for c in rows
            ]


def _raise(desk: Desk, title: str) -> Ticket:
    """A P3 incident on the Crime system routed to the applications supplier's team (hand-off pending acceptance)."""
    return ticket_create(actor=SYSTEM, title=title, service=desk.service, team=desk.apps_team, impact=2, urgency=2)


def _accept(ticket: Ticket, organisation: Organisation, actor: Actor) -> None:
    handoff_accept(actor=actor, handoff=HandOff.objects.get(ticket=ticket, to_organisation=organisation))


def _resolve(ticket: Ticket, actor: Actor) -> None:
    ticket.refresh_from_db()
    ticket_transition(actor=actor, ticket=ticket, state="resolved", resolution_code="fixed")


@pytest.fixture
def world(estate) -> World:
    with freeze_time(march(1, 8)) as clock:
        desk = desk_for_transition(estate)
        incoming = incoming_supplier(estate)
        next_resolver = person_with_roles(incoming, Role.RESOLVER, username="next.resolver")
        TeamMembershipFactory(team=Team.objects.get(code="next-support"), person=next_resolver)
        apps_actor, next_actor = actor_of(desk.apps_resolver), actor_of(next_resolver)

        clock.move_to(march(5, 9))
        old = _raise(desk, "Old fault")
        clock.move_to(march(5, 9, 10))
        _accept(old, estate.applications, apps_actor)
        clock.move_to(march(5, 11))
        _resolve(old, apps_actor)

        clock.move_to(march(10, 9))
        new = _raise(desk, "New fault")
        clock.move_to(march(10, 10, 20))  # applied twenty minutes after the date it is effective from
        transition = crime_transition(desk, incoming, EFFECTIVE)
        runner = actor_of(estate.integrator_admin)
        transition_run(actor=runner, transition=transition, dry_run=True)
        report = transition_run(actor=runner, transition=transition, dry_run=False)
        assert not report.problems
        clock.move_to(march(10, 10, 25))
        _accept(new, incoming, next_actor)
        clock.move_to(march(10, 14))
        _resolve(new, next_actor)
    old.refresh_from_db()
    new.refresh_from_db()
    return World(estate, desk, estate.applications, incoming, old, new)


def _rows(pack: ServicePack) -> set[tuple[str, str, str, str, int, int, Decimal | None]]:
    return {(a.level, a.kind, a.priority, a.provider, a.measured, a.met, a.attained_percent) for a in pack.attainment}


def _figure(pack: ServicePack, section: str, label: str) -> object:
    found = next(s for s in pack.sections if s.key == section)
    return next(f.value for f in found.figures if f.label == label)


def _row(dashboard: Dashboard, code: str) -> SupplierRow:
    return next(row for row in dashboard.rows if row.code == code)


def test_the_tickets_clocks_split_at_the_date_and_the_old_ticket_keeps_the_outgoing_slas(world):
    apps, incoming = world.apps, world.incoming
    outgoing_hold = HandOff.objects.get(ticket=world.new, to_organisation=apps)
    incoming_hold = HandOff.objects.get(ticket=world.new, to_organisation=incoming)
    assert (outgoing_hold.created_at, outgoing_hold.released_at) == (march(10, 9), EFFECTIVE)
    assert (incoming_hold.created_at, incoming_hold.released_at) == (EFFECTIVE, march(10, 14))

    new = {
        (c.handoff_id, c.kind, c.metric): (c.organisation_id, c.elapsed_seconds, c.breached, c.stopped_at)
        for c in TicketClock.objects.filter(ticket=world.new)
    }
    assert new == {
        (outgoing_hold.id, "ola", "response"): (apps.id, 3600.0, True, EFFECTIVE),
        (incoming_hold.id, "ola", "response"): (incoming.id, 1500.0, False, march(10, 10, 25)),
        (None, "sla", "response"): (incoming.id, 5100.0, True, march(10, 10, 25)),
        (None, "sla", "resolution"): (incoming.id, 18000.0, False, march(10, 14)),
    }
    old = {
        (c.kind, c.metric): (c.organisation_id, c.service_level_id, c.elapsed_seconds, c.breached)
        for c in TicketClock.objects.filter(ticket=world.old)
    }
    desk = world.desk
    assert old == {
        ("ola", "response"): (apps.id, desk.ola_apps.id, 600.0, False),
        ("sla", "response"): (apps.id, desk.sla_response.id, 600.0, False),
        ("sla", "resolution"): (apps.id, desk.sla_resolution.id, 7200.0, False),
    }
    # The move ended every outgoing level on the service at the date; the copies are in force from it.
    assert not ServiceLevel.objects.filter(provider=apps, is_active=True).exists()
    assert ServiceLevel.objects.filter(provider=incoming, kind="sla", is_active=True).count() == 5


def test_the_outgoing_suppliers_pack_keeps_its_ended_slas_and_its_ola_up_to_the_date(world):
    pack = world.pack(world.apps)
    desk = world.desk
    assert _rows(pack) == {
        # Its P3 OLA measured twice: met on OLD (10 min), breached on NEW (09:00–10:00, an hour on 30 min).
        (desk.ola_apps.name, "ola", "P3", "Apps Supplier", 2, 1, Decimal("50.0")),
        # Every level it had ended with the move and still answers for March; those that measured nothing drop out.
        (desk.sla_response.name, "sla", "P3", "Apps Supplier", 1, 1, Decimal("100.0")),
        (desk.sla_resolution.name, "sla", "P3", "Apps Supplier", 1, 1, Decimal("100.0")),
    }
    # Every breached clock of a ticket it is party to: its own OLA on NEW, and the incoming SLA copy's response.
    breaches = {(b.reference, b.level, b.overdue_hours) for b in pack.breaches}
    assert breaches == {
        (world.new.reference, desk.ola_apps.name, Decimal("0.5")),
        (world.new.reference, world.copy_of(desk.sla_response).name, Decimal("0.4")),
    }
    sla_breach = next(b for b in pack.breaches if b.level == world.copy_of(desk.sla_response).name)
    # Fell due at 10:00, the instant the incoming supplier took the ticket (and still held it at the 10:25 stop).
    assert sla_breach.holder == "Next Apps Ltd"
    assert "held longest by Apps Supplier (1.0 h)" in sla_breach.reason
    assert (_figure(pack, "volumes", "Incidents opened"), _figure(pack, "volumes", "Incidents resolved")) == (2, 2)


def test_the_incoming_suppliers_pack_measures_it_from_the_date_on_the_ticket_it_took(world):
    pack = world.pack(world.incoming)
    desk = world.desk
    by_kind = {(a.kind, a.level): (a.priority, a.measured, a.met, a.attained_percent) for a in pack.attainment}
    copy = world.copy_of
    p2_resolution = ServiceLevel.objects.get(provider=world.apps, kind="sla", metric="resolution", priority="P2")
    p4_response = ServiceLevel.objects.get(provider=world.apps, kind="sla", metric="response", priority="P4")
    p4_resolution = ServiceLevel.objects.get(provider=world.apps, kind="sla", metric="resolution", priority="P4")
    ola_p4 = ServiceLevel.objects.get(provider=world.apps, kind="ola", priority="P4")
    assert by_kind == {
        ("ola", copy(desk.ola_apps).name): ("P3", 1, 1, Decimal("100.0")),  # 10:00–10:25 on 30 min
        ("ola", copy(ola_p4).name): ("P4", 0, 0, None),
        ("sla", copy(desk.sla_response).name): ("P3", 1, 0, Decimal("0.0")),  # 09:00–10:25 on an hour
        ("sla", copy(desk.sla_resolution).name): ("P3", 1, 1, Decimal("100.0")),  # 09:00–14:00 on 8 hours
        ("sla", copy(p2_resolution).name): ("P2", 0, 0, None),
        ("sla", copy(p4_response).name): ("P4", 0, 0, None),
        ("sla", copy(p4_resolution).name): ("P4", 0, 0, None),
    }
    assert {a.provider for a in pack.attainment} == {"Next Apps Ltd"}
    assert {b.reference for b in pack.breaches} == {world.new.reference}  # OLD is not its ticket
    assert {b.level for b in pack.breaches} == {desk.ola_apps.name, copy(desk.sla_response).name}
    assert (_figure(pack, "volumes", "Incidents opened"), _figure(pack, "volumes", "Incidents resolved")) == (1, 1)
    assert world.new.parties.filter(organisation=world.incoming).exists()
    assert not world.old.parties.filter(organisation=world.incoming).exists()


def _attained(pack: ServicePack, kind: str) -> Decimal | None:
    rows = [a for a in pack.attainment if (a.kind == "sla") == (kind == "sla")]
    measured, met = sum(a.measured for a in rows), sum(a.met for a in rows)
    return (Decimal(met) * 100 / measured).quantize(Decimal("0.1")) if measured else None


def test_the_dashboard_rows_agree_with_each_suppliers_pack(world):
    dashboard = world.dashboard()
    expected = {"apps": (Decimal("100.0"), Decimal("50.0"), 2), "apps-next": (Decimal("50.0"), Decimal("100.0"), 2)}
    for supplier in (world.apps, world.incoming):
        row, pack = _row(dashboard, supplier.code), world.pack(supplier)
        assert (row.sla.value, row.ola.value, row.breaches.value) == expected[supplier.code]
        assert (_attained(pack, "sla"), _attained(pack, "ola"), len(pack.breaches)) == expected[supplier.code]
        assert not any("breaches in the month" in note for note in pack.notes)  # every breach is listed


def test_each_suppliers_clock_list_holds_exactly_its_own_clocks(world):
    assert sorted(world.clocks(world.apps, "apps")) == [
        ("New fault", "ola", "response", "apps", 3600.0, True),
        ("Old fault", "ola", "response", "apps", 600.0, False),
        ("Old fault", "sla", "resolution", "apps", 7200.0, False),
        ("Old fault", "sla", "response", "apps", 600.0, False),
    ]
    assert sorted(world.clocks(world.incoming, "apps-next")) == [
        ("New fault", "ola", "response", "apps-next", 1500.0, False),
        ("New fault", "sla", "resolution", "apps-next", 18000.0, False),
        ("New fault", "sla", "response", "apps-next", 5100.0, True),
    ]
    # Breached first: the list opens on the clock behind the breach figure.
    assert world.clocks(world.apps, "apps")[0] == ("New fault", "ola", "response", "apps", 3600.0, True)


def test_the_outgoing_olas_breach_names_the_outgoing_supplier_as_holder(world):
    for supplier in (world.apps, world.incoming):
        [breach] = [b for b in world.pack(supplier).breaches if b.level == world.desk.ola_apps.name]
        assert breach.holder == "Apps Supplier"


def test_a_ticket_resolved_before_the_date_and_closed_after_it_stays_the_outgoing_suppliers(world):
    with freeze_time(march(12, 12)):
        assert tickets_close_resolved(actor=Actor.system("auto-close")) == 1
    world.old.refresh_from_db()
    assert world.old.state == "closed"
    providers = set(TicketClock.objects.filter(ticket=world.old).values_list("kind", "organisation__code"))
    assert providers == {("ola", "apps"), ("sla", "apps")}
    pack = world.pack(world.apps)
    desk = world.desk
    assert {(a.level, a.measured, a.met) for a in pack.attainment if a.kind == "sla"} == {
        (desk.sla_response.name, 1, 1),
        (desk.sla_resolution.name, 1, 1),
    }
    assert _row(world.dashboard(), "apps").sla.value == Decimal("100.0")
