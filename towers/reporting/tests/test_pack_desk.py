"""The desk's figures in the pack, from a month driven through the real services (see conftest)."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from towers.organisations.tests.factories import actor_of
from towers.reporting.pack import ServicePack
from towers.reporting.selectors_pack import build_pack

MARCH = date(2026, 3, 1)


def figure(pack: ServicePack, section: str, label: str):
    found = next(s for s in pack.sections if s.key == section)
    return next(f for f in found.figures if f.label == label)


def attainment(pack: ServicePack, level):
    return next(a for a in pack.attainment if a.level == level.name)


@pytest.fixture
def estate_pack(march):
    with freeze_time("2026-04-02 09:00:00+00:00"):
        return build_pack(actor=actor_of(march.desk.estate.authority_admin), month=MARCH, supplier=None)


@pytest.fixture
def apps_pack(march):
    estate = march.desk.estate
    with freeze_time("2026-04-02 09:00:00+00:00"):
        return build_pack(actor=actor_of(estate.applications_admin), month=MARCH, supplier=estate.applications)


def test_volumes_count_the_month_by_kind_with_last_month_beside(estate_pack, apps_pack):
    opened = figure(estate_pack, "volumes", "Incidents opened")
    assert (opened.value, opened.previous) == (4, 1)
    assert opened.link.startswith("/queues/?team=&") and "kind=incident" in opened.link
    assert figure(estate_pack, "volumes", "Incidents resolved").value == 3
    # The supplier's pack counts only what it held: T2 and T3.
    assert figure(apps_pack, "volumes", "Incidents opened").value == 2
    assert figure(apps_pack, "volumes", "Incidents resolved").value == 1


def test_twelve_month_trend_ends_with_the_pack_month(estate_pack):
    opened = next(s for s in estate_pack.trends if s.label == "Incidents opened")
    assert len(opened.points) == 12 and opened.points[0][0] == date(2025, 4, 1)
    assert opened.points[-2:] == ((date(2026, 2, 1), 1), (date(2026, 3, 1), 4))
    attained = next(s for s in estate_pack.trends if s.label == "SLA attainment")
    assert attained.unit == "%" and attained.points[-1][1] > 0


def test_first_time_fix_and_mttr_of_incidents_resolved_in_the_month(estate_pack, apps_pack):
    # T1 fixed by the desk; T2 and T5 were handed off.
    assert figure(estate_pack, "resolution", "First-time fix").value == Decimal("33.3")
    assert figure(apps_pack, "resolution", "First-time fix").value == Decimal("0.0")
    # 1 h, 10 h 10 min and 2 h: the calendar is 24x7 and pending on a supplier does not pause the SLA.
    assert figure(estate_pack, "resolution", "MTTR (wall-clock hours, mean)").value == Decimal("4.4")
    assert figure(estate_pack, "resolution", "MTTR (wall-clock hours, median)").value == Decimal("2.0")
    assert figure(estate_pack, "resolution", "MTTR (business hours, mean)").value == Decimal("4.4")


def test_attainment_counts_clocks_met_or_breached_in_the_month(march, estate_pack, apps_pack):
    level = march.desk.sla_resolution
    row = attainment(estate_pack, level)
    assert (row.measured, row.met, row.attained_percent, row.breached) == (3, 2, Decimal("66.7"), True)
    assert row.target_percent == Decimal("95.00") and row.link == f"/reviews/2026-03/clocks/?level={level.pk}"
    # The supplier's pack measures only the tickets it held: T2, which breached.
    mine = attainment(apps_pack, level)
    assert (mine.measured, mine.met, mine.attained_percent) == (1, 0, Decimal("0.0"))


def test_a_stored_result_is_preferred_to_counting_clocks(march):
    from towers.sla.tests.factories import ServiceLevelResultFactory

    level = march.desk.sla_resolution
    ServiceLevelResultFactory(service_level=level, period=MARCH, actual=Decimal("97.250"), measured=40, met=39)
    with freeze_time("2026-04-02 09:00:00+00:00"):
        pack = build_pack(actor=actor_of(march.desk.estate.authority_admin), month=MARCH, supplier=None)
    row = attainment(pack, level)
    assert (row.measured, row.met, row.attained_percent, row.breached) == (40, 39, Decimal("97.2"), False)


def test_a_breach_names_its_holder_how_late_and_why(march, estate_pack):
    breaches = [b for b in estate_pack.breaches if b.reference == march.t2.reference]
    assert len(breaches) == 1
    breach = breaches[0]
    assert breach.holder == "Apps Supplier" and breach.overdue_hours == Decimal("2.2")
    assert breach.reason.startswith("pending supplier 6.0 h; 1 hand-off")
    assert "held longest by Apps Supplier (10.0 h)" in breach.reason
    assert breach.link == f"/tickets/{march.t2.reference}/"


def test_hand_offs_and_ping_pong_across_suppliers(estate_pack, apps_pack):
    assert figure(estate_pack, "handoffs", "Hand-offs").value == 4
    assert figure(estate_pack, "handoffs", "Hand-offs rejected").value == 1
    assert figure(estate_pack, "handoffs", "Rejection rate").value == Decimal("25.0")
    assert figure(estate_pack, "handoffs", "Tickets that crossed suppliers").value == 3
    ping_pong = figure(estate_pack, "handoffs", "Ping-pong tickets")
    assert ping_pong.value == 1 and "ping_pong=on" in ping_pong.link
    assert figure(apps_pack, "handoffs", "Hand-offs received").value == 3


def test_backlog_is_aged_at_the_month_end(estate_pack, apps_pack):
    bands = {band.label: band.count for band in estate_pack.backlog_ageing}
    assert bands == {"< 1 day": 0, "1–3 days": 0, "3–7 days": 0, "7–30 days": 1, "> 30 days": 1}
    assert [band.count for band in apps_pack.backlog_ageing] == [0, 0, 0, 1, 0]


def test_the_network_pack_holds_only_the_network_work(march):
    estate = march.desk.estate
    with freeze_time("2026-04-02 09:00:00+00:00"):
        pack = build_pack(actor=actor_of(estate.network_admin), month=MARCH, supplier=estate.network)
    assert figure(pack, "volumes", "Incidents opened").value == 1
    assert pack.attainment == () and pack.breaches == ()
