"""The mobile demo: an Intune export through the real import, rules evaluated, a few devices lost or stolen."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from towers.core.actor import Actor
from towers.demo import estate, mobile
from towers.demo.servicedesk import configure_desk
from towers.mobile.models import (
    Compliance,
    Device,
    DeviceStatus,
    DeviceTask,
    LossReport,
    MdmImport,
    SimCard,
    WipeEvidence,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[mobile.MobileSeed | None]:
    with django_db_blocker.unblock(), transaction.atomic():
        sizes, devices = dict(estate.SIZES), dict(mobile.DEVICES)
        estate.SIZES["small"], mobile.DEVICES["small"] = 30, 120
        try:
            estate.seed("small")
            configure_desk(Actor.system("demo"))
            yield mobile.seed_mobile("small")
        finally:
            estate.SIZES.update(sizes)
            mobile.DEVICES.update(devices)
            transaction.set_rollback(True)


@pytest.fixture
def fleet(seeded_once, db):
    return seeded_once


def test_the_fleet_comes_in_through_the_intune_import_with_realistic_states(fleet):
    assert fleet is not None and fleet.devices == 120 == Device.objects.count()
    run = MdmImport.objects.get()
    assert (run.dry_run, run.rejected, run.created) == (False, 0, 120)
    statuses = set(Device.objects.values_list("status", flat=True))
    assert {DeviceStatus.ISSUED, DeviceStatus.IN_STOCK, DeviceStatus.LOST, DeviceStatus.STOLEN} <= statuses
    assert {DeviceStatus.IN_REPAIR, DeviceStatus.RETIRED} <= statuses
    assert Device.objects.filter(ci__isnull=False, person__isnull=False).exists()


def test_some_devices_break_the_rules_with_reasons(fleet):
    assert 0 < fleet.non_compliant < fleet.devices
    breaking = Device.objects.filter(compliance=Compliance.NON_COMPLIANT).first()
    assert breaking is not None and breaking.compliance_reasons


def test_seeding_twice_changes_nothing(fleet):
    assert mobile.seed_mobile("small") is None and Device.objects.count() == 120


def test_losses_raise_their_steps_and_the_older_ones_are_done(fleet):
    assert fleet.losses == LossReport.objects.count() == 10
    assert LossReport.objects.filter(kind="stolen", security_case__isnull=False).count() == 4
    assert DeviceTask.objects.filter(purpose="wipe").count() == 10
    assert WipeEvidence.objects.filter(method="remote_wipe").count() == 5  # the older half's wipes are done
    assert SimCard.objects.filter(status=SimCard.Status.BARRED).count() >= 1
    assert LossReport.objects.filter(found_at__isnull=False).count() == 1
    missing = Device.objects.filter(status__in=[DeviceStatus.LOST, DeviceStatus.STOLEN]).count()
    assert missing == 9


def test_the_demo_officer_carries_a_phone(fleet):
    assert Device.objects.filter(person__username="officer", status=DeviceStatus.ISSUED).exists()


def test_the_lifecycle_has_repairs_swaps_retirements_and_refreshes(fleet):
    purposes = set(DeviceTask.objects.values_list("purpose", flat=True))
    assert {"repair", "courier", "refresh", "wipe", "bar_line"} <= purposes
    assert DeviceTask.objects.filter(purpose="courier", outcome="done").count() == 2
    retired = Device.objects.filter(status=DeviceStatus.RETIRED)
    assert retired.exists()
    assert all(device.wipe_evidence.filter(certificate__startswith="NSE-").exists() for device in retired)
    assert retired.first().ci.lifecycle == "retired"
    assert Device.objects.filter(status=DeviceStatus.IN_REPAIR).exists()
    # A faulty device collected at a swap goes for repair on its own step, raised by the swap, not the seed.
    from_swaps = DeviceTask.objects.filter(purpose="repair", ticket__parent__isnull=False).count()
    assert from_swaps == 1
    assert fleet.steps + from_swaps == DeviceTask.objects.exclude(purpose__in=["wipe", "bar_line"]).count()
