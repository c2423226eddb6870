"""Detection rule pages and the rule management API: list, write and validate, tune, and segregation."""

import json

import pytest

from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.soc.models import AlertStatus, DetectionRule, Suppression
from towers.soc.services.rules import rule_custom_create, rule_exception_add
from towers.soc.services.rules_import import rules_import
from towers.soc.tests.factories import detection_rule
from towers.soc.tests.rule_texts import WHOAMI_ID, correlation, detection, write_rules

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_the_list_filters_and_counts_recent_alerts_and_exceptions(client, soc, tmp_path):
    soc.raise_alert(host="ws-1")
    rule_exception_add(actor=soc.actor, rule=soc.rule, field="User", value="svc", reason="Job")
    rules_import(actor=soc.actor, organisation=soc.organisation, roots=[write_rules(tmp_path, b=correlation())])
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    sign_in(client, soc.analyst, soc.organisation)
    page = client.get("/detection-rules/").content.decode()
    row = page.split(f'href="/detection-rules/{soc.rule.pk}/"')[1].split("</tr>")[0]
    assert 'class="number">1</td>' in row and row.count('class="number">1</td>') == 2  # 1 exception, 1 alert
    assert "Whoami run" in page and "Whoami burst" in page
    custom = client.get("/detection-rules/?custom=1").content.decode()
    assert "Whoami run" in custom and "Whoami burst" not in custom and soc.rule.title not in custom
    assert "Whoami run" not in client.get("/detection-rules/?kind=correlation").content.decode()
    assert "Whoami burst" not in client.get("/detection-rules/?level=medium").content.decode()
    assert soc.rule.title not in client.get("/detection-rules/?q=whoami").content.decode()
    assert "Whoami run" in client.get(f"/detection-rules/?q={WHOAMI_ID[:8]}").content.decode()
    client.post(f"/detection-rules/{soc.rule.pk}/disable/")
    link = f'href="/detection-rules/{soc.rule.pk}/"'
    assert link not in client.get("/detection-rules/?enabled=on").content.decode()
    assert link in client.get("/detection-rules/?enabled=off").content.decode()


def test_the_list_reads_a_page_in_constant_queries(client, soc, django_assert_max_num_queries):
    for n in range(30):
        rule = detection_rule(soc.organisation, rule_id=f"r-{n}", title=f"Rule {n}")
        soc.rule = rule
        soc.raise_alert(host=f"h{n}")
    sign_in(client, soc.analyst, soc.organisation)
    client.get("/detection-rules/")
    with django_assert_max_num_queries(12):
        page = client.get("/detection-rules/").content.decode()
    assert page.count('<tr class="rule') == 31


def test_a_rule_is_written_validated_and_saved_on_the_new_page(client, soc):
    sign_in(client, soc.analyst, soc.organisation)
    assert client.get("/detection-rules/new/").status_code == 200
    samples = json.dumps([{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Image": "C:\\whoami.exe"}])
    checked = client.post("/detection-rules/new/", {"text": detection(), "samples": samples, "action": "validate"})
    assert "The rule is valid" in checked.content.decode() and "Matches" in checked.content.decode()
    assert not DetectionRule.objects.filter(rule_id=WHOAMI_ID).exists()
    broken = detection().replace("|endswith", "|frobnicate")
    refused = client.post("/detection-rules/new/", {"text": broken, "action": "validate"}).content.decode()
    assert "Unknown modifier &#x27;frobnicate&#x27;" in refused
    saved = client.post("/detection-rules/new/", {"text": detection(), "action": "save"})
    rule = DetectionRule.objects.get(rule_id=WHOAMI_ID)
    assert saved["Location"] == f"/detection-rules/{rule.pk}/" and rule.organisation == soc.organisation
    again = client.post("/detection-rules/new/", {"text": detection(), "action": "save"}).content.decode()
    assert "already runs a rule with the id" in again
    assert AuditEntry.objects.filter(action="soc.rule.created", channel="web").count() == 1


def test_a_custom_rule_is_edited_and_a_file_rule_is_not(client, soc):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    sign_in(client, soc.analyst, soc.organisation)
    assert "Whoami run" in client.get(f"/detection-rules/{rule.pk}/edit/").content.decode()
    client.post(f"/detection-rules/{rule.pk}/edit/", {"text": detection(title="Renamed"), "action": "save"})
    rule.refresh_from_db()
    assert (rule.title, rule.version) == ("Renamed", 2)
    assert client.get(f"/detection-rules/{soc.rule.pk}/edit/")["Location"] == f"/detection-rules/{soc.rule.pk}/"


def test_the_detail_page_shows_the_rule_and_its_tuning_steps_work(client, soc, tmp_path):
    rules_import(actor=soc.actor, organisation=soc.organisation, roots=[write_rules(tmp_path, w=detection())])
    rule = DetectionRule.objects.get(rule_id=WHOAMI_ID)
    sign_in(client, soc.analyst, soc.organisation)
    url = f"/detection-rules/{rule.pk}/"
    assert client.post(f"{url}disable/").status_code == 302
    assert client.post(f"{url}exceptions/", {"field": "User", "value": "svc_a", "reason": "Job"}).status_code == 302
    client.post(f"{url}exceptions/", {"field": "User", "value": "svc_b", "reason": "Job"})
    client.post(f"{url}exceptions-remove/", {"index": 0})
    until = "2099-01-01T00:00"
    client.post(
        f"{url}suppressions/", {"field": "Computer", "value": "pentest-1", "reason": "Pen test", "until": until}
    )
    rule.refresh_from_db()
    assert rule.enabled is False and [e["value"] for e in rule.exceptions] == ["svc_b"]
    assert Suppression.objects.get(rule=rule).value == "pentest-1"
    page = client.get(url).content.decode()
    assert "Image|endswith" in page and "attack.t1033" in page and "pentest-1" in page and "svc_b" in page
    assert "Switch on" in page and "svc_a" not in page
    actions = set(AuditEntry.objects.filter(channel="web").values_list("action", flat=True))
    assert {"soc.rule.disabled", "soc.rule.exception_removed", "soc.suppression.created"} <= actions


def test_the_detail_page_lists_recent_alerts_and_survives_a_missing_file(client, soc):
    alert = soc.raise_alert(host="ws-seen")
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.save()
    DetectionRule.objects.filter(pk=soc.rule.pk).update(source_path="/nowhere/rule.yml")
    sign_in(client, soc.analyst, soc.organisation)
    page = client.get(f"/detection-rules/{soc.rule.pk}/").content.decode()
    assert "ws-seen" in page and "cannot be read here" in page


def test_another_organisation_gets_404_on_every_rule_page(client, soc):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    audit_before = AuditEntry.objects.count()
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    for suffix in ("", "edit/"):
        assert client.get(f"/detection-rules/{rule.pk}/{suffix}").status_code == 404
    for step in ("enable", "disable", "exceptions", "exceptions-remove", "suppressions", "edit"):
        assert client.post(f"/detection-rules/{rule.pk}/{step}/", {"index": 0}).status_code == 404
    assert "Whoami run" not in client.get("/detection-rules/").content.decode()
    assert AuditEntry.objects.count() == audit_before


def test_a_supplier_without_a_soc_role_cannot_write_a_rule(client, soc):
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    refused = client.post("/detection-rules/new/", {"text": detection(), "action": "save"})
    assert refused.status_code == 403 and not DetectionRule.objects.filter(rule_id=WHOAMI_ID).exists()


def test_the_api_creates_updates_validates_and_removes_exceptions(client, soc):
    analyst = bearer(soc.analyst, soc.organisation)
    created = client.post("/api/v1/detection-rules", {"text": detection()}, content_type=JSON, **analyst)
    assert created.status_code == 201 and created.json()["rule_id"] == WHOAMI_ID
    url = f"/api/v1/detection-rules/{created.json()['id']}"
    updated = client.put(url, {"text": detection(title="Renamed")}, content_type=JSON, **analyst)
    assert updated.json()["title"] == "Renamed" and updated.json()["version"] == 2
    assert client.get(url, **analyst).json()["title"] == "Renamed"  # the read route still answers on this path
    duplicate = client.post("/api/v1/detection-rules", {"text": detection()}, content_type=JSON, **analyst)
    assert duplicate.status_code == 422 and "already runs" in duplicate.json()["error"]["fields"]["id"][0]
    broken = client.put(url, {"text": "title: x\n  bad: [\n"}, content_type=JSON, **analyst)
    assert broken.status_code == 422 and "line 2" in broken.json()["error"]["fields"]["text"][0]
    rule = DetectionRule.objects.get(rule_id=WHOAMI_ID)
    rule_exception_add(actor=soc.actor, rule=rule, field="User", value="svc", reason="Job")
    assert client.delete(f"{url}/exceptions/0", **analyst).json()["exceptions"] == []
    assert client.delete(f"{url}/exceptions/0", **analyst).status_code == 404
    actions = list(AuditEntry.objects.filter(channel="api").values_list("action", flat=True))
    assert actions == ["soc.rule.created", "soc.rule.updated", "soc.rule.exception_removed"]


def test_the_api_validates_a_rule_text_and_tries_sample_events(client, soc):
    # Needs towers/api.py to mount the rules router before the SOC router: otherwise the SOC router's
    # /detection-rules/{id} (a plain string segment) answers this path with 405.
    analyst = bearer(soc.analyst, soc.organisation)
    sysmon = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    events = [sysmon | {"Image": "C:\\whoami.exe"}, {"Image": "C:\\whoami.exe"}]
    body = {"text": detection(), "sample_events": events}
    checked = client.post("/api/v1/detection-rules/validate", body, content_type=JSON, **analyst).json()
    assert checked["valid"] is True and checked["rule_id"] == WHOAMI_ID
    assert [(s["matched"], bool(s["detail"])) for s in checked["samples"]] == [(True, False), (False, True)]
    broken = {"text": detection().replace("|endswith", "|frobnicate")}
    refused = client.post("/api/v1/detection-rules/validate", broken, content_type=JSON, **analyst).json()
    assert refused["valid"] is False and "Unknown modifier 'frobnicate'" in refused["errors"][0]
    assert not DetectionRule.objects.filter(rule_id=WHOAMI_ID).exists()


def test_another_organisation_gets_404_from_the_rule_api(client, soc):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    rule_exception_add(actor=Actor.system("tests"), rule=rule, field="User", value="svc", reason="Job")
    supplier = bearer(soc.desk.apps_resolver, soc.desk.estate.applications)
    url = f"/api/v1/detection-rules/{rule.pk}"
    assert client.put(url, {"text": detection(title="Mine")}, content_type=JSON, **supplier).status_code == 404
    assert client.delete(f"{url}/exceptions/0", **supplier).status_code == 404
    rule.refresh_from_db()
    assert rule.title == "Whoami run" and len(rule.exceptions) == 1


def test_an_auditor_reads_rules_but_is_offered_no_tuning(client, soc):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    estate = soc.desk.estate
    sign_in(client, estate.auditor, estate.authority)
    assert "Whoami run" in client.get("/detection-rules/").content.decode()
    page = client.get(f"/detection-rules/{rule.pk}/").content.decode()
    assert "Image|endswith" in page and "Switch off" not in page and "Add exception" not in page
    assert client.post(f"/detection-rules/{rule.pk}/disable/").status_code == 403
    rule.refresh_from_db()
    assert rule.enabled is True
