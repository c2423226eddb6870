"""ServiceNow's Attachment API over ticket files: upload raw and as a form, list, read, download, the desk's
limits as 400s, DELETE refused (attachments are evidence), and segregation: a supplier reaches only the files on
tickets it may see."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from towers.core.models import AuditEntry
from towers.integration.tests.test_now_api import basic
from towers.organisations.models import ApiToken
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import Attachment
from towers.servicedesk.tests.factories import build_desk, foreign_ticket

pytestmark = pytest.mark.django_db
API = "/api/now/attachment"
LOG = b"2026-11-27 03:00 disk full\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    desk.disk = desk.raise_incident(title="Disk full on CRIMEDB")
    return desk


@pytest.fixture
def agent(desk):
    return basic(desk.estate.integrator_agent.username)


def upload(client, ticket, headers, data=LOG, name="disk.log", content_type="text/plain", base=API):
    params = f"table_name=incident&table_sys_id={ticket.pk.hex}&file_name={name}"
    return client.post(f"{base}/file?{params}", data=data, content_type=content_type, **headers)


def test_a_raw_upload_is_stored_hashed_audited_and_described_as_servicenow_does(client, desk, agent):
    got = upload(client, desk.disk, agent)
    assert got.status_code == 201, got.content
    meta = got.json()["result"]
    assert (meta["file_name"], meta["content_type"], meta["size_bytes"]) == ("disk.log", "text/plain", str(len(LOG)))
    assert (meta["table_name"], meta["table_sys_id"]) == ("incident", desk.disk.pk.hex)
    assert meta["hash"] == hashlib.sha256(LOG).hexdigest() and len(meta["sys_id"]) == 32
    assert got["Location"].endswith(f"/api/now/attachment/{meta['sys_id']}")
    assert meta["download_link"].endswith(f"/api/now/attachment/{meta['sys_id']}/file")
    entry = AuditEntry.objects.get(object_id=str(desk.disk.pk), action="ticket.attachment_added")
    assert entry.person_id == desk.estate.integrator_agent.pk and entry.channel == "api"


def test_files_are_listed_by_query_read_and_downloaded(client, desk, agent):
    sys_id = upload(client, desk.disk, agent).json()["result"]["sys_id"]
    upload(client, desk.raise_incident(title="Other"), agent, name="other.log")
    listed = client.get(API, {"sysparm_query": f"table_name=incident^table_sys_id={desk.disk.pk.hex}"}, **agent)
    assert listed["X-Total-Count"] == "1" and [m["sys_id"] for m in listed.json()["result"]] == [sys_id]
    assert client.get(f"{API}/{sys_id}", **agent).json()["result"]["file_name"] == "disk.log"
    got = client.get(f"{API}/{sys_id}/file", **agent)
    assert got.status_code == 200 and got["Content-Type"] == "text/plain"
    assert b"".join(got.streaming_content) == LOG
    assert client.get(f"/api/now/v1/attachment/{sys_id}", **agent).status_code == 200


def test_a_form_upload_takes_the_fields_then_the_file(client, desk, agent):
    form = {
        "table_name": "incident",
        "table_sys_id": desk.disk.pk.hex,
        "uploadFile": SimpleUploadedFile("screen.png", b"\x89PNG...", content_type="image/png"),
    }
    got = client.post(f"{API}/upload", form, **agent)
    assert got.status_code == 201, got.content
    assert (got.json()["result"]["file_name"], got.json()["result"]["content_type"]) == ("screen.png", "image/png")


def test_a_bare_multipart_upload_as_pysnow_sends_it_is_taken_as_raw(client, desk, agent):
    params = f"table_name=incident&table_sys_id={desk.disk.pk.hex}&file_name=notes.txt"
    got = client.post(f"{API}/upload?{params}", data=b"notes", content_type="multipart/form-data", **agent)
    assert got.status_code == 201, got.content
    assert got.json()["result"]["content_type"] == "text/plain"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"data": b"x" * 2048}, "the limit is 1 MB"),
        ({"content_type": "application/x-msdownload", "name": "run.exe"}, "are not accepted"),
        ({"name": ""}, "file_name: is required"),
    ],
)
def test_the_desks_limits_are_400s_naming_them(client, desk, agent, change, words):
    desk.settings.attachment_max_bytes = 1024
    desk.settings.save()
    got = upload(client, desk.disk, agent, **change)
    assert got.status_code == 400 and words in got.json()["error"]["detail"]
    assert not Attachment.objects.exists()


def test_attachments_are_evidence_and_are_not_deleted(client, desk, agent):
    sys_id = upload(client, desk.disk, agent).json()["result"]["sys_id"]
    got = client.delete(f"{API}/{sys_id}", **agent)
    assert got.status_code == 403 and "evidence" in got.json()["error"]["detail"]
    assert Attachment.objects.filter(pk=sys_id).exists()


def test_a_read_token_cannot_attach(client, desk, estate):
    read_only = bearer(estate.integrator_agent, estate.integrator, scope=ApiToken.Scope.READ)
    assert upload(client, desk.disk, read_only).status_code == 403
    assert not Attachment.objects.exists()


def test_a_supplier_reaches_only_files_on_tickets_it_may_see(client, desk, estate, agent):
    theirs = foreign_ticket(estate)
    sys_id = upload(client, theirs, agent).json()["result"]["sys_id"]
    network = basic(estate.network_admin.username)
    listed = client.get(API, {"sysparm_query": f"table_sys_id={theirs.pk.hex}"}, **network)
    assert listed.json()["result"] == [] and listed["X-Total-Count"] == "0"
    for url in (f"{API}/{sys_id}", f"{API}/{sys_id}/file"):
        assert client.get(url, **network).status_code == 404
    assert client.delete(f"{API}/{sys_id}", **network).status_code == 404
    got = upload(client, theirs, network)
    assert got.status_code == 404 and got.json()["error"]["message"] == "No Record found"
    assert Attachment.objects.filter(ticket=theirs).count() == 1


def test_without_credentials_the_answer_is_401(client, desk):
    assert client.get(API).status_code == 401
    assert upload(client, desk.disk, {}).status_code == 401
