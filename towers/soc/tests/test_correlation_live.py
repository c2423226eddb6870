"""Sigma correlation rules on the live stream: windows kept in the database across batches and workers, fired once."""

from __future__ import annotations

import itertools
import json
import os
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from towers.core.actor import Actor
from towers.soc.intake.event import Event
from towers.soc.models import Alert, DetectionRule
from towers.soc.models.alerts import RuleKind
from towers.soc.models.correlations import CorrelationMatch
from towers.soc.services.correlations import (
    CorrelationUnreadable,
    correlation_hits,
    correlation_matches_prune,
    correlation_of,
    detection_hits,
)
from towers.soc.services.intake import Evaluation, alert_hits, events_evaluate
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.rules import CompileReport, compile_text
from towers.soc.stream import StreamEvent
from towers.soc.tests.factories import detection_rule

SYSTEM = Actor.system("detection")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # every test event's own time is earlier than its receipt

BASE_RULES = """\
title: Failed logon
id: 0f0f0f0f-0000-4000-8000-000000004625
name: failed_logon
logsource: {product: windows, service: security}
detection:
    sel: {EventID: 4625}
    condition: sel
---
title: Successful logon
id: 0f0f0f0f-0000-4000-8000-000000004624
name: successful_logon
logsource: {product: windows, service: security}
detection:
    sel: {EventID: 4624}
    condition: sel
---
title: Discovery command
id: 0f0f0f0f-0000-4000-8000-000000004688
logsource: {product: windows, service: security}
detection:
    sel: {EventID: 4688, NewProcessName|endswith: '\\whoami.exe'}
    condition: sel
"""
DISCOVERY_ID = "0f0f0f0f-0000-4000-8000-000000004688"

BRUTE_FORCE = """\
title: Brute force against one account
name: brute_force
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 10m
    condition: {gte: 5}
level: high
"""
SPRAY = """\
title: Password spray from one source
name: spray
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 10m
    condition: {field: TargetUserName, gte: 3}
"""
LOGON_THEN_DISCOVERY = """\
title: Logon {kind} discovery
name: logon_discovery
correlation:
    type: {kind}
    rules: [successful_logon, {discovery}]
    group-by: [user]
    timespan: 5m
    aliases:
        user:
            successful_logon: TargetUserName
            {discovery}: SubjectUserName
"""

_ids = itertools.count()


@pytest.fixture(scope="module")
def engine() -> Engine:
    report = CompileReport()
    compile_text(BASE_RULES, report)
    assert not report.failures, report.summary()
    assert {r.name for r in report.rules} == {"failed_logon", "successful_logon", ""}
    return Engine(report.rules)


def correlation(soc, text: str, rule_id: str) -> DetectionRule:
    return detection_rule(
        soc.organisation, rule_id=rule_id, title=rule_id, kind=RuleKind.CORRELATION, custom_text=textwrap.dedent(text)
    )


def failed(minute: float, user: str = "alice", ip: str = "10.0.0.9") -> dict[str, Any]:
    return _event(minute, EventID=4625, TargetUserName=user, IpAddress=ip)


def logon(minute: float, user: str = "alice") -> dict[str, Any]:
    return _event(minute, EventID=4624, TargetUserName=user)


def discovery(minute: float, user: str = "alice") -> dict[str, Any]:
    return _event(minute, EventID=4688, SubjectUserName=user, NewProcessName="C:\\Windows\\System32\\whoami.exe")


def _event(minute: float, **fields: Any) -> dict[str, Any]:
    return {"Channel": "Security", "@timestamp": (T0 + timedelta(minutes=minute)).isoformat(), **fields}


def items(soc, *events: dict[str, Any]) -> list[StreamEvent]:
    return [
        StreamEvent(f"event-{next(_ids)}", soc.organisation.pk, Event(e, "jsonl", RECEIVED, json.dumps(e)))
        for e in events
    ]


def run(engine: Engine, batch: list[StreamEvent], handler: Any = None) -> Evaluation:
    """One detection batch, as a worker runs it, with the SOC's correlation rules as they are now."""
    if handler is None:
        handler = correlation_hits(SYSTEM, list(DetectionRule.objects.filter(kind=RuleKind.CORRELATION)))
    return events_evaluate(engine=engine, items=batch, on_hits=handler, worker="test")


def alerts_of(rule: DetectionRule) -> list[Alert]:
    return list(Alert.objects.filter(rule=rule))


def test_five_failed_logons_across_three_batches_raise_one_alert_and_clear_the_window(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, failed(0), failed(1)))
    run(engine, items(soc, failed(2), failed(3)))
    assert alerts_of(rule) == []
    run(engine, items(soc, failed(4)))
    [alert] = alerts_of(rule)
    assert (alert.title, alert.severity, alert.count, alert.user) == ("brute_force", "high", 5, "alice")
    assert [e["@timestamp"][11:16] for e in alert.events] == ["09:00", "09:01", "09:02", "09:03", "09:04"]
    assert not CorrelationMatch.objects.exists()


def test_four_failed_logons_raise_nothing_and_wait_in_the_window(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, failed(0), failed(1)))
    run(engine, items(soc, failed(2), failed(3)))
    assert alerts_of(rule) == []
    assert CorrelationMatch.objects.filter(correlation=rule, rule_ref="failed_logon").count() == 4


def test_failed_logons_spread_beyond_the_timespan_raise_nothing_and_age_out(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    for minute in (0, 3, 6, 9, 12, 15):  # never five within ten minutes
        run(engine, items(soc, failed(minute)))
    assert alerts_of(rule) == []
    kept = CorrelationMatch.objects.filter(correlation=rule).values_list("at", flat=True)
    assert sorted(kept) == [T0 + timedelta(minutes=m) for m in (6, 9, 12, 15)]


def test_groups_count_separately_when_interleaved(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, *(failed(m, user) for m in range(4) for user in ("alice", "bob"))))
    assert alerts_of(rule) == []
    run(engine, items(soc, failed(5, "bob")))
    [alert] = alerts_of(rule)
    assert alert.user == "bob" and {e["TargetUserName"] for e in alert.events} == {"bob"}
    assert [tuple(v) for v in CorrelationMatch.objects.values_list("group_values", flat=True)] == [("alice",)] * 4


def test_a_redelivered_batch_adds_nothing(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    first = items(soc, failed(0), failed(1), failed(2))
    run(engine, first)
    again = run(engine, first)  # the stream redelivers: same event ids
    assert (again.evaluated, again.skipped) == (0, 3)
    assert CorrelationMatch.objects.count() == 3
    run(engine, items(soc, failed(3)))
    assert alerts_of(rule) == []  # six matches would have fired here had the redelivery counted
    last = items(soc, failed(4))
    run(engine, last)
    run(engine, first + last)
    [alert] = alerts_of(rule)
    assert alert.count == 5


def test_a_late_event_counts_within_the_timespan(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, failed(2), failed(5), failed(9), failed(11)))
    run(engine, items(soc, failed(-30)))  # far older than the window: not counted with these
    assert alerts_of(rule) == []
    run(engine, items(soc, failed(1.5)))  # late, but 1.5..11 is inside ten minutes
    [alert] = alerts_of(rule)
    assert alert.count == 5
    assert [e["@timestamp"][11:19] for e in alert.events][:2] == ["09:01:30", "09:02:00"]


def test_a_late_event_outside_every_window_raises_nothing(soc, engine):
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, failed(2), failed(5), failed(9), failed(11)))
    run(engine, items(soc, failed(0.5)))  # 0.5..11 is more than ten minutes; 0.5..9 holds only four
    assert alerts_of(rule) == []


def test_value_count_counts_distinct_targets_per_source(soc, engine):
    rule = correlation(soc, SPRAY, "spray")
    run(engine, items(soc, failed(0, "alice"), failed(1, "alice"), failed(2, "bob")))
    run(engine, items(soc, failed(2, "carol", ip="10.0.0.7"), failed(3, "dave", ip="10.0.0.7")))
    assert alerts_of(rule) == []
    run(engine, items(soc, failed(4, "carol")))
    [alert] = alerts_of(rule)
    assert {e["TargetUserName"] for e in alert.events} == {"alice", "bob", "carol"}
    assert {e["IpAddress"] for e in alert.events} == {"10.0.0.9"}


@pytest.mark.parametrize("kind", ["temporal", "temporal_ordered"])
def test_temporal_correlations_follow_the_user_through_aliased_fields(soc, engine, kind):
    rule = correlation(soc, LOGON_THEN_DISCOVERY.format(kind=kind, discovery=DISCOVERY_ID), "logon_discovery")
    run(engine, items(soc, logon(0, "alice"), discovery(1, "bob")))
    assert alerts_of(rule) == []  # different users
    run(engine, items(soc, discovery(2, "alice")))
    [alert] = alerts_of(rule)
    assert [e["EventID"] for e in alert.events] == [4624, 4688]


def test_temporal_ordered_in_the_wrong_order_raises_nothing_but_temporal_does(soc, engine):
    ordered = correlation(soc, LOGON_THEN_DISCOVERY.format(kind="temporal_ordered", discovery=DISCOVERY_ID), "o")
    unordered = correlation(soc, LOGON_THEN_DISCOVERY.format(kind="temporal", discovery=DISCOVERY_ID), "u")
    run(engine, items(soc, discovery(0)))
    run(engine, items(soc, logon(1)))
    assert alerts_of(ordered) == []
    assert len(alerts_of(unordered)) == 1
    run(engine, items(soc, logon(7), discovery(13)))  # in order, but six minutes apart
    assert alerts_of(ordered) == []


def test_base_rules_of_a_correlation_raise_no_alert_of_their_own_unless_it_says_generate(soc, engine):
    base = detection_rule(soc.organisation, rule_id="0f0f0f0f-0000-4000-8000-000000004625", title="Failed logon")
    brute = correlation(soc, BRUTE_FORCE, "brute_force")

    def handler() -> Any:
        running = list(DetectionRule.objects.filter(kind=RuleKind.CORRELATION))
        return detection_hits(SYSTEM, alerts=alert_hits(SYSTEM), correlations=running)

    run(engine, items(soc, *(failed(m) for m in range(5))), handler())
    assert alerts_of(base) == []
    assert len(alerts_of(brute)) == 1
    brute.custom_text = BRUTE_FORCE.replace("timespan: 10m", "timespan: 10m\n    generate: true")
    brute.version += 1
    brute.save()
    run(engine, items(soc, failed(20)), handler())
    assert len(alerts_of(base)) == 1


def test_a_correlation_is_read_from_a_file_of_several_by_its_id_or_name(soc, tmp_path):
    path = tmp_path / "mr_logons.yml"
    path.write_text(textwrap.dedent(BRUTE_FORCE) + "---\n" + textwrap.dedent(SPRAY))
    rule = detection_rule(soc.organisation, rule_id="spray", kind=RuleKind.CORRELATION, source_path=str(path))
    spray = correlation_of(rule)
    assert (spray.type, spray.value_field, spray.group_by, spray.timespan) == (
        "value_count",
        "TargetUserName",
        ("IpAddress",),
        600.0,
    )
    assert correlation_of(rule) is spray  # parsed once per version
    path.write_text(textwrap.dedent(BRUTE_FORCE))
    os.utime(path, ns=(1, 1))  # a file edited within the clock's resolution still counts as edited
    assert correlation_of(rule).type == "event_count"  # the only correlation left in the file


def test_a_correlation_that_does_not_parse_is_skipped_and_the_others_still_run(soc, engine):
    broken = correlation(soc, "title: [unclosed\ncorrelation: {type: event_count", "broken")
    with pytest.raises(CorrelationUnreadable):
        correlation_of(broken)
    brute = correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, *(failed(m) for m in range(5))))
    assert len(alerts_of(brute)) == 1


def test_pruning_deletes_only_matches_older_than_their_correlations_timespan(soc, engine):
    brute = correlation(soc, BRUTE_FORCE, "brute_force")  # 10 minutes
    hour = correlation(soc, BRUTE_FORCE.replace("10m", "1h").replace("brute_force", "slow"), "slow")
    run(engine, items(soc, failed(0), failed(30, "bob"), failed(55, "carol")))
    assert CorrelationMatch.objects.filter(correlation=brute).count() == 3
    assert CorrelationMatch.objects.filter(correlation=hour).count() == 3
    assert correlation_matches_prune(now=T0 + timedelta(minutes=62)) == 3
    assert set(CorrelationMatch.objects.values_list("correlation", "at")) == {
        (brute.pk, T0 + timedelta(minutes=55)),
        (hour.pk, T0 + timedelta(minutes=30)),
        (hour.pk, T0 + timedelta(minutes=55)),
    }


@pytest.mark.django_db(transaction=True)
def test_two_workers_adding_to_one_window_at_once_see_each_others_matches(soc, engine):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite has one writer at a time")
    rule = correlation(soc, BRUTE_FORCE, "brute_force")
    running = list(DetectionRule.objects.filter(kind=RuleKind.CORRELATION))
    inner = correlation_hits(SYSTEM, running)

    def slow(item: StreamEvent, rules: list[Any]) -> None:
        inner(item, rules)
        time.sleep(0.3)  # hold the transaction open while the other worker starts

    failures: list[BaseException] = []

    def worker(batch: list[StreamEvent], delay: float) -> None:
        time.sleep(delay)
        try:
            run(engine, batch, slow)
        except BaseException as error:  # a thread's exception is not the test's unless handed over
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(items(soc, failed(0), failed(1), failed(2)), 0)),
        threading.Thread(target=worker, args=(items(soc, failed(3), failed(4), failed(5)), 0.1)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # Unserialised, each worker would see only its own three matches and nothing would fire.
    assert [a.count for a in alerts_of(rule)] == [5]
    assert CorrelationMatch.objects.count() == 1


def test_the_worker_prunes_correlation_windows_every_five_minutes(soc, engine, monkeypatch):
    from towers.soc import tasks

    monkeypatch.setattr(tasks.schedule, "again", lambda task: None)  # no next run booked in a unit test
    correlation(soc, BRUTE_FORCE, "brute_force")
    run(engine, items(soc, failed(0), failed(1, "bob")))  # T0 is long past: both are outside the 10 minutes
    assert tasks.prune_correlation_matches.call() == 2
    assert not CorrelationMatch.objects.exists()
    assert tasks.schedule._periodic[tasks.prune_correlation_matches.module_path][1] == 300
