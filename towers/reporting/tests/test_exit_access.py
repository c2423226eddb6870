"""Who may ask for, list, read and download exit packs: through the API and the pages, segregated like the rest."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.reporting.models import ExitPack
from towers.reporting.services.exit_pack import exit_pack_build, exit_pack_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(estate, settings, tmp_path) -> ExitPack:
    """The applications supplier's pack, asked for by the authority (it holds credits: commercial)."""
    settings.MEDIA_ROOT = str(tmp_path)
    return exit_pack_build(exit_pack_create(actor=Actor.system("tests"), supplier=estate.applications, queue=False))


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_authority_asks_for_a_pack_and_downloads_it_when_built(client, estate, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    auth = bearer(estate.authority_admin, estate.authority)
    response = client.post("/api/v1/exit-packs", {"supplier": str(estate.applications.pk)},
                           content_type="application/json", **auth)  # fmt: skip
    assert response.status_code == 202, response.content
    created = response.json()
    assert (created["status"], created["download"], created["supplier"]["name"]) == ("queued", None, "Apps Supplier")
    exit_pack_build(ExitPack.objects.get(pk=created["id"]))
    detail = client.get(f"/api/v1/exit-packs/{created['id']}", **auth).json()
    assert detail["status"] == "done" and detail["counts"]["tickets"] == 0 and detail["manifest"]["files"]
    download = client.get(detail["download"], **auth)
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert hashlib.sha256(_body(download)).hexdigest() == detail["sha256"]


def test_a_pack_not_yet_built_has_nothing_to_download(client, estate):
    queued = exit_pack_create(actor=Actor.system("tests"), supplier=estate.applications, queue=False)
    auth = bearer(estate.authority_admin, estate.authority)
    assert client.get(f"/api/v1/exit-packs/{queued.pk}/download", **auth).status_code == 404


def test_another_supplier_cannot_list_read_download_or_ask_for_the_pack(client, estate, pack):
    auth = bearer(estate.network_admin, estate.network)
    audit_before, packs_before = AuditEntry.objects.count(), ExitPack.objects.count()
    listed = client.get("/api/v1/exit-packs", **auth)
    assert listed.status_code == 200 and listed.json()["count"] == 0
    assert client.get(f"/api/v1/exit-packs/{pack.pk}", **auth).status_code == 404
    assert client.get(f"/api/v1/exit-packs/{pack.pk}/download", **auth).status_code == 404
    asked = client.post("/api/v1/exit-packs", {"supplier": str(estate.applications.pk)},
                        content_type="application/json", **auth)  # fmt: skip
    assert asked.status_code == 404
    sign_in(client, estate.network_admin, estate.network)
    page = client.get(reverse("exit_pack_list"))
    assert (
        page.status_code == 200 and str(pack.pk) not in page.content.decode() and b"Ask for a pack" not in page.content
    )
    assert client.get(reverse("exit_pack_download", args=[pack.pk])).status_code == 404
    posted = client.post(reverse("exit_pack_list"), {"supplier": str(estate.applications.pk)})
    assert posted.status_code == 403
    assert (AuditEntry.objects.count(), ExitPack.objects.count()) == (audit_before, packs_before)


def test_the_supplier_downloads_its_own_pack_but_may_not_ask_for_one(client, estate, pack):
    auth = bearer(estate.applications_admin, estate.applications)
    assert [p["id"] for p in client.get("/api/v1/exit-packs", **auth).json()["items"]] == [str(pack.pk)]
    download = client.get(f"/api/v1/exit-packs/{pack.pk}/download", **auth)
    assert download.status_code == 200 and hashlib.sha256(_body(download)).hexdigest() == pack.sha256
    packs_before = ExitPack.objects.count()
    for supplier in (estate.applications, estate.network):
        asked = client.post("/api/v1/exit-packs", {"supplier": str(supplier.pk)},
                            content_type="application/json", **auth)  # fmt: skip
        assert asked.status_code in {403, 404}, supplier
    sign_in(client, estate.applications_admin, estate.applications)
    page = client.get(reverse("exit_pack_list"))
    assert reverse("exit_pack_download", args=[pack.pk]) in page.content.decode()
    assert b"Ask for a pack" not in page.content
    assert client.get(reverse("exit_pack_download", args=[pack.pk])).status_code == 200
    assert ExitPack.objects.count() == packs_before
    downloads = AuditEntry.objects.filter(action="reporting.exit_pack_downloaded", object_id=str(pack.pk))
    assert [entry.person_id for entry in downloads] == [estate.applications_admin.pk] * 2  # API, then page


def test_the_integrator_sees_the_packs_it_asked_for_but_not_the_authoritys_with_credits(client, estate, pack):
    auth = bearer(estate.integrator_admin, estate.integrator)
    asked = client.post("/api/v1/exit-packs", {"supplier": str(estate.applications.pk)},
                        content_type="application/json", **auth)  # fmt: skip
    assert asked.status_code == 202
    listed = [p["id"] for p in client.get("/api/v1/exit-packs", **auth).json()["items"]]
    assert listed == [asked.json()["id"]]
    assert client.get(f"/api/v1/exit-packs/{pack.pk}", **auth).status_code == 404


def test_the_page_asks_for_a_pack_and_lists_it(client, estate, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    sign_in(client, estate.authority_admin, estate.authority)
    page = client.get(reverse("exit_pack_list"))
    assert page.status_code == 200 and b"Ask for a pack" in page.content
    response = client.post(reverse("exit_pack_list"), {"supplier": str(estate.applications.pk)})
    assert response.status_code == 302
    pack = ExitPack.objects.get()
    assert (pack.supplier, pack.requested_by, pack.channel) == (estate.applications, estate.authority_admin, "web")
    exit_pack_build(pack)
    page = client.get(reverse("exit_pack_list")).content.decode()
    assert pack.sha256 in page and reverse("exit_pack_download", args=[pack.pk]) in page


def test_a_reader_may_not_ask_for_a_pack(client, estate):
    auth = bearer(estate.auditor, estate.authority)
    asked = client.post("/api/v1/exit-packs", {"supplier": str(estate.applications.pk)},
                        content_type="application/json", **auth)  # fmt: skip
    assert asked.status_code == 403 and not ExitPack.objects.exists()


def test_the_integrator_may_ask_for_its_towers_suppliers_packs_but_not_its_own(client, estate):
    sign_in(client, estate.integrator_admin, estate.integrator)
    form = client.get(reverse("exit_pack_list")).context["form"]
    assert set(form.fields["supplier"].queryset) == {estate.applications, estate.network}


def test_a_pack_a_dead_worker_left_running_is_failed_with_the_reason(estate):
    from datetime import timedelta

    from django.utils import timezone

    from towers.reporting.services.exit_pack import exit_packs_fail_stale

    pack = exit_pack_create(actor=Actor.system("tests"), supplier=estate.applications, queue=False)
    ExitPack.objects.filter(pk=pack.pk).update(status="running", started_at=timezone.now() - timedelta(hours=3))
    fresh = exit_pack_create(actor=Actor.system("tests"), supplier=estate.network, queue=False)
    ExitPack.objects.filter(pk=fresh.pk).update(status="running", started_at=timezone.now())
    assert exit_packs_fail_stale() == 1
    pack.refresh_from_db()
    fresh.refresh_from_db()
    assert pack.status == "failed" and "ask for the pack again" in pack.error and fresh.status == "running"
