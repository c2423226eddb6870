"""The fleet figures: counted right, restricted to what the actor may see, and trended month by month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from towers.mobile.models import Device, DeviceEvent
from towers.mobile.selectors_dashboard import FleetFilters, fleet_figures
from towers.organisations.models import Organisation
from towers.organisations.tests.factories import actor_of

_serial = count(1)
TODAY = date.today()


def device(organisation: Organisation, **fields: object) -> Device:
    n = next(_serial)
    return Device.objects.create(organisation=organisation, imei=f"35{n:013d}", serial=f"SN{n:06d}", **fields)


def small_fleet(estate) -> list[Device]:
    """Five of the authority's devices: four run by the integrator, one by the applications supplier."""
    auth, integrator = estate.authority, estate.integrator
    return [
        device(auth, supplier=integrator, make="Apple", model="iPhone 15", platform="ios", os_version="17.5",
               status="issued", compliance="compliant", team=estate.integrator_team,
               purchased_on=TODAY - timedelta(days=180)),
        device(auth, supplier=integrator, make="Apple", model="iPhone 15", platform="ios", os_version="17.4",
               status="issued", compliance="non_compliant", team=estate.integrator_team,
               purchased_on=TODAY - timedelta(days=550)),
        device(auth, supplier=integrator, make="Samsung", model="Galaxy S23", platform="android", os_version="14",
               status="in_repair", compliance="non_compliant", team=estate.applications_team,
               enrolled_at=datetime.now(UTC) - timedelta(days=1280)),
        device(auth, supplier=integrator, make="Samsung", model="Galaxy S23", platform="android", os_version="13",
               status="retired"),
        device(auth, supplier=estate.applications, make="Apple", model="iPhone 12", platform="ios", os_version="16.7",
               status="lost", compliance="compliant", ownership="personal",
               purchased_on=TODAY - timedelta(days=5 * 365), last_check_in=datetime(2026, 7, 1, 9, tzinfo=UTC)),
    ]  # fmt: skip


def counts(figures, name: str) -> dict[str, int]:
    breakdown = next(b for b in figures.breakdowns if b.name == name)
    return {bucket.key: bucket.count for bucket in breakdown.buckets}


def test_figures_count_the_fleet_by_each_breakdown(estate):
    small_fleet(estate)
    figures = fleet_figures(actor_of(estate.authority_admin), FleetFilters())
    assert (figures.total, figures.non_compliant) == (5, 2)
    assert counts(figures, "status") == {
        "in_stock": 0, "issued": 2, "in_repair": 1, "lost": 1, "stolen": 0, "retired": 1
    }  # fmt: skip
    assert counts(figures, "platform") == {"ios": 3, "android": 2, "windows": 0, "other": 0}
    assert counts(figures, "compliance") == {"unknown": 1, "compliant": 2, "non_compliant": 2}
    assert counts(figures, "ownership") == {"corporate": 4, "leased": 0, "personal": 1}
    assert counts(figures, "model") == {"iPhone 15": 2, "Galaxy S23": 2, "iPhone 12": 1}
    assert counts(figures, "os_version") == {
        "ios:16.7": 1,
        "ios:17.4": 1,
        "ios:17.5": 1,
        "android:13": 1,
        "android:14": 1,
    }
    assert counts(figures, "age") == {"lt1": 1, "1-2": 1, "2-3": 0, "3-4": 1, "4+": 1, "unknown": 1}
    teams = {b.label: b.count for b in next(b for b in figures.breakdowns if b.name == "team").buckets}
    assert teams == {"No team": 2, "Service desk": 2, "Application support": 1}


def test_filters_narrow_every_figure(estate):
    small_fleet(estate)
    actor = actor_of(estate.authority_admin)
    android = fleet_figures(actor, FleetFilters(platform="android"))
    assert (android.total, counts(android, "model")) == (2, {"Galaxy S23": 2})
    desk = fleet_figures(actor, FleetFilters(team=estate.integrator_team.pk, status="issued"))
    assert (desk.total, desk.non_compliant) == (2, 1)
    assert fleet_figures(actor, FleetFilters(organisation=estate.network.pk)).total == 0


def test_the_most_common_models_are_shown_and_the_rest_summed_as_other(estate):
    for n in range(12):
        for _ in range(n + 1):
            device(estate.authority, model=f"Model {n:02d}")
    buckets = next(b for b in fleet_figures(actor_of(estate.auditor), FleetFilters()).breakdowns if b.name == "model")
    assert [b.key for b in buckets.buckets][:2] == ["Model 11", "Model 10"]
    assert (len(buckets.buckets), buckets.buckets[-1].key, buckets.buckets[-1].count) == (11, "other", 1 + 2)


@pytest.mark.parametrize(
    ("person", "expected"),
    # The applications supplier supplies one device and its team holds another; the network supplier has none.
    [("network_admin", 0), ("applications_admin", 2), ("integrator_admin", 5), ("auditor", 5)],
)
def test_each_organisation_counts_only_the_devices_it_may_see(estate, person, expected):
    small_fleet(estate)
    figures = fleet_figures(actor_of(getattr(estate, person)), FleetFilters())
    assert figures.total == expected
    assert all(sum(bucket.count for bucket in b.buckets) == expected for b in figures.breakdowns)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def test_the_trend_counts_devices_in_service_and_non_compliant_at_each_months_end(estate):
    auth = estate.authority
    a = device(auth, status="retired", enrolled_at=_at("2025-03-10"))
    b = device(auth, status="issued", enrolled_at=_at("2025-10-05"), compliance="compliant")
    device(auth, status="retired", enrolled_at=_at("2025-08-01"), updated_at=_at("2025-12-20"))  # no event
    for dev, day, kind, status, data in [
        (a, "2026-02-10", "retired", "retired", {}),
        (a, "2025-09-01", "compliance_changed", "", {"from": "unknown", "reasons": ["Not encrypted"]}),
        (b, "2025-11-03", "compliance_changed", "", {"compliance": "non_compliant"}),
        (b, "2026-03-15", "compliance_changed", "", {"from": "non_compliant", "reasons": []}),  # as evaluated
    ]:
        DeviceEvent.objects.create(device=dev, at=_at(day), kind=kind, status=status, data=data, actor_label="t")
    figures = fleet_figures(actor_of(estate.auditor), FleetFilters(), today=date(2026, 6, 15))
    assert [p.month for p in figures.trend][:2] == [date(2025, 7, 1), date(2025, 8, 1)]
    assert [p.in_service for p in figures.trend] == [1, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1]
    assert figures.trend_has_compliance_history
    assert [p.non_compliant for p in figures.trend] == [0, 0, 1, 1, 2, 2, 2, 1, 0, 0, 0, 0]
    assert figures.trend[4].non_compliant_share == pytest.approx(2 / 3)


def test_without_compliance_history_only_the_current_month_has_a_share(estate):
    small_fleet(estate)
    trend = fleet_figures(actor_of(estate.auditor), FleetFilters()).trend
    assert [p.non_compliant for p in trend] == [None] * 11 + [2]
    assert trend[-1].in_service == 4  # the retired one is out of service
