"""A large MDM export goes to the worker: checked at once, queued, run as the person who sent it, with progress."""

from pathlib import Path

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from towers.core.models import AuditEntry
from towers.mobile.models import Device, MdmImport
from towers.mobile.tasks import run_mdm_import
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db(transaction=True)  # the task is queued when the upload commits
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def small_inline_limit(settings, tmp_path):
    settings.TOWERS_MDM_INLINE_ROWS = 3
    settings.MEDIA_ROOT = str(tmp_path)


def _upload(client, estate, **fields):
    auth = bearer(estate.authority_admin, estate.authority)
    with (DATA / "graph.json").open("rb") as upload:
        body = {"file": upload, "organisation": str(estate.authority.pk), "dry_run": "false"} | fields
        return client.post("/api/v1/mobile/imports/file", body, **auth)


def test_a_large_file_is_queued_then_run_by_the_worker_as_its_sender(client, estate, settings):
    settings.TOWERS_MDM_INLINE_ROWS = 1
    response = _upload(client, estate)
    assert response.status_code == 202, response.content
    queued = response.json()
    assert (queued["status"], queued["total"], queued["done"]) == ("queued", 3, 0)
    assert not Device.objects.exists()
    assert DBTaskResult.objects.filter(task_path=run_mdm_import.module_path).count() == 1

    assert run_mdm_import.call(queued["id"]) == 3
    run = MdmImport.objects.get()
    assert (run.status, run.created, run.done) == ("done", 2, 3) and Device.objects.count() == 2
    entry = AuditEntry.objects.get(action="mobile.fleet_imported")
    assert entry.person_id == estate.authority_admin.pk and entry.channel == "import"
    assert run_mdm_import.call(queued["id"]) == 0  # delivered twice: runs once


def test_a_small_file_still_runs_in_the_request(client, estate):
    response = _upload(client, estate)  # 3 rows: at the limit
    assert response.status_code == 201 and response.json()["status"] == "done"
    assert not DBTaskResult.objects.filter(task_path=run_mdm_import.module_path).exists()


def test_a_wrong_file_is_refused_before_anything_is_queued(client, estate, settings):
    settings.TOWERS_MDM_INLINE_ROWS = 1
    auth = bearer(estate.authority_admin, estate.authority)
    with (DATA / "generic.csv").open("rb") as upload:
        body = {"file": upload, "organisation": str(estate.authority.pk), "mapping": '{"imei": "No such column"}'}
        response = client.post("/api/v1/mobile/imports/file", body, **auth)
    assert response.status_code == 422 and "No such column" in response.content.decode()
    assert not MdmImport.objects.exists() and not DBTaskResult.objects.exists()


def test_a_run_whose_sender_lost_the_right_fails_with_the_reason(client, estate, settings):
    settings.TOWERS_MDM_INLINE_ROWS = 1
    queued = _upload(client, estate).json()
    estate.authority_admin.memberships.all().delete()
    with pytest.raises(Exception):  # noqa: B017  (whatever refused it, the run must say so)
        run_mdm_import.call(queued["id"])
    run = MdmImport.objects.get()
    assert run.status == "failed" and run.error and not Device.objects.exists()


def test_the_page_queues_a_large_upload_and_shows_it_waiting(client, estate, settings):
    settings.TOWERS_MDM_INLINE_ROWS = 1
    sign_in(client, estate.authority_admin)
    with (DATA / "graph.json").open("rb") as upload:
        body = {"file": upload, "organisation": str(estate.authority.pk), "dry_run": "on"}
        response = client.post(reverse("mdm_imports"), body, follow=True)
    assert "the worker starts it shortly" in response.content.decode()
    run = MdmImport.objects.get()
    assert run.status == "queued" and run.dry_run and run.upload.name
