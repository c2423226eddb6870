"""A SIM moved between devices and accessories through the API; another supplier sees and changes none of it."""

import pytest

from towers.core.models import AuditEntry
from towers.mobile.models import Accessory, SimCard
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/mobile"


def test_a_sim_moves_to_another_device_and_out(client, fleet):
    first, second = fleet.device(name="ONE"), fleet.device(name="TWO")
    sim = fleet.sim(device=first)
    auth = bearer(fleet.manager, fleet.supplier)
    moved = client.post(
        f"{BASE}/sims/{sim.id}/attach", {"device": str(second.id)}, content_type="application/json", **auth
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["device"] == str(second.id)
    assert {"sim_removed", "sim_attached"} <= set(first.events.values_list("kind", flat=True)) | set(
        second.events.values_list("kind", flat=True)
    )
    out = client.post(f"{BASE}/sims/{sim.id}/attach", {"device": None}, content_type="application/json", **auth)
    assert out.json()["device"] is None
    assert AuditEntry.objects.filter(action="mobile.sim.attached").count() == 2


def test_accessories_are_registered_and_listed(client, fleet):
    device = fleet.device()
    auth = bearer(fleet.estate.authority_admin, fleet.owner)
    body = {"organisation": str(fleet.owner.id), "kind": "Rugged case", "serial": "RC-1", "device": str(device.id)}
    created = client.post(f"{BASE}/accessories", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    listed = client.get(f"{BASE}/accessories?device={device.id}", **auth).json()
    assert [a["serial"] for a in listed["items"]] == ["RC-1"]
    wrong = client.post(f"{BASE}/accessories", body | {"status": "misplaced"}, content_type="application/json", **auth)
    assert wrong.status_code == 422 and "status" in wrong.content.decode()


def test_another_supplier_can_neither_see_nor_move(client, fleet):
    device = fleet.device()
    sim = fleet.sim(device=device)
    Accessory.objects.create(organisation=fleet.owner, kind="Charger", device=device)
    auth = bearer(fleet.estate.applications_admin, fleet.estate.applications)
    assert (
        client.post(
            f"{BASE}/sims/{sim.id}/attach", {"device": None}, content_type="application/json", **auth
        ).status_code
        == 404
    )
    assert client.get(f"{BASE}/accessories", **auth).json()["count"] == 0
    body = {"organisation": str(fleet.owner.id), "kind": "Case"}
    assert client.post(f"{BASE}/accessories", body, content_type="application/json", **auth).status_code in (403, 404)
    assert SimCard.objects.get().device == device and Accessory.objects.count() == 1
