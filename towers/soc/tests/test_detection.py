"""Every detection path runs the SOC's live rules: HTTP intake with no stream evaluates in-process, and a
`towers soc_intake detect` worker started without `--rules` runs the enabled rules and correlations written in
Towers, through to alerts."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from towers.core.actor import Actor
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.soc.intake.event import Event
from towers.soc.models import Alert, EvaluatedEvent
from towers.soc.services import intake
from towers.soc.services.intake import events_accept
from towers.soc.services.rules import rule_custom_create, rule_disable
from towers.soc.stream import StreamSettings, stream_delete
from towers.soc.tests.test_stream import NATS_URL, _reachable, _subprocess_env

FAILED_LOGON = """
title: Failed logon
id: 5e2a1c7b-0d4f-4a51-9a40-5a1f3c2b7e10
name: failed_logon
level: low
tags: [attack.credential_access, attack.t1110]
logsource: {product: windows, service: security}
detection:
  selection: {EventID: 4625}
  condition: selection
"""
BRUTE_FORCE = """
title: Brute force against one account
id: 0b8c3d52-77a1-4f0e-8d3e-2a6b9c1d4e5f
level: high
correlation:
  type: event_count
  rules: [failed_logon]
  group-by: [TargetUserName]
  timespan: 10m
  condition: {gte: 3}
"""


def _failed_logons(user: str, n: int) -> list[dict[str, object]]:
    start = datetime.now(UTC) - timedelta(minutes=2)
    return [
        {
            "Channel": "Security",
            "EventID": 4625,
            "Computer": "ws-1.example.test",
            "TargetUserName": user,
            "IpAddress": "10.0.0.9",
            "TimeCreated": (start + timedelta(seconds=10 * i)).isoformat(),
        }
        for i in range(n)
    ]


@pytest.fixture
def in_process(monkeypatch):
    """No stream, nothing attached: intake falls back to its own live-rule detection (made afresh per test)."""
    monkeypatch.setattr(intake, "_default", None)
    monkeypatch.setattr(intake, "_local_detector", None)
    monkeypatch.setattr(intake, "stream_settings", lambda: None)


def test_http_intake_without_a_stream_raises_alerts_from_rules_written_in_towers(client, soc, in_process):
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=FAILED_LOGON)
    sent = client.post(
        "/api/v1/events/batch",
        data=_failed_logons("alice", 2),
        content_type="application/json",
        **bearer(soc.analyst, soc.organisation),
    )
    assert sent.status_code == 200, sent.content
    assert EvaluatedEvent.objects.filter(organisation=soc.organisation).count() == 2
    alert = Alert.objects.get(rule__rule_id="5e2a1c7b-0d4f-4a51-9a40-5a1f3c2b7e10")
    assert alert.count == 2 and alert.user == "alice" and alert.techniques == ["T1110"]
    sign_in(client, soc.analyst, soc.organisation)
    assert "Failed logon" in client.get("/alerts/").content.decode()


def test_a_rule_switched_off_stops_alerting_at_once(soc, in_process):
    rule = rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=FAILED_LOGON)
    rule_disable(actor=soc.actor, rule=rule)
    events = [Event(e, "http", datetime.now(UTC), "") for e in _failed_logons("bob", 3)]
    events_accept(actor=Actor.system("tests"), events=events, quarantined=[], organisation=soc.organisation)
    assert EvaluatedEvent.objects.filter(organisation=soc.organisation).count() == 3
    assert not Alert.objects.exists()


def test_a_correlation_written_in_towers_fires_in_process_and_its_building_block_stays_quiet(soc, in_process):
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=FAILED_LOGON)
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=BRUTE_FORCE)
    for batch in (_failed_logons("carol", 2), _failed_logons("carol", 1)):
        events = [Event(e, "http", datetime.now(UTC), "") for e in batch]
        events_accept(actor=Actor.system("tests"), events=events, quarantined=[], organisation=soc.organisation)
    alert = Alert.objects.get()
    assert alert.title == "Brute force against one account" and alert.severity == "high"
    assert len(alert.events) == 3


@pytest.mark.slow
@pytest.mark.skipif(not _reachable(), reason=f"no NATS JetStream server at {NATS_URL}")
@pytest.mark.django_db(transaction=True)
def test_a_detect_worker_without_rule_files_runs_the_socs_rules_and_correlations(soc):
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=FAILED_LOGON)
    rule_custom_create(actor=soc.actor, organisation=soc.organisation, text=BRUTE_FORCE)
    tag = uuid.uuid4().hex[:10]
    stream = StreamSettings(url=NATS_URL, stream=f"TEST_{tag}", subjects=f"test.{tag}", ack_wait=5.0)
    events = [Event(e, "http", datetime.now(UTC), "") for e in _failed_logons("dave", 4)]
    try:
        events_accept(
            actor=Actor.system("tests"), events=events, quarantined=[], organisation=soc.organisation, stream=stream
        )
        worker = subprocess.run(
            [sys.executable, "-m", "towers.cli", "soc_intake", "detect", "--stream", stream.stream,
             "--subjects", stream.subjects, "--idle-exit", "3"],
            env=_subprocess_env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        stream_delete(stream)
    assert worker.returncode == 0, worker.stderr
    assert "evaluated=4" in worker.stdout
    alert = Alert.objects.get()
    assert alert.title == "Brute force against one account" and alert.user == "dave"
