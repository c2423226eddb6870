"""Event intake over NATS JetStream (the one at 127.0.0.1:4222): server-side de-duplication, redelivery, and several
detection workers sharing a durable consumer with every event evaluated exactly once when one of them dies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db.models import Count

import towers.soc.policies_intake  # noqa: F401  (registers the intake models until SocConfig.ready does)
from towers.core.actor import Actor
from towers.organisations.tests.factories import OrganisationFactory
from towers.soc.intake.event import Event
from towers.soc.models.intake import EvaluatedEvent, QuarantinedEvent
from towers.soc.services.intake import events_accept
from towers.soc.stream import StreamEvent, StreamSettings, consume, publisher, stream_delete

NATS_URL = os.environ.get("TOWERS_TEST_NATS_URL", "nats://127.0.0.1:4222")
RULE = """
title: Every test event
id: 22222222-3333-4444-5555-666666666666
level: low
logsource: {product: linux}
detection:
  selection: {message|contains: event}
  condition: selection
"""


def _reachable() -> bool:
    host, port = NATS_URL.rsplit("//", 1)[-1].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _reachable(), reason=f"no NATS JetStream server at {NATS_URL}")


@pytest.fixture
def stream():
    """A stream and subjects of this test's own, removed afterwards."""
    tag = uuid.uuid4().hex[:10]
    config = StreamSettings(url=NATS_URL, stream=f"TEST_{tag}", subjects=f"test.{tag}", ack_wait=2.0, max_deliver=3)
    yield config
    stream_delete(config)


def _events(count: int) -> list[Event]:
    now = datetime.now(UTC)
    return [Event({"message": f"test event {n}", "n": n}, "syslog", now, f"<13>test event {n}") for n in range(count)]


@pytest.mark.django_db
def test_a_retried_publish_is_dropped_by_the_server_and_the_rest_evaluated(stream):
    organisation = OrganisationFactory()
    system = Actor.system("tests")
    events = _events(5)
    first = events_accept(actor=system, events=events, quarantined=[], organisation=organisation, stream=stream)
    retry = events_accept(actor=system, events=events, quarantined=[], organisation=organisation, stream=stream)
    assert (first.accepted, first.duplicates) == (5, 0)
    assert (retry.accepted, retry.duplicates) == (5, 5)  # same ids within the duplicate window: not stored twice
    got: list[StreamEvent] = []
    stats = consume(got.extend, settings=stream, poison=lambda *_: None, batch=50, idle_exit=2)
    assert sorted(item.event.fields["n"] for item in got) == [0, 1, 2, 3, 4]
    assert got[0].organisation_id == organisation.pk and got[0].event.raw == "<13>test event 0"
    assert stats.messages == 5


@pytest.mark.django_db
def test_an_event_detection_keeps_failing_on_is_quarantined_not_lost(stream):
    publisher(stream).publish([StreamEvent("poison-1", uuid.uuid4(), _events(1)[0])])
    attempts: list[int] = []
    poisoned: list[str] = []

    def failing(items: list[StreamEvent]) -> None:
        attempts.extend(item.deliveries for item in items)
        raise RuntimeError("rule engine broke")

    stats = consume(failing, settings=stream, poison=lambda _data, why: poisoned.append(why), batch=10, idle_exit=5)
    assert attempts == [1, 2, 3]  # redelivered after each failure, up to max_deliver
    assert len(poisoned) == 1 and "rule engine broke" in poisoned[0]
    assert stats.poisoned == 1
    assert not QuarantinedEvent.objects.exists()  # the worker's poison callback decides where it goes


def _subprocess_env() -> dict[str, str]:
    db = django_settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "towers.settings.base", "LOG_FORMAT": "plain"}
    env["TOWERS_NATS_URL"] = NATS_URL
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"worker exited early with {process.returncode}"
        assert time.monotonic() < deadline, "the worker never reached the held batch"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_workers_share_the_stream_and_a_killed_worker_costs_no_event_and_no_double_evaluation(stream, tmp_path):
    total, batch = 400, 20
    organisation = OrganisationFactory()
    rules = tmp_path / "rule.yml"
    rules.write_text(RULE)
    held = tmp_path / "held"
    accepted = events_accept(
        actor=Actor.system("tests"), events=_events(total), quarantined=[], organisation=organisation, stream=stream
    )
    assert accepted.accepted == total
    env = _subprocess_env()
    doomed = subprocess.Popen(
        [sys.executable, "-m", "towers.soc.tests.stream_worker", "--url", NATS_URL, "--stream", stream.stream,
         "--subjects", stream.subjects, "--rules", str(rules), "--ack-wait", str(stream.ack_wait),
         "--batch", str(batch), "--hold-after", "2", "--held", str(held)],
        env=env,
    )  # fmt: skip
    survivor = subprocess.Popen(
        [sys.executable, "-m", "towers.cli", "soc_intake", "detect", "--stream", stream.stream, "--subjects",
         stream.subjects, "--rules", str(rules), "--ack-wait", str(stream.ack_wait), "--batch", str(batch),
         "--idle-exit", "5"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for(held, doomed)
        committed_unacked = int(held.read_text())
        doomed.send_signal(signal.SIGKILL)  # mid-stream, after its batch committed and before it was acknowledged
        doomed.wait(timeout=10)
        out, err = survivor.communicate(timeout=60)
    finally:
        for process in (doomed, survivor):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert survivor.returncode == 0, err
    rows = EvaluatedEvent.objects.filter(organisation=organisation)
    assert rows.count() == total
    assert rows.values("event_id").distinct().count() == total
    workers = {row["worker"]: row["n"] for row in rows.values("worker").annotate(n=Count("id"))}
    assert len(workers) == 2, workers  # both took part
    assert all(row.hits == ["22222222-3333-4444-5555-666666666666"] for row in rows)
    summary = dict(part.split("=") for part in out.strip().splitlines()[-1].split())
    survivor_rows = next(n for name, n in workers.items() if name.endswith(f":{survivor.pid}"))
    assert int(summary["evaluated"]) == survivor_rows
    # The dead worker's committed batch came back to the survivor, which recognised it rather than re-evaluating.
    assert int(summary["skipped"]) == committed_unacked > 0
    assert int(summary["redelivered"]) >= committed_unacked
