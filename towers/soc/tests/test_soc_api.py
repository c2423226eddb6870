from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from towers.core.models import AuditEntry
from towers.organisations.tests.test_api import bearer
from towers.soc.models import Alert, SecurityCase

pytestmark = pytest.mark.django_db
JSON = "application/json"


def post(client, url, body, auth):
    return client.post(url, data=body, content_type=JSON, **auth)


def test_alert_list_filters_and_bulk_acknowledges_and_suppresses(client, soc):
    analyst = bearer(soc.analyst, soc.organisation)
    first, second = soc.raise_alert(host="h1"), soc.raise_alert(host="h2")
    listed = client.get("/api/v1/alerts?host=h1", **analyst).json()
    assert [a["id"] for a in listed["items"]] == [str(first.pk)]
    assert listed["items"][0]["techniques"] == ["T1059.001"]
    done = post(
        client, "/api/v1/alerts/bulk", {"alerts": [str(first.pk), str(second.pk)], "action": "acknowledge"}, analyst
    )
    assert done.status_code == 200, done.content
    assert {a["status"] for a in done.json()} == {"acknowledged"}
    refused = post(client, "/api/v1/alerts/bulk", {"alerts": [str(first.pk)], "action": "suppress"}, analyst)
    assert refused.status_code == 422 and "until" in refused.json()["error"]["fields"]
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    body = {"alerts": [str(first.pk)], "action": "suppress", "until": until}
    assert post(client, "/api/v1/alerts/bulk", body, analyst).json()[0]["status"] == "suppressed"
    assert AuditEntry.objects.filter(action__startswith="soc.alert.", channel="api").count() == 3
    detail = client.get(f"/api/v1/alerts/{first.pk}", **analyst).json()
    assert detail["events"][0]["Computer"] == "h1"


def test_the_alert_list_reads_a_page_in_constant_queries(client, soc):
    analyst = bearer(soc.analyst, soc.organisation)
    soc.raise_alert(host="warm-up")
    client.get("/api/v1/alerts", **analyst)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/alerts", **analyst)
    for n in range(15):
        soc.raise_alert(host=f"many-{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/alerts", **analyst).json()["count"] == 16
    assert len(many) == len(few)


def test_a_case_is_opened_from_alerts_worked_and_handed_off_over_the_api(client, soc):
    analyst = bearer(soc.analyst, soc.organisation)
    alert = soc.raise_alert(IpAddress="10.0.0.5")
    created = post(client, "/api/v1/security-cases", {"alerts": [str(alert.pk)], "title": "Cradle on WS-0042"}, analyst)
    assert created.status_code == 201, created.content
    case = created.json()
    url = f"/api/v1/security-cases/{case['id']}"
    assert case["reference"].startswith("SEC") and case["enrichment"]["supplier"] == "Apps Supplier"
    assert post(client, f"{url}/tasks", {"title": "Isolate"}, analyst).status_code == 201
    assert post(client, f"{url}/notes", {"body": "Seen before"}, analyst).status_code == 201
    observable = {"type": "url", "value": "http://evil.example/a", "tlp": "red", "pap": "clear"}
    assert post(client, f"{url}/observables", observable, analyst).json()["tlp"] == "red"
    bad = post(client, f"{url}/observables", {"type": "phone", "value": "1"}, analyst)
    assert bad.status_code == 422 and "type" in bad.json()["error"]["fields"]
    handed = post(client, f"{url}/hand-off", {"note": "Isolate please"}, analyst)
    assert handed.status_code == 200, handed.content
    incident = handed.json()["incident_detail"]
    assert incident["reference"].startswith("INC") and incident["team"] == "Application support"
    full = client.get(url, **analyst).json()
    assert [t["kind"] for t in full["timeline"]][-1] == "handed_off"
    assert full["mttd_seconds"] > 0 and ("ip", "10.0.0.5") in {(o["type"], o["value"]) for o in full["observables"]}


def test_the_supplier_follows_the_incident_but_cannot_reach_the_case(client, soc):
    case = soc.case()
    analyst = bearer(soc.analyst, soc.organisation)
    handed = post(client, f"/api/v1/security-cases/{case.pk}/hand-off", {}, analyst).json()
    supplier = bearer(soc.desk.apps_resolver, soc.desk.estate.applications)
    reference = handed["incident_detail"]["reference"]
    assert client.get(f"/api/v1/tickets/{reference}", **supplier).status_code == 200
    assert client.get(f"/api/v1/security-cases/{case.pk}", **supplier).status_code == 404
    assert client.get("/api/v1/security-cases", **supplier).json()["count"] == 0
    assert post(client, f"/api/v1/security-cases/{case.pk}/notes", {"body": "x"}, supplier).status_code == 404
    assert SecurityCase.objects.get().notes.count() == 0


def test_detection_rules_are_listed_switched_and_tuned_with_audit(client, soc):
    analyst = bearer(soc.analyst, soc.organisation)
    url = f"/api/v1/detection-rules/{soc.rule.pk}"
    assert client.get("/api/v1/detection-rules?enabled=true", **analyst).json()["count"] == 1
    assert post(client, f"{url}/disable", {}, analyst).json()["enabled"] is False
    assert post(client, f"{url}/enable", {}, analyst).json()["enabled"] is True
    tuned = post(client, f"{url}/exceptions", {"field": "User", "value": "svc", "reason": "Backup job"}, analyst)
    assert tuned.json()["exceptions"][0]["value"] == "svc"
    body = {"field": "Computer", "value": "pentest-1", "reason": "Pen test", "until": "2099-01-01T00:00:00Z"}
    assert post(client, f"{url}/suppressions", body, analyst).status_code == 201
    actions = list(AuditEntry.objects.filter(object_type="soc.detectionrule").values_list("action", flat=True))
    assert actions == ["soc.rule.disabled", "soc.rule.enabled", "soc.rule.exception_added"]
    assert Alert.objects.count() == 0
