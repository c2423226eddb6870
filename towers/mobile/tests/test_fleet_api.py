"""The fleet's REST routes: lists with filters and pages, detail, writes, rules; and who may see and change them."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.mobile.models import Compliance, ComplianceRule, DeviceStatus
from towers.mobile.tests.factories import Fleet, iccid
from towers.organisations.tests.test_api import bearer

BASE = "/api/v1/mobile"
IMEI = "356938035643809"


def owner(fleet: Fleet) -> dict[str, str]:
    return bearer(fleet.estate.authority_admin, fleet.owner)


def network(fleet: Fleet) -> dict[str, str]:
    return bearer(fleet.estate.network_admin, fleet.estate.network)


def test_devices_list_filters_and_pages(client, fleet: Fleet) -> None:
    fleet.device(status=DeviceStatus.ISSUED, platform="android", model="XCover7")
    fleet.device(status=DeviceStatus.IN_STOCK)
    wanted = fleet.device(status=DeviceStatus.ISSUED, name="PC1234-PHONE")
    auth = owner(fleet)
    body = client.get(f"{BASE}/devices?status=issued&limit=1", **auth).json()
    assert (body["count"], len(body["items"])) == (2, 1)
    assert client.get(f"{BASE}/devices?platform=android", **auth).json()["count"] == 1
    found = client.get(f"{BASE}/devices?q=pc1234", **auth).json()["items"]
    assert [d["id"] for d in found] == [str(wanted.id)]


def test_a_device_is_found_by_its_sims_number(client, fleet: Fleet) -> None:
    device = fleet.device()
    fleet.sim(device=device, msisdn="+447700900555")
    items = client.get(f"{BASE}/devices?q=900555", **owner(fleet)).json()["items"]
    assert [d["id"] for d in items] == [str(device.id)]


def test_register_get_patch_and_assign_a_device(client, fleet: Fleet) -> None:
    auth = owner(fleet)
    payload = {
        "organisation": str(fleet.owner.id),
        "imei": IMEI,
        "model": "iPhone 15",
        "support_team": str(fleet.team.id),
    }
    created = client.post(f"{BASE}/devices", payload, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    device = created.json()
    assert device["ci"] and device["supplier"]["id"] == str(fleet.supplier.id)
    url = f"{BASE}/devices/{device['id']}"
    patched = client.patch(url, {"os_version": "17.5"}, content_type="application/json", HTTP_IF_MATCH='"1"', **auth)
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    stale = client.patch(url, {"name": "x"}, content_type="application/json", HTTP_IF_MATCH='"1"', **auth)
    assert stale.status_code == 412
    issued = client.post(f"{url}/assign", {"person": str(fleet.officer.id)}, content_type="application/json", **auth)
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    detail = client.get(url, **auth).json()
    assert [e["kind"] for e in detail["events"]][:2] == ["issued", "updated"]


def test_a_bad_imei_is_a_422_naming_the_field(client, fleet: Fleet) -> None:
    payload = {"organisation": str(fleet.owner.id), "imei": "356938035643808"}
    response = client.post(f"{BASE}/devices", payload, content_type="application/json", **owner(fleet))
    assert response.status_code == 422
    assert "imei" in str(response.json()["error"])


def test_sims_are_listed_and_registered(client, fleet: Fleet) -> None:
    auth = owner(fleet)
    payload = {"organisation": str(fleet.owner.id), "iccid": iccid(9), "operator": str(fleet.operator.id)}
    assert client.post(f"{BASE}/sims", payload, content_type="application/json", **auth).status_code == 201
    assert client.get(f"{BASE}/sims", **auth).json()["count"] == 1


def test_rules_are_created_changed_and_deactivated_not_deleted(client, fleet: Fleet) -> None:
    auth = owner(fleet)
    payload = {
        "organisation": str(fleet.owner.id),
        "name": "iOS floor",
        "kind": "os_floor",
        "platform": "ios",
        "value": "17.4",
    }
    rule = client.post(f"{BASE}/compliance-rules", payload, content_type="application/json", **auth).json()
    url = f"{BASE}/compliance-rules/{rule['id']}"
    assert client.patch(url, {"value": "17.5"}, content_type="application/json", **auth).json()["value"] == "17.5"
    assert client.delete(url, **auth).status_code == 204
    assert ComplianceRule.objects.get(pk=rule["id"]).active is False
    bad = client.post(f"{BASE}/compliance-rules", payload | {"value": "soon"}, content_type="application/json", **auth)
    assert bad.status_code == 422 and "value" in str(bad.json())
    ticketing = payload | {"raises_ticket": True}
    assert "ticket_team" in str(
        client.post(f"{BASE}/compliance-rules", ticketing, content_type="application/json", **auth).json()
    )


def test_non_compliant_devices_are_listed_with_reasons(client, fleet: Fleet) -> None:
    fleet.device(compliance=Compliance.NON_COMPLIANT, compliance_reasons=["not encrypted"])
    fleet.device(compliance=Compliance.COMPLIANT)
    items = client.get(f"{BASE}/non-compliant", **owner(fleet)).json()["items"]
    assert [d["compliance_reasons"] for d in items] == [["not encrypted"]]


def test_the_network_operator_cannot_see_or_change_the_authoritys_devices_or_rules(client, fleet: Fleet) -> None:
    device = fleet.device()
    rule = fleet.rule()
    auth = network(fleet)
    assert client.get(f"{BASE}/devices", **auth).json()["count"] == 0
    assert client.get(f"{BASE}/non-compliant", **auth).json()["count"] == 0
    assert client.get(f"{BASE}/compliance-rules", **auth).json()["count"] == 0
    assert client.get(f"{BASE}/devices/{device.id}", **auth).status_code == 404
    patched = client.patch(f"{BASE}/devices/{device.id}", {"name": "x"}, content_type="application/json", **auth)
    assert patched.status_code == 404
    assert (
        client.post(
            f"{BASE}/devices/{device.id}/assign", {"person": None}, content_type="application/json", **auth
        ).status_code
        == 404
    )
    assert client.delete(f"{BASE}/compliance-rules/{rule.id}", **auth).status_code == 404
    created = client.post(
        f"{BASE}/devices", {"organisation": str(fleet.owner.id), "imei": IMEI}, content_type="application/json", **auth
    )
    assert created.status_code in (403, 404)


def test_the_network_operator_sees_the_sims_it_runs_but_not_the_device_they_are_in(client, fleet: Fleet) -> None:
    device = fleet.device()
    fleet.sim(device=device)
    auth = network(fleet)
    assert client.get(f"{BASE}/sims", **auth).json()["count"] == 1
    assert client.get(f"{BASE}/devices/{device.id}", **auth).status_code == 404


def test_a_page_of_devices_takes_the_same_queries_for_3_or_23_devices(client, fleet: Fleet) -> None:
    auth = owner(fleet)
    for _ in range(3):
        fleet.device(person=fleet.officer, team=fleet.team, compliance_reasons=["not encrypted"])
    client.get(f"{BASE}/devices", **auth)  # warm the session and token caches
    with CaptureQueriesContext(connection) as three:
        assert client.get(f"{BASE}/devices", **auth).json()["count"] == 3
    for _ in range(20):
        fleet.device(person=fleet.officer, team=fleet.team)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{BASE}/devices", **auth).json()["count"] == 23
    assert len(many) == len(three) <= 8


def test_a_page_of_sims_takes_the_same_queries_for_2_or_12_sims(client, fleet: Fleet) -> None:
    auth = owner(fleet)
    for _ in range(2):
        fleet.sim(device=fleet.device())
    client.get(f"{BASE}/sims", **auth)
    with CaptureQueriesContext(connection) as two:
        client.get(f"{BASE}/sims", **auth)
    for _ in range(10):
        fleet.sim(device=fleet.device())
    with CaptureQueriesContext(connection) as twelve:
        assert client.get(f"{BASE}/sims", **auth).json()["count"] == 12
    assert len(twelve) == len(two)
