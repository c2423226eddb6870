"""The lifecycle's pages: the device page's steps, evidence and forms, their POSTs, the refresh page; segregation."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.mobile.models import DeviceStatus, DeviceTask, TaskPurpose, WipeEvidence
from towers.mobile.services import lifecycle
from towers.mobile.tests.factories import route_losses
from towers.mobile.tests.test_lifecycle import issued, register
from towers.organisations.tests.factories import person_with_roles, sign_in
from towers.servicedesk.tests.factories import build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, fleet):
    build_desk(fleet.estate)
    route_losses(fleet)
    sign_in(client, fleet.estate.authority_admin)
    return client


def page(client, device):
    response = client.get(f"/mobile/devices/{device.id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_device_page_offers_the_actions_that_fit_and_shows_the_steps(admin, fleet):
    device, spare = issued(fleet), register(fleet, name="SPARE-1")
    html = page(admin, device)
    assert f"/mobile/devices/{device.id}/swap/" in html and "SPARE-1" in html  # the spare is a choice
    assert f"/mobile/devices/{device.id}/retire/" not in html  # issued: return it first
    assert 'id="losses"' in html  # the loss panel
    task = lifecycle.device_swap(actor=fleet.actor, device=device, replacement=spare, reason="fault")
    html = page(admin, device)
    assert f"/tickets/{task.ticket.reference}/" in html and "Deliver and collect" in html


def test_a_reader_sees_the_steps_but_no_forms(client, fleet):
    device = issued(fleet)
    reader = person_with_roles(fleet.owner, Role.AUDITOR, username="viewer")
    sign_in(client, reader, fleet.owner)
    html = page(client, device)
    assert "Steps" in html and "action-form" not in html


def test_issue_swap_repair_and_retire_through_the_forms(admin, fleet):
    device = register(fleet)
    response = admin.post(f"/mobile/devices/{device.id}/issue/", {"person": "pc.officer"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.person == fleet.officer and device.status == DeviceStatus.ISSUED
    spare = register(fleet)
    response = admin.post(f"/mobile/devices/{device.id}/swap/", {"replacement": spare.id, "reason": "upgrade"})
    assert response.status_code == 302
    assert DeviceTask.objects.get(purpose=TaskPurpose.COURIER).replacement == spare
    stock = register(fleet)
    assert admin.post(f"/mobile/devices/{stock.id}/repair/", {"fault": "No charge"}).status_code == 302
    assert admin.post(f"/mobile/devices/{stock.id}/repair-return/", {"outcome": "repaired"}).status_code == 302
    stock.refresh_from_db()
    assert stock.status == DeviceStatus.IN_STOCK
    doc = SimpleUploadedFile("cert.pdf", b"%PDF erasure", content_type="application/pdf")
    response = admin.post(
        f"/mobile/devices/{stock.id}/retire/",
        {"method": "certified_erasure", "performed_at": "2026-01-05T10:00", "performed_by": "Erasure Ltd",
         "document": doc},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    stock.refresh_from_db()
    assert stock.status == DeviceStatus.RETIRED and WipeEvidence.objects.get(device=stock).sha256
    assert "Certified erasure" in page(admin, stock)


def test_a_refused_form_comes_back_with_the_field_named(admin, fleet):
    device = register(fleet)
    response = admin.post(f"/mobile/devices/{device.id}/retire/", {"method": "destruction", "performed_by": "X"})
    html = response.content.decode()
    assert response.status_code == 200 and "say when the data was destroyed" in html
    response = admin.post(f"/mobile/devices/{device.id}/issue/", {"person": "nobody.here"})
    assert "Nobody you may see has the username nobody.here" in response.content.decode()
    device.refresh_from_db()
    assert device.status == DeviceStatus.IN_STOCK and not WipeEvidence.objects.exists()


def test_the_refresh_page_lists_reasons_and_raises_for_the_chosen(admin, fleet, django_assert_max_num_queries):
    today = timezone.localdate()
    old = [register(fleet, name=f"OLD-{n}", purchased_on=today - timedelta(days=5 * 365)) for n in range(3)]
    register(fleet, name="NEW-1", purchased_on=today)
    with django_assert_max_num_queries(12):
        html = admin.get("/mobile/refresh/").content.decode()
    assert all(d.name in html for d in old) and "NEW-1" not in html and "months ago" in html
    response = admin.post("/mobile/refresh/raise/", {"device": [str(old[0].id), "not-an-id"]})
    assert response.status_code == 302
    assert list(DeviceTask.objects.filter(purpose=TaskPurpose.REFRESH).values_list("device", flat=True)) == [old[0].id]
    admin.post("/mobile/refresh/raise/", {})
    assert DeviceTask.objects.filter(purpose=TaskPurpose.REFRESH).count() == 3


def test_the_device_page_takes_the_same_queries_with_more_steps(admin, fleet):
    device = issued(fleet)
    lifecycle.device_send_to_repair(actor=fleet.actor, device=issued(fleet), fault="x")
    page(admin, device)
    with CaptureQueriesContext(connection) as few:
        page(admin, device)
    for _ in range(3):
        task = lifecycle.device_swap(actor=fleet.actor, device=device, replacement=register(fleet), reason="refresh")
        task.finished_at, task.outcome = timezone.now(), "cancelled"
        task.save()
    with CaptureQueriesContext(connection) as more:
        page(admin, device)
    assert len(more) == len(few)
    assert len(few) <= 18, "\n".join(q["sql"][:150] for q in few.captured_queries)


@pytest.mark.parametrize("who", ["applications_admin", "network_admin"])
def test_another_supplier_gets_404_on_every_lifecycle_page_and_changes_nothing(client, fleet, who):
    build_desk(fleet.estate)
    route_losses(fleet)
    device, spare = issued(fleet), register(fleet, purchased_on=timezone.localdate() - timedelta(days=5 * 365))
    sign_in(client, getattr(fleet.estate, who))
    before = AuditEntry.objects.count()
    assert client.get(f"/mobile/devices/{device.id}/").status_code == 404
    for action, data in (
        ("issue", {"team": fleet.team.id}),
        ("swap", {"replacement": spare.id, "reason": "fault"}),
        ("repair", {"fault": "x"}),
        ("repair-return", {"outcome": "repaired"}),
        ("retire", {"method": "factory_reset", "performed_at": "2026-01-05T10:00", "performed_by": "x"}),
    ):
        assert client.post(f"/mobile/devices/{device.id}/{action}/", data).status_code == 404, action
    assert spare.name not in client.get("/mobile/refresh/").content.decode()
    client.post("/mobile/refresh/raise/", {"device": [str(spare.id)]})
    client.post("/mobile/refresh/raise/", {})
    assert AuditEntry.objects.count() == before and not DeviceTask.objects.exists()
