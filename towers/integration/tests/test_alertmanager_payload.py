"""Reading Alertmanager's webhook message (version 4): what it says, and every way it can be wrong."""

from datetime import UTC, datetime

import pytest

from towers.integration.alertmanager import PayloadError, parse_notification


def message(*alerts, **extra):
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "towers",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    } | extra


def alert(**extra):
    return {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "instance": "crimedb:9100", "severity": "critical"},
        "annotations": {"summary": "Disk /var on crimedb is 97% full"},
        "startsAt": "2026-11-27T01:02:03.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=disk",
        "fingerprint": "5ef77cdbdc1f9d2a",
    } | extra


def test_a_firing_alert_is_read_with_its_target_severity_and_no_end_yet():
    note = parse_notification(message(alert()))
    (read,) = note.alerts
    assert (note.receiver, note.status, note.external_url) == ("towers", "firing", "http://alertmanager.example:9093")
    assert read.fingerprint == "5ef77cdbdc1f9d2a" and read.status == "firing"
    assert read.starts_at == datetime(2026, 11, 27, 1, 2, 3, 123456, tzinfo=UTC)  # nanoseconds cut to micro
    assert read.ends_at is None
    assert (read.name, read.severity, read.target) == ("DiskFull", "critical", "crimedb")
    assert read.summary == "Disk /var on crimedb is 97% full"


def test_a_resolved_alert_keeps_its_end_and_a_firing_alerts_provisional_end_is_dropped():
    resolved = alert(status="resolved", endsAt="2026-11-27T02:00:00+01:00")
    provisional = alert(fingerprint="aa", endsAt="2026-11-27T05:00:00Z")
    first, second = parse_notification(message(resolved, provisional)).alerts
    assert first.ends_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    assert second.ends_at is None


@pytest.mark.parametrize(
    ("labels", "target"),
    [
        ({"host": "WS-0042", "instance": "10.0.0.1:9100"}, "WS-0042"),
        ({"instance": "[::1]:9100"}, "[::1]:9100"),
        ({"job": "node"}, "node"),
        ({}, ""),
    ],
)
def test_the_target_is_the_most_specific_label_without_a_port(labels, target):
    (read,) = parse_notification(message(alert(labels={"alertname": "X", **labels}))).alerts
    assert read.target == target


def test_without_a_summary_an_alert_is_described_by_its_name_and_target():
    (read,) = parse_notification(message(alert(annotations={}))).alerts
    assert read.summary == "DiskFull on crimedb"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ([], "body", "JSON object"),
        (message(alert(), version="3"), "version", "'4'"),
        (message(alerts="nope"), "alerts", "list"),
        (message("nope"), "alerts[0]", "object"),
        (message(alert(status="pending")), "alerts[0].status", "firing"),
        (message(alert(fingerprint="")), "alerts[0].fingerprint", "required"),
        (message(alert(startsAt="yesterday")), "alerts[0].startsAt", "RFC 3339"),
        (message(alert(startsAt="2026-11-27T01:02:03")), "alerts[0].startsAt", "time zone"),
        (message(alert(labels=["a"])), "alerts[0].labels", "object"),
    ],
)
def test_a_bad_message_names_what_is_wrong(payload, field, words):
    with pytest.raises(PayloadError) as refused:
        parse_notification(payload)
    assert field in refused.value.problems and words in " ".join(refused.value.problems[field])


def test_every_problem_of_every_alert_is_reported_at_once():
    with pytest.raises(PayloadError) as refused:
        parse_notification(message(alert(fingerprint=""), alert(status="x", startsAt="")))
    assert set(refused.value.problems) == {"alerts[0].fingerprint", "alerts[1].status", "alerts[1].startsAt"}
