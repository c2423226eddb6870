"""The public ServiceNow client libraries, pysnow and PySNC from PyPI, driving a running Towers: query, get,
insert, update, delete, pages, attachments both ways, and a supplier's credentials not reaching another's records.

PySNC accepts only https:// instances (as ServiceNow is only served over TLS); the test server speaks plain HTTP,
so PySNC's session carries an adapter that plays the TLS terminator in front of Towers and forwards over HTTP.
"""

from urllib.parse import urlsplit

import pysnc
import pysnow
import pytest
import requests
from pysnow.exceptions import NoResults
from requests.adapters import HTTPAdapter

from towers.integration.tests.test_now_attachments import media  # noqa: F401  (files go to a temporary folder)
from towers.organisations.tests.factories import PASSWORD
from towers.servicedesk.models import Attachment, State, Ticket
from towers.servicedesk.tests.factories import build_desk, foreign_ticket

pytestmark = pytest.mark.django_db(transaction=True)
LOG = b"03:00 volume /data 100% full\n"


class TlsTerminator(HTTPAdapter):
    """Forwards PySNC's https:// requests to the plain-HTTP test server."""

    def send(self, request, **kwargs):
        request.url = "http://" + request.url.removeprefix("https://")
        return super().send(request, **kwargs)


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    desk.faults = [desk.raise_incident(title=f"Fault {n} on CRIMEDB") for n in range(5)]
    desk.theirs = foreign_ticket(estate)  # held by the applications supplier
    return desk


@pytest.fixture
def host(live_server):
    return urlsplit(live_server.url).netloc


def snow(host, username):
    return pysnow.Client(host=host, user=username, password=PASSWORD, use_ssl=False)


def glide(host, username):
    session = requests.Session()
    session.auth = (username, PASSWORD)
    session.mount("https://", TlsTerminator())
    return pysnc.ServiceNowClient(f"https://{host}", session, auto_retry=False)


def test_pysnow_queries_pages_reads_and_writes(host, desk):
    incidents = snow(host, "int.agent").resource(api_path="/table/incident")
    found = incidents.get(query="short_descriptionLIKEcrimedb^ORDERBYnumber", limit=2).all()
    assert [r["number"] for r in found] == sorted(t.reference for t in desk.faults)[:2]
    page = incidents.get(query="short_descriptionLIKEcrimedb^ORDERBYnumber", limit=2, offset=4)
    assert len(page.all()) == 1 and 'rel="prev"' in page.headers["Link"] and page.headers["X-Total-Count"] == "5"
    one = incidents.get(query={"sys_id": desk.faults[0].pk.hex}).one()
    assert one["short_description"] == "Fault 0 on CRIMEDB"

    made = incidents.create(payload={"short_description": "Printer on fire", "impact": "1", "urgency": "1"}).one()
    assert made["priority"] == "1" and made["number"].startswith("INC")
    changed = incidents.update(query={"sys_id": made["sys_id"]}, payload={"work_notes": "Fire out", "urgency": "3"})
    assert changed.one()["urgency"] == "3"
    assert incidents.delete(query={"sys_id": made["sys_id"]}) == {"status": "record deleted"}
    assert Ticket.objects.get(pk=made["sys_id"]).state == State.CANCELLED


def test_pysnow_attaches_and_the_file_comes_back(host, desk, tmp_path):
    client = snow(host, "int.agent")
    incidents = client.resource(api_path="/table/incident")
    path = tmp_path / "volume.log"
    path.write_bytes(LOG)
    sys_id = desk.faults[0].pk.hex
    meta = incidents.attachments.upload(sys_id, str(path)).one()
    assert (meta["file_name"], meta["table_sys_id"]) == ("volume.log", sys_id)
    (listed,) = incidents.attachments.get(sys_id)
    assert client.session.get(listed["download_link"]).content == LOG


def test_pysnow_with_a_suppliers_credentials_reaches_only_its_records(host, desk):
    client = snow(host, "net.admin")
    incidents = client.resource(api_path="/table/incident")
    assert incidents.get(query="").all() == []
    with pytest.raises(NoResults):
        incidents.update(query={"sys_id": desk.theirs.pk.hex}, payload={"short_description": "mine"})
    put = client.session.put(f"http://{host}/api/now/table/incident/{desk.theirs.pk.hex}", json={"impact": "1"})
    assert put.status_code == 404 and put.json()["error"]["message"] == "No Record found"
    assert Ticket.objects.get(pk=desk.theirs.pk).title == "Apps-only fault"


def test_pysnc_glide_records_query_page_insert_update_and_delete(host, desk):
    client = glide(host, "int.agent")
    faults = client.GlideRecord("incident", batch_size=2)  # five records: three pages
    faults.add_query("short_description", "LIKE", "CRIMEDB")
    faults.order_by("number")
    faults.query()
    assert [r.get_value("number") for r in faults] == sorted(t.reference for t in desk.faults)

    one = client.GlideRecord("incident")
    assert one.get(desk.faults[1].pk.hex) and one.get_value("short_description") == "Fault 1 on CRIMEDB"
    assert one.get_display_value("priority") == "3 - Moderate"

    new = client.GlideRecord("incident")
    new.initialize()
    new.short_description = "Radio console dead"
    new.impact = "2"
    sys_id = new.insert()
    assert Ticket.objects.get(pk=str(sys_id)).title == "Radio console dead"
    new.state = "6"
    new.close_code = "fixed"
    new.close_notes = "Power cycled"
    assert new.update()
    assert Ticket.objects.get(pk=str(sys_id)).state == State.RESOLVED

    gone = client.GlideRecord("incident")
    gone.initialize()
    gone.short_description = "Raised by mistake"
    gone_id = gone.insert()
    assert gone.delete()
    assert Ticket.objects.get(pk=str(gone_id)).state == State.CANCELLED


def test_pysnc_attaches_lists_and_reads_files(host, desk):
    client = glide(host, "int.agent")
    record = client.GlideRecord("incident")
    assert record.get(desk.faults[2].pk.hex)
    location = record.add_attachment("volume.log", LOG, "text/plain")
    assert Attachment.objects.get(pk=location.rsplit("/", 1)[1]).ticket_id == desk.faults[2].pk
    attachments = record.get_attachments()
    assert [a.read() for a in attachments] == [LOG]


def test_pysnc_with_a_suppliers_credentials_reaches_only_its_records(host, desk):
    client = glide(host, "net.admin")
    theirs = client.GlideRecord("incident")
    assert not theirs.get(desk.theirs.pk.hex)
    every = client.GlideRecord("incident")
    every.query()
    assert len(every) == 0
    files = client.Attachment("incident")
    files.add_query("table_sys_id", desk.theirs.pk.hex)
    files.query()
    assert len(files) == 0
