"""Rule management services: importing rule files, validating and writing custom rules, the CLI."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of
from towers.soc.models import DetectionRule, RuleKind
from towers.soc.services.rules import (
    rule_custom_create,
    rule_custom_update,
    rule_exception_add,
    rule_exception_remove,
)
from towers.soc.services.rules_import import rules_import
from towers.soc.sigma.validation import rule_validate
from towers.soc.tests.rule_texts import BURST_ID, CERTUTIL_ID, WHOAMI_ID, correlation, detection, write_rules

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


def test_import_creates_detection_and_correlation_rules_with_one_audit_entry(soc, tmp_path):
    folder = write_rules(tmp_path / "rules", whoami=detection(), burst=correlation())
    report = rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder])
    assert report.counts() == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    whoami = DetectionRule.objects.get(organisation=soc.organisation, rule_id=WHOAMI_ID)
    assert (whoami.title, whoami.level, whoami.kind, whoami.enabled) == ("Whoami run", "medium", "detection", True)
    assert whoami.tags == ["attack.discovery", "attack.t1033"]
    assert whoami.source_path == str(folder / "whoami.yml")
    assert DetectionRule.objects.get(rule_id=BURST_ID).kind == RuleKind.CORRELATION
    entries = AuditEntry.objects.filter(action="soc.rules.imported")
    assert entries.count() == 1 and AuditEntry.objects.filter(object_type="soc.detectionrule").count() == 0
    assert sorted(entries.get().after["created_rules"]) == sorted([WHOAMI_ID, BURST_ID])


def test_a_dry_run_reports_what_would_change_and_writes_nothing(soc, tmp_path):
    folder = write_rules(tmp_path, whoami=detection())
    before = DetectionRule.objects.count(), AuditEntry.objects.count()
    report = rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder], dry_run=True)
    assert [r.rule_id for r in report.created] == [WHOAMI_ID] and report.summary().startswith("dry run: 1 created")
    assert (DetectionRule.objects.count(), AuditEntry.objects.count()) == before


def test_failures_are_reported_by_file_and_the_rest_still_import(soc, tmp_path):
    folder = write_rules(
        tmp_path,
        good=detection(),
        broken="title: x\n  bad: [\n",
        listed="- a\n- b\n",
        modifier=detection(CERTUTIL_ID).replace("Image|endswith", "Image|frobnicate"),
    )
    report = rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder, tmp_path / "absent"])
    assert len(report.created) == 1
    failed = dict(report.failed)
    assert set(failed) == {str(folder / f"{n}.yml") for n in ("broken", "listed", "modifier")} | {
        str(tmp_path / "absent")
    }
    assert "frobnicate" in failed[str(folder / "modifier.yml")]
    assert failed[str(tmp_path / "absent")] == "not found"


def test_reimport_keeps_tuning_and_reports_unchanged_and_updated(soc, tmp_path):
    folder = write_rules(tmp_path, whoami=detection(), certutil=detection(CERTUTIL_ID, "Certutil", "certutil.exe"))
    rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder], enable=False)
    whoami = DetectionRule.objects.get(rule_id=WHOAMI_ID)
    assert whoami.enabled is False
    rule_exception_add(actor=soc.actor, rule=whoami, field="User", value="svc", reason="Inventory job")
    write_rules(folder, whoami=detection(title="Whoami run (renamed)", level="high"))
    report = rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder])
    assert (len(report.updated), len(report.unchanged), len(report.created)) == (1, 1, 0)
    whoami.refresh_from_db()
    assert (whoami.title, whoami.level, whoami.enabled) == ("Whoami run (renamed)", "high", False)
    assert whoami.exceptions[0]["value"] == "svc" and whoami.version == 3


def test_import_does_not_replace_a_custom_rule_of_the_same_id(soc, tmp_path):
    custom = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection(title="Mine"))
    report = rules_import(actor=soc.actor, organisation=soc.organisation, roots=[write_rules(tmp_path, w=detection())])
    assert report.created == [] and "written in Towers" in report.failed[0][1]
    custom.refresh_from_db()
    assert custom.title == "Mine"


def test_import_needs_a_soc_role(soc, tmp_path):
    with pytest.raises(Forbidden):
        rules_import(
            actor=actor_of(soc.desk.apps_resolver, soc.desk.estate.applications),
            organisation=soc.organisation,
            roots=[tmp_path],
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the rule is empty"),
        ("title: x\n  bad: [\n", "YAML error at line 2, column 6: mapping values are not allowed here"),
        ("- a\n- b\n", "a rule is a YAML mapping"),
        (detection() + "---\n" + detection(CERTUTIL_ID), "exactly one rule per text (found 2"),
        (detection().replace(f"id: {WHOAMI_ID}\n", ""), "id: is required"),
        (detection().replace("title: Whoami run\n", ""), "title: is required"),
        (detection().split("detection:")[0], "detection: is required"),
        (detection().replace("|endswith", "|frobnicate"), "modifier: Unknown modifier 'frobnicate'"),
        (detection().replace("condition: selection", "condition: selection and other"), "condition: Detection 'other'"),
        (detection().replace(WHOAMI_ID, "not-a-uuid"), "identifier: Sigma rule identifier must be an UUID"),
        (correlation().replace("  timespan: 5m\n", ""), "correlation rule: Sigma correlation rule without timespan"),
        (correlation().replace("event_count", "bogus"), "'bogus' is no valid Sigma correlation type"),
    ],
)
def test_validation_names_what_is_wrong(text, expected):
    result = rule_validate(text)
    assert not result.valid
    assert any(expected in error for error in result.errors), result.errors


def test_validation_tries_sample_events():
    sysmon = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    whoami = {"Image": "C:\\Windows\\System32\\whoami.exe"}
    events = [sysmon | whoami, sysmon | {"Image": "C:\\x.exe"}, whoami, "not an object"]
    result = rule_validate(detection(), events)  # type: ignore[list-item]
    assert result.valid and (result.rule_id, result.kind, result.level) == (WHOAMI_ID, "detection", "medium")
    outcome = [(s.matched, bool(s.error), bool(s.detail)) for s in result.samples]
    assert outcome == [(True, False, False), (False, False, False), (False, False, True), (False, True, False)]
    assert rule_validate(correlation(), events).notes  # type: ignore[arg-type]


def test_custom_rules_are_created_updated_and_audited(soc):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    assert (rule.rule_id, rule.title, rule.kind, rule.custom_text) == (
        WHOAMI_ID,
        "Whoami run",
        "detection",
        detection(),
    )
    updated = rule_custom_update(actor=soc.actor, rule=rule, text=detection(title="Whoami again", level="low"))
    assert (updated.title, updated.level, updated.version) == ("Whoami again", "low", 2)
    entries = AuditEntry.objects.filter(object_id=str(rule.pk)).order_by("seq")
    assert [e.action for e in entries] == ["soc.rule.created", "soc.rule.updated"]
    assert entries[1].before == {"text": detection()} and "Whoami again" in entries[1].after["text"]


def test_a_custom_rule_id_is_unique_per_soc_and_fixed_once_written(soc):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection())
    with pytest.raises(ValidationFailed) as duplicate:
        rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=detection(title="Other"))
    assert "already runs a rule with the id" in duplicate.value.fields["id"][0]
    with pytest.raises(ValidationFailed) as renamed:
        rule_custom_update(actor=soc.actor, rule=rule, text=detection(CERTUTIL_ID))
    assert "cannot change" in renamed.value.fields["id"][0]
    with pytest.raises(ValidationFailed) as invalid:
        rule_custom_update(actor=soc.actor, rule=rule, text="title: x\n  bad: [\n")
    assert "YAML error at line 2" in invalid.value.fields["text"][0]
    # Another SOC may run a rule of the same id.
    other = rule_custom_create(actor=SYSTEM, organisation=soc.desk.estate.applications, text=detection())
    assert other.rule_id == rule.rule_id


def test_only_custom_rules_take_new_text(soc):
    with pytest.raises(ValidationFailed) as refused:
        rule_custom_update(actor=soc.actor, rule=soc.rule, text=detection(soc.rule.rule_id))
    assert "only rules written in Towers" in refused.value.fields["text"][0]


def test_an_exception_is_removed_with_an_audit_entry(soc):
    rule = soc.rule
    for value in ("svc_a", "svc_b"):
        rule_exception_add(actor=soc.actor, rule=rule, field="User", value=value, reason="Job")
    rule_exception_remove(actor=soc.actor, rule=rule, index=0)
    rule.refresh_from_db()
    assert [e["value"] for e in rule.exceptions] == ["svc_b"]
    entry = AuditEntry.objects.get(action="soc.rule.exception_removed")
    assert entry.after == {"removed": {"field": "User", "value": "svc_a", "reason": "Job", "by": soc.actor.label}}
    with pytest.raises(NotFound):
        rule_exception_remove(actor=soc.actor, rule=rule, index=5)


def test_the_cli_imports_and_validates(soc, tmp_path):
    folder = write_rules(tmp_path, whoami=detection(), burst=correlation())
    out = StringIO()
    code = soc.organisation.code
    call_command("soc", "rules", "import", str(folder), "--organisation", code, "--dry-run", stdout=out)
    assert out.getvalue().startswith("dry run: 2 created") and DetectionRule.objects.count() == 1
    call_command("soc", "rules", "import", str(folder), "--organisation", code, "--disabled", stdout=out)
    assert DetectionRule.objects.filter(organisation=soc.organisation, enabled=False).count() == 2
    assert AuditEntry.objects.get(action="soc.rules.imported").channel == "import"
    with pytest.raises(CommandError, match="no organisation has the code"):
        call_command("soc", "rules", "import", str(folder), "--organisation", "nope")
    call_command("soc", "rules", "validate", str(folder / "whoami.yml"), stdout=out)
    assert f"valid detection rule {WHOAMI_ID}" in out.getvalue()
    (tmp_path / "bad.yml").write_text(detection().replace("|endswith", "|frobnicate"), encoding="utf-8")
    with pytest.raises(CommandError, match="Unknown modifier 'frobnicate'"):
        call_command("soc", "rules", "validate", str(tmp_path / "bad.yml"))
