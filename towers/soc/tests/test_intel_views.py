import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.soc.models import Indicator
from towers.soc.services.intel import indicators_import, intel_alerts
from towers.soc.tests.test_intel import bundle, indicator

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")
JSON = "application/json"


FEED = bundle(
    indicator(1, "[ipv4-addr:value = '203.0.113.7']", name="C2 server"),
    indicator(2, "[domain-name:value = 'evil.example.com']", name="Phishing domain", indicator_types=["phishing"]),
    indicator(3, "[ipv4-addr:value = '198.51.100.1']", name="Old scanner", valid_until="2026-02-01T00:00:00Z"),
    indicator(4, "[process:name = 'evil.exe']"),
    {"type": "malware", "id": "malware--1", "name": "not an indicator"},
)


def seeded(soc, feed=FEED, source="feed.json"):
    indicators_import(actor=SYSTEM, organisation=soc.organisation, bundle=feed, source=source)
    intel_alerts(
        actor=SYSTEM, organisation=soc.organisation, events=[{"Computer": "ws-0042", "IpAddress": "203.0.113.7"}]
    )
    return Indicator.objects.get(stix_id__endswith="000000000001")


def upload(client, feed, dry_run):
    data = {"file": SimpleUploadedFile("feed.json", json.dumps(feed).encode(), JSON)}
    return client.post("/indicators/import/", data | ({"dry_run": "on"} if dry_run else {}))


# ---- pages


def test_the_list_shows_each_indicator_with_its_hits_and_filters(client, soc):
    seeded(soc)
    sign_in(client, soc.analyst, soc.organisation)
    page = client.get("/indicators/").content.decode()
    assert "C2 server" in page and "203.0.113.7" in page and "phishing" in page and "feed.json" in page
    assert '<td class="number hits">1</td>' in page and page.count('<td class="number hits">0</td>') == 2
    assert "Phishing domain" not in client.get("/indicators/?type=ip").content.decode()
    assert "Old scanner" not in client.get("/indicators/?active=yes").content.decode()
    expired = client.get("/indicators/?active=no").content.decode()
    assert "Old scanner" in expired and "C2 server" not in expired
    assert "C2 server" not in client.get("/indicators/?q=evil.example").content.decode()
    assert "C2 server" not in client.get("/indicators/?source=other.json").content.decode()


def test_the_list_reads_a_page_in_a_bounded_number_of_queries(client, soc, django_assert_max_num_queries):
    seeded(soc)
    sign_in(client, soc.analyst, soc.organisation)
    client.get("/indicators/")
    with CaptureQueriesContext(connection) as few:
        client.get("/indicators/")
    many = bundle(*(indicator(100 + n, f"[ipv4-addr:value = '192.0.2.{n}']") for n in range(40)))
    seeded(soc, many, "many.json")
    with django_assert_max_num_queries(len(few)):
        assert "IOC 139" in client.get("/indicators/?q=IOC").content.decode()


def test_the_detail_shows_pattern_stix_id_labels_and_the_alerts_naming_it(client, soc):
    c2 = seeded(soc)
    sign_in(client, soc.analyst, soc.organisation)
    page = client.get(f"/indicators/{c2.pk}/").content.decode()
    assert c2.stix_id in page and "[ipv4-addr:value = &#x27;203.0.113.7&#x27;]" in page
    assert "malicious-activity" in page and "Threat intelligence match" in page and "ws-0042" in page
    other = Indicator.objects.get(stix_id__endswith="000000000002")
    assert "No alert has named this indicator." in client.get(f"/indicators/{other.pk}/").content.decode()


def test_a_dry_run_upload_reports_each_object_and_changes_nothing(client, soc):
    sign_in(client, soc.analyst, soc.organisation)
    audit_before = AuditEntry.objects.count()
    page = upload(client, FEED, dry_run=True).content.decode()
    assert "This was a dry run" in page and "Would be created" in page
    assert "unsupported property: process:name" in page and "not an indicator (malware)" in page
    assert page.count('class="outcome-created"') == 3 and page.count('class="outcome-skipped"') == 2
    assert not Indicator.objects.exists() and AuditEntry.objects.count() == audit_before


def test_an_upload_imports_through_the_service_then_reports_updates_and_unchanged(client, soc):
    sign_in(client, soc.analyst, soc.organisation)
    assert upload(client, FEED, dry_run=False).content.decode().count('class="outcome-created"') == 3
    assert Indicator.objects.filter(organisation=soc.organisation, source="feed.json").count() == 3
    entry = AuditEntry.objects.get(action="soc.indicators.imported")
    assert entry.channel == "web" and entry.person_id == soc.analyst.pk and entry.after["created"] == 3
    changed = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.8']"), *FEED["objects"][1:3])
    page = upload(client, changed, dry_run=False).content.decode()
    assert page.count('class="outcome-updated"') == 1 and page.count('class="outcome-unchanged"') == 2
    service = AuditEntry.objects.filter(action="soc.indicators.imported").last().after  # the rows agree with it
    assert (service["created"], service["updated"], service["unchanged"]) == (0, 1, 2)
    renamed = {"file": SimpleUploadedFile("renamed.json", json.dumps(changed).encode(), JSON)}
    assert client.post("/indicators/import/", renamed).content.decode().count('class="outcome-updated"') == 3
    assert Indicator.objects.get(stix_id__endswith="000000000001").value == "203.0.113.8"


def test_a_file_that_is_not_a_bundle_is_refused_on_the_form(client, soc):
    sign_in(client, soc.analyst, soc.organisation)
    data = {"file": SimpleUploadedFile("x.json", b"not json", JSON)}
    assert "is not JSON" in client.post("/indicators/import/", data).content.decode()
    page = upload(client, {"type": "report", "objects": []}, dry_run=False).content.decode()
    assert "not a STIX 2.1 bundle" in page and not AuditEntry.objects.filter(action="soc.indicators.imported")


def test_an_auditor_sees_indicators_but_is_offered_no_import(client, soc):
    seeded(soc)
    estate = soc.desk.estate
    sign_in(client, estate.auditor, estate.authority)
    page = client.get("/indicators/").content.decode()
    assert "C2 server" in page and "Import a STIX 2.1 bundle" not in page


def test_another_organisations_user_gets_404_and_an_empty_list(client, soc):
    c2 = seeded(soc)
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    assert client.get(f"/indicators/{c2.pk}/").status_code == 404
    assert "C2 server" not in client.get("/indicators/").content.decode()
    apps = bearer(soc.desk.estate.applications_admin, soc.desk.estate.applications)
    assert client.get(f"/api/v1/indicators/{c2.pk}", **apps).status_code == 404
    assert client.get("/api/v1/indicators", **apps).json()["count"] == 0


def test_a_resolver_may_not_import(client, soc):
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    response = upload(client, FEED, dry_run=True)
    assert response.status_code == 403 and not Indicator.objects.exists()


# ---- TAXII over a real socket


class Taxii(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.split("?")[0] != "/api1/collections/c1/objects/":
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps({"more": False, "objects": FEED["objects"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/taxii+json;version=2.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def taxii_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Taxii)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_taxii_form_fetches_and_imports_a_collection(client, soc, taxii_server):
    sign_in(client, soc.analyst, soc.organisation)
    form = {"url": f"{taxii_server}/api1/", "collection": "c1", "username": "u", "password": "p"}
    page = client.post("/indicators/taxii/", form).content.decode()
    assert "Imported" in page and "unsupported property: process:name" in page
    assert Indicator.objects.filter(source__endswith="/api1/collections/c1/objects/").count() == 3
    failed = client.post("/indicators/taxii/", form | {"collection": "missing"}).content.decode()
    assert "TAXII fetch from" in failed and "404" in failed


# ---- API


def test_the_api_lists_filters_and_shows_an_indicator_with_its_alerts(client, soc):
    c2 = seeded(soc)
    analyst = bearer(soc.analyst, soc.organisation)
    listed = client.get("/api/v1/indicators?active=true&type=ip", **analyst).json()
    assert listed["count"] == 1 and listed["items"][0]["hits"] == 1 and listed["items"][0]["value"] == "203.0.113.7"
    assert client.get("/api/v1/indicators?search=phishing%20domain", **analyst).json()["count"] == 1
    detail = client.get(f"/api/v1/indicators/{c2.pk}", **analyst).json()
    assert detail["observables"] == [["ip", "203.0.113.7"]] and detail["alerts"][0]["host"] == "ws-0042"


def test_the_api_import_is_a_dry_run_unless_told_otherwise(client, soc):
    analyst = bearer(soc.analyst, soc.organisation)
    checked = client.post("/api/v1/indicators/import", {"bundle": FEED}, content_type=JSON, **analyst)
    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert body["dry_run"] and body["totals"] == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 2}
    assert [r["outcome"] for r in body["rows"]] == ["created"] * 3 + ["skipped"] * 2
    assert not Indicator.objects.exists()
    real = {"bundle": FEED, "dry_run": False, "source": "misp-export"}
    done = client.post("/api/v1/indicators/import", real, content_type=JSON, **analyst).json()
    assert done["totals"]["created"] == 3 and Indicator.objects.filter(source="misp-export").count() == 3
    assert AuditEntry.objects.get(action="soc.indicators.imported").channel == "api"
    bad = client.post("/api/v1/indicators/import", {"bundle": {"type": "x"}}, content_type=JSON, **analyst)
    assert bad.status_code == 422 and "bundle" in bad.json()["error"]["fields"]
