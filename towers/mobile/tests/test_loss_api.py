"""Lost and stolen devices through the API, and the owner's mobile settings; who may see and change them."""

import pytest

from towers.core.models import AuditEntry
from towers.mobile.models import DeviceStatus, LossReport, MobileSettings
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/mobile"


def test_the_officer_reports_a_theft_and_reads_what_it_raised(client, fleet, lost):
    auth = bearer(fleet.officer, fleet.owner)
    body = {"kind": "stolen", "location": "Bus station", "crime_reference": "NP/9/26", "occurred_at": None}
    response = client.post(f"{BASE}/devices/{lost.id}/loss", body, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    loss = response.json()
    assert loss["kind"] == "stolen" and loss["incident"]["priority"] == "P2" and loss["security_case_opened"]
    assert {task["purpose"] for task in loss["tasks"]} == {"wipe", "bar_line"}
    assert loss["incident"]["reference"].startswith("INC")
    listed = client.get(f"{BASE}/losses?open=true", **bearer(fleet.manager, fleet.supplier)).json()
    assert [item["id"] for item in listed["items"]] == [loss["id"]]
    assert LossReport.objects.get().incident.channel == "api"


def test_a_report_names_what_is_wrong(client, fleet, lost):
    auth = bearer(fleet.officer, fleet.owner)
    response = client.post(
        f"{BASE}/devices/{lost.id}/loss", {"kind": "mislaid"}, content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert "kind" in response.content.decode()
    assert not LossReport.objects.exists()


def test_found_through_the_api(client, fleet, lost):
    auth = bearer(fleet.officer, fleet.owner)
    client.post(f"{BASE}/devices/{lost.id}/loss", {"kind": "lost"}, content_type="application/json", **auth)
    response = client.post(
        f"{BASE}/devices/{lost.id}/found", {"note": "In my locker"}, content_type="application/json", **auth
    )
    assert response.status_code == 200, response.content
    assert response.json()["found_at"] is not None
    lost.refresh_from_db()
    assert lost.status == DeviceStatus.ISSUED


def test_another_supplier_can_neither_see_nor_report(client, fleet, lost):
    auth = bearer(fleet.estate.applications_admin, fleet.estate.applications)
    response = client.post(f"{BASE}/devices/{lost.id}/loss", {"kind": "lost"}, content_type="application/json", **auth)
    assert response.status_code == 404
    client.post(
        f"{BASE}/devices/{lost.id}/loss",
        {"kind": "lost"},
        content_type="application/json",
        **bearer(fleet.officer, fleet.owner),
    )
    report = LossReport.objects.get()
    assert client.get(f"{BASE}/losses", **auth).json()["count"] == 0
    assert client.get(f"{BASE}/losses/{report.id}", **auth).status_code == 404
    assert (
        client.post(f"{BASE}/devices/{lost.id}/found", {}, content_type="application/json", **auth).status_code == 404
    )
    lost.refresh_from_db()
    assert lost.status == DeviceStatus.LOST


def test_the_losses_list_does_not_grow_queries_with_its_rows(client, fleet, lost, django_assert_max_num_queries):
    from towers.mobile.services.loss import device_report_loss
    from towers.organisations.tests.factories import actor_of

    for n in range(4):
        device = fleet.device(person=fleet.officer, status=DeviceStatus.ISSUED, name=f"EXTRA-{n}")
        device_report_loss(actor=actor_of(fleet.estate.authority_admin), device=device, kind="lost")
    auth = bearer(fleet.manager, fleet.supplier)
    with django_assert_max_num_queries(12):
        body = client.get(f"{BASE}/losses", **auth).json()
    assert body["count"] == 4 and all(len(item["tasks"]) == 1 for item in body["items"])


def test_the_owner_configures_and_others_cannot(client, fleet, lost):
    settings = MobileSettings.objects.get(organisation=fleet.owner)
    admin = bearer(fleet.estate.authority_admin, fleet.owner)
    url = f"{BASE}/settings/{fleet.owner.id}"
    current = client.get(url, **admin)
    assert current.json()["wipe_team"] == str(fleet.team.id)
    change = {"loss_impact": 1, "line_teams": [str(fleet.estate.network_team.id)]}
    response = client.patch(url, change, content_type="application/json", HTTP_IF_MATCH=current["ETag"], **admin)
    assert response.status_code == 200, response.content
    assert response.json()["loss_impact"] == 1
    assert AuditEntry.objects.filter(action="mobile.settings.updated").count() == 1
    wrong = client.patch(url, {"loss_urgency": 7}, content_type="application/json", **admin)
    assert wrong.status_code == 422 and "loss_urgency" in wrong.content.decode()

    other = bearer(fleet.estate.applications_admin, fleet.estate.applications)
    assert client.get(url, **other).status_code == 404
    assert client.patch(url, {"loss_impact": 3}, content_type="application/json", **other).status_code == 404
    settings.refresh_from_db()
    assert settings.loss_impact == 1


def test_an_officer_lists_only_the_losses_of_their_own_devices(client, fleet, lost):
    from towers.mobile.services.loss import device_report_loss
    from towers.organisations.tests.factories import actor_of

    colleague = fleet.device(person=None, status=DeviceStatus.ISSUED, name="COLLEAGUE")
    device_report_loss(actor=actor_of(fleet.estate.authority_admin), device=colleague, kind="lost")
    auth = bearer(fleet.officer, fleet.owner)
    client.post(f"{BASE}/devices/{lost.id}/loss", {"kind": "lost"}, content_type="application/json", **auth)
    mine = client.get(f"{BASE}/losses", **auth).json()
    assert [item["device"]["name"] for item in mine["items"]] == ["NP-7001"]
    others = LossReport.objects.get(device=colleague)
    assert client.get(f"{BASE}/losses/{others.id}", **auth).status_code == 404
