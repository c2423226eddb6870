"""Registering a device and a SIM by hand through the pages; refusals name the field; other suppliers are refused."""

import pytest
from django.urls import reverse

from towers.core.models import AuditEntry
from towers.mobile.models import Device, SimCard
from towers.mobile.tests.factories import iccid, imei
from towers.organisations.tests.factories import sign_in

pytestmark = pytest.mark.django_db


def _device_form(fleet, **kwargs):
    return {
        "organisation": str(fleet.owner.pk), "support_team": str(fleet.team.pk), "imei": imei(42),
        "name": "NP-NEW-1", "make": "Apple", "model": "iPhone 16", "platform": "ios", "os_version": "18.1",
        "ownership": "corporate", "holds_police_data": "on", "purchased_on": "2026-11-01",
    } | kwargs  # fmt: skip


def test_the_supplier_registers_a_device_and_its_sim(client, fleet):
    sign_in(client, fleet.manager)
    page = client.get(reverse("mobile_device_new"))
    assert page.status_code == 200 and "Register a device" in page.content.decode()
    response = client.post(reverse("mobile_device_new"), _device_form(fleet))
    device = Device.objects.get()
    assert response.status_code == 302 and response.url == reverse("mobile_device_detail", args=[device.pk])
    assert device.ci.support_team == fleet.team and device.supplier == fleet.supplier and device.holds_police_data
    response = client.post(
        reverse("mobile_sim_new", args=[device.pk]),
        {"iccid": iccid(42), "msisdn": "+447700900042", "operator": str(fleet.operator.pk)},
    )
    assert response.status_code == 302
    assert SimCard.objects.get().device == device
    assert {"mobile.device.registered", "mobile.sim.registered"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_a_bad_imei_is_named_and_nothing_is_registered(client, fleet):
    sign_in(client, fleet.manager)
    response = client.post(reverse("mobile_device_new"), _device_form(fleet, imei="123456789012345"))
    assert response.status_code == 200 and "check digit" in response.content.decode()
    assert not Device.objects.exists()


def test_another_supplier_cannot_register_for_the_owner_or_add_sims(client, fleet):
    device = fleet.device()
    sign_in(client, fleet.estate.applications_admin)
    response = client.post(reverse("mobile_device_new"), _device_form(fleet, support_team=""))
    assert response.status_code in (200, 403) and not Device.objects.exclude(pk=device.pk).exists()
    assert client.get(reverse("mobile_sim_new", args=[device.pk])).status_code == 404
    assert client.post(reverse("mobile_sim_new", args=[device.pk]), {"iccid": iccid(43)}).status_code == 404
    assert not SimCard.objects.exists()
