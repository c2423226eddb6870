"""The live rule set of detection workers: rebuilt from the enabled rules when, and only when, a rule changes."""

import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.core.actor import Actor
from towers.soc.models import DetectionRule
from towers.soc.services.rules import rule_custom_create, rule_disable, rule_exception_add
from towers.soc.services.rules_import import rules_import
from towers.soc.services.ruleset import LiveRules
from towers.soc.sigma.events import prepare
from towers.soc.tests.rule_texts import BURST_ID, CERTUTIL_ID, WHOAMI_ID, correlation, detection, write_rules

pytestmark = pytest.mark.django_db
SYSMON = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def hits(live: LiveRules, image: str) -> list[str]:
    return [rule.id for rule in live.engine().evaluate(prepare(SYSMON | {"Image": image}))]


@pytest.fixture
def imported(soc, tmp_path):
    DetectionRule.objects.all().delete()  # the factory's rule has no file: keep it out of the counts
    folder = write_rules(tmp_path, whoami=detection(), burst=correlation())
    rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder])
    return folder


def test_the_engine_runs_enabled_file_rules_and_lists_correlations(soc, imported):
    live = LiveRules()
    assert hits(live, "C:\\Windows\\System32\\whoami.exe") == [WHOAMI_ID]
    assert [row.rule_id for row in live.rules()] == [BURST_ID]


def test_disabling_a_rule_removes_it_from_the_next_engine(soc, imported):
    clock = Clock()
    live = LiveRules(clock=clock)
    assert hits(live, "C:\\whoami.exe") == [WHOAMI_ID]
    rule_disable(actor=soc.actor, rule=DetectionRule.objects.get(rule_id=WHOAMI_ID))
    assert hits(live, "C:\\whoami.exe") == [WHOAMI_ID]  # not yet asked again: refresh_seconds not passed
    clock.now += 5
    assert hits(live, "C:\\whoami.exe") == []
    rule_disable(actor=soc.actor, rule=DetectionRule.objects.get(rule_id=BURST_ID))
    clock.now += 5
    assert live.rules() == []


def test_a_new_custom_rule_appears_and_only_it_is_compiled(soc, imported):
    clock = Clock()
    live = LiveRules(clock=clock)
    live.engine()
    assert live.compiles == 1
    text = detection(CERTUTIL_ID, "Certutil", "certutil.exe")
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=text)
    clock.now += 5
    assert hits(live, "C:\\Windows\\certutil.exe") == [CERTUTIL_ID]
    assert (live.builds, live.compiles) == (2, 2)


def test_an_unchanged_stamp_costs_one_query_and_no_rebuild(soc, imported, django_assert_num_queries):
    clock = Clock()
    live = LiveRules(clock=clock)
    live.engine()
    with django_assert_num_queries(0):
        live.engine()  # checked less than refresh_seconds ago
    clock.now += 5
    with CaptureQueriesContext(connection) as queries:
        live.engine()
    assert len(queries) == 1 and "COUNT" in queries[0]["sql"].upper()
    assert (live.builds, live.compiles) == (1, 1)


def test_tuning_a_rule_rebuilds_without_recompiling_it(soc, imported):
    clock = Clock()
    live = LiveRules(clock=clock)
    live.engine()
    rule = DetectionRule.objects.get(rule_id=WHOAMI_ID)
    rule_exception_add(actor=soc.actor, rule=rule, field="User", value="svc", reason="Job")
    clock.now += 5
    live.engine()
    assert (live.builds, live.compiles) == (2, 1)


def test_a_rule_whose_file_is_gone_is_skipped_with_a_warning(soc, imported, caplog):
    (imported / "whoami.yml").unlink()
    with caplog.at_level(logging.WARNING, logger="towers.soc.services.ruleset"):
        live = LiveRules()
        assert live.engine().rules == []
    assert WHOAMI_ID in caplog.text and "cannot be read" in caplog.text


def test_one_rule_enabled_by_two_socs_is_compiled_and_run_once(soc, imported):
    rules_import(actor=Actor.system("tests"), organisation=soc.desk.estate.applications, roots=[imported])
    live = LiveRules()
    assert hits(live, "C:\\whoami.exe") == [WHOAMI_ID] and live.compiles == 1


def test_sigmahq_rules_import_and_run_live(soc):
    folder = Path(settings.TOWERS_SHARED_DATA) / "sigma" / "rules" / "windows" / "create_remote_thread"
    if not folder.is_dir():
        pytest.skip(f"Sigma shared data not found at {folder}")
    report = rules_import(actor=soc.actor, organisation=soc.organisation, roots=[folder])
    files = len(list(folder.glob("*.yml")))
    assert len(report.created) + len(report.failed) == files and len(report.created) >= files * 0.9
    live = LiveRules()
    assert len(live.engine().rules) == len(report.created)
    assert live.compiles == len(report.created)
