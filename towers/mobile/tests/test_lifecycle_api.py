"""The lifecycle's REST routes: issue, swap, repair, retirement (JSON and multipart), steps, refresh; segregation."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from towers.core import events
from towers.core.models import AuditEntry
from towers.mobile.models import DeviceStatus, DeviceTask, TaskPurpose, WipeEvidence
from towers.mobile.tests.factories import Fleet, route_losses
from towers.mobile.tests.test_lifecycle import register
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import State
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.factories import build_desk

pytestmark = pytest.mark.django_db
BASE = "/api/v1/mobile"


@pytest.fixture
def auth(fleet: Fleet) -> dict[str, str]:
    build_desk(fleet.estate)
    route_losses(fleet)
    return bearer(fleet.estate.authority_admin, fleet.owner)


def post(client, url, body, auth):
    return client.post(url, body, content_type="application/json", **auth)


def test_issue_then_swap_through_the_courier_step(client, fleet, auth):
    device, spare = register(fleet), register(fleet)
    issued = post(client, f"{BASE}/devices/{device.id}/issue", {"person": str(fleet.officer.id)}, auth)
    assert issued.status_code == 200, issued.content
    assert issued.json()["status"] == "issued" and issued["ETag"]
    swap = post(client, f"{BASE}/devices/{device.id}/swap", {"replacement": str(spare.id), "reason": "upgrade"}, auth)
    assert swap.status_code == 201, swap.content
    step = swap.json()
    assert step["purpose"] == "courier" and step["replacement"] == str(spare.id)
    assert step["team"]["id"] == str(fleet.team.id) and step["ticket"]["state"] == "assigned"
    task = DeviceTask.objects.get(pk=step["id"])
    ticket_transition(actor=fleet.supplier_actor, ticket=task.ticket, state=State.RESOLVED, resolution_code="fixed")
    events.deliver_all_pending()
    steps = client.get(f"{BASE}/devices/{device.id}/tasks", **auth).json()
    assert [(s["purpose"], s["outcome"], s["ticket"]["reference"]) for s in steps] == [
        ("courier", "done", task.ticket.reference)
    ]
    spare_now = client.get(f"{BASE}/devices/{spare.id}", **auth).json()
    assert spare_now["status"] == "issued" and spare_now["person"]["id"] == str(fleet.officer.id)


def test_refusals_come_back_naming_the_field(client, fleet, auth):
    device = register(fleet)
    bad = post(client, f"{BASE}/devices/{device.id}/swap", {"replacement": str(device.id), "reason": "fault"}, auth)
    assert bad.status_code == 422 and "device" in bad.json()["error"]["fields"]
    bad = post(client, f"{BASE}/devices/{device.id}/swap", {"replacement": str(device.id), "reason": "boredom"}, auth)
    assert bad.status_code == 422 and "reason" in bad.json()["error"]["fields"]
    bad = post(client, f"{BASE}/devices/{device.id}/repair", {"fault": " "}, auth)
    assert bad.status_code == 422 and "fault" in bad.json()["error"]["fields"]
    bad = post(client, f"{BASE}/devices/{device.id}/retire", {"method": "destruction"}, auth)
    assert bad.status_code == 422 and "performed_at" in bad.json()["error"]["fields"]
    assert not DeviceTask.objects.exists() and not WipeEvidence.objects.exists()


def test_repair_and_return_beyond_repair_then_retire_with_a_certificate_file(client, fleet, auth):
    device = register(fleet)
    repair = post(client, f"{BASE}/devices/{device.id}/repair", {"fault": "Bent frame"}, auth)
    assert repair.status_code == 201 and repair.json()["purpose"] == "repair"
    back = post(client, f"{BASE}/devices/{device.id}/repair-return", {"outcome": "beyond_repair"}, auth)
    assert back.status_code == 200 and back.json()["status"] == "in_repair"
    assert "beyond_repair" in [e["kind"] for e in back.json()["events"]]
    performed = (timezone.now() - timedelta(hours=1)).isoformat()
    retired = client.post(
        f"{BASE}/devices/{device.id}/retire/file",
        {
            "method": "destruction",
            "performed_at": performed,
            "performed_by": "Shred Co",
            "document": SimpleUploadedFile("cert.pdf", b"%PDF certificate", content_type="application/pdf"),
        },
        **auth,
    )
    assert retired.status_code == 200, retired.content
    evidence = retired.json()
    assert evidence["method"] == "destruction" and evidence["has_document"] and len(evidence["sha256"]) == 64
    assert client.get(f"{BASE}/devices/{device.id}", **auth).json()["status"] == "retired"
    listed = client.get(f"{BASE}/devices/{device.id}/wipe-evidence", **auth).json()
    assert [e["id"] for e in listed] == [evidence["id"]]


def test_retire_with_json_evidence(client, fleet, auth):
    device = register(fleet)
    body = {"method": "factory_reset", "performed_at": timezone.now().isoformat(), "performed_by": "Eng A"}
    response = post(client, f"{BASE}/devices/{device.id}/retire", body, auth)
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert device.status == DeviceStatus.RETIRED


def test_refresh_due_lists_reasons_and_raises_steps(client, fleet, auth, django_assert_max_num_queries):
    today = timezone.localdate()
    for _ in range(3):
        register(fleet, purchased_on=today - timedelta(days=5 * 365))
    register(fleet, end_of_support=today + timedelta(days=5), person=fleet.officer, status=DeviceStatus.ISSUED)
    register(fleet, purchased_on=today)
    with django_assert_max_num_queries(8):
        body = client.get(f"{BASE}/refresh-due", **auth).json()
    assert body["count"] == 4
    assert all(item["reasons"] and not item["refresh_raised"] for item in body["items"])
    assert any("security updates end" in item["reasons"][0] for item in body["items"])
    raised = post(client, f"{BASE}/refresh-due/raise", {}, auth)
    assert raised.json() == {"raised": 4}
    assert DeviceTask.objects.filter(purpose=TaskPurpose.REFRESH).count() == 4
    assert all(item["refresh_raised"] for item in client.get(f"{BASE}/refresh-due", **auth).json()["items"])
    assert post(client, f"{BASE}/refresh-due/raise", {}, auth).json() == {"raised": 0}


def test_another_supplier_gets_404_and_changes_nothing(client, fleet, auth):
    device, spare = register(fleet, person=fleet.officer, status=DeviceStatus.ISSUED), register(fleet)
    register(fleet, purchased_on=timezone.localdate() - timedelta(days=5 * 365))
    audit_before = AuditEntry.objects.count()
    for person, organisation in (
        (fleet.estate.applications_admin, fleet.estate.applications),
        (fleet.estate.network_admin, fleet.estate.network),
    ):
        them = bearer(person, organisation)
        url = f"{BASE}/devices/{device.id}"
        for path, body in (
            ("issue", {"team": str(fleet.team.id)}),
            ("swap", {"replacement": str(spare.id), "reason": "fault"}),
            ("repair", {"fault": "x"}),
            ("repair-return", {"outcome": "repaired"}),
            ("retire", {"method": "factory_reset"}),
        ):
            assert post(client, f"{url}/{path}", body, them).status_code == 404, path
        assert client.post(f"{url}/retire/file", {"method": "destruction"}, **them).status_code == 404
        assert client.get(f"{url}/tasks", **them).status_code == 404
        assert client.get(f"{url}/wipe-evidence", **them).status_code == 404
        assert client.get(f"{BASE}/refresh-due", **them).json()["count"] == 0
        assert post(client, f"{BASE}/refresh-due/raise", {"devices": [str(spare.id)]}, them).status_code == 404
        assert post(client, f"{BASE}/refresh-due/raise", {}, them).json() == {"raised": 0}
    assert AuditEntry.objects.count() == audit_before
    assert not DeviceTask.objects.exists()
