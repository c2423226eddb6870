"""Prometheus Alertmanager → incidents: one per alert episode on the asset's support team, repeats counted,
resolutions applied or noted, and each organisation seeing only the alerts its monitoring sent."""

import pytest

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.models import AuditEntry
from towers.integration.models_monitoring import MonitoringAlert
from towers.integration.tests.test_alertmanager_payload import alert, message
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import State, Ticket, TicketEvent
from towers.servicedesk.tests.factories import build_desk

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/alertmanager"
JSON = "application/json"


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    ConfigurationItemFactory(name="CRIMEDB", owner=estate.applications, support_team=desk.apps_team, criticality=1)
    ConfigurationItemFactory(name="PRINT01", owner=estate.integrator, support_team=estate.integrator_team)
    return desk


@pytest.fixture
def post(client, desk):
    """POST to the webhook as Alertmanager does, with a token of the integrator's desk agent."""
    headers = bearer(desk.estate.integrator_agent, desk.estate.integrator)

    def send(payload):
        return client.post(URL, data=payload, content_type=JSON, **headers)

    send.headers = headers  # the same token, for reads
    return send


def test_a_firing_alert_raises_one_incident_on_the_team_supporting_the_asset(post, desk):
    sent = post(message(alert()))
    assert sent.status_code == 200, sent.content
    (reference,) = sent.json()["raised"]
    incident = Ticket.objects.get(reference=reference)
    assert incident.team == desk.apps_team and incident.channel == "monitoring"
    assert (incident.impact, incident.urgency) == (1, 1)  # severity critical
    assert incident.title == "DiskFull: Disk /var on crimedb is 97% full"
    assert [ci.name for ci in incident.cis.all()] == ["CRIMEDB"]
    assert "Fingerprint: 5ef77cdbdc1f9d2a" in incident.description
    row = MonitoringAlert.objects.get()
    assert row.incident == incident and row.ci.name == "CRIMEDB" and row.received == 1
    entry = AuditEntry.objects.filter(action="monitoring.alerts.received").get()
    assert entry.after["raised"] == [reference]


def test_repeats_of_the_same_episode_are_counted_not_raised_again(post, desk):
    for _ in range(3):
        post(message(alert()))
    assert Ticket.objects.filter(channel="monitoring").count() == 1
    assert MonitoringAlert.objects.get().received == 3
    assert post(message(alert())).json()["repeated"] == 1


def test_the_same_alert_firing_again_later_is_a_new_episode_and_a_new_incident(post, desk):
    post(message(alert()))
    post(message(alert(status="resolved", endsAt="2026-11-27T01:30:00Z")))
    again = post(message(alert(startsAt="2026-11-27T03:00:00Z"))).json()
    assert len(again["raised"]) == 1 and MonitoringAlert.objects.count() == 2


def test_a_resolved_alert_resolves_an_incident_nobody_has_started(post, desk):
    fired = post(message(alert(labels={"alertname": "PrinterDown", "instance": "print01:9100"})))
    incident = Ticket.objects.get(reference=fired.json()["raised"][0])
    assert incident.state == State.ASSIGNED and incident.team == desk.estate.integrator_team
    printer = {"alertname": "PrinterDown", "instance": "print01:9100"}
    done = post(message(alert(status="resolved", endsAt="2026-11-27T01:30:00Z", labels=printer)))
    assert done.json()["resolved"] == [incident.reference]
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED and incident.resolution_code == "no_fault_found"
    assert MonitoringAlert.objects.get().status == "resolved"


def test_a_resolved_alert_only_annotates_an_incident_another_organisation_is_working(post, desk):
    fired = post(message(alert()))
    incident = Ticket.objects.get(reference=fired.json()["raised"][0])
    assert incident.organisation_id == desk.estate.applications.pk  # handed to the supplier that supports CRIMEDB
    done = post(message(alert(status="resolved", endsAt="2026-11-27T01:30:00Z"))).json()
    assert done["annotated"] == [incident.reference] and done["resolved"] == []
    incident.refresh_from_db()
    assert incident.state != State.RESOLVED
    note = incident.events.filter(kind=TicketEvent.Kind.COMMENT).last()
    assert "DiskFull resolved at 2026-11-27 01:30:00 UTC" in note.body


def test_a_resolution_for_an_alert_never_seen_firing_changes_nothing(post, desk):
    done = post(message(alert(status="resolved", endsAt="2026-11-27T01:30:00Z"))).json()
    assert done["ignored"] == 1 and not Ticket.objects.exists()


def test_an_alert_naming_no_known_asset_goes_to_the_desk_to_triage(post, desk):
    fired = post(message(alert(labels={"alertname": "Odd", "instance": "unknown:1"}))).json()
    incident = Ticket.objects.get(reference=fired["raised"][0])
    assert incident.organisation_id == desk.estate.integrator.pk and not incident.cis.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"not json", "body"), (b'{"version": "3", "alerts": []}', "version"), (b'{"version": "4"}', "alerts")],
)
def test_a_message_that_is_not_alertmanagers_is_refused_naming_the_problem(client, desk, body, field):
    agent = desk.estate.integrator_agent
    refused = client.post(URL, data=body, content_type=JSON, **bearer(agent, desk.estate.integrator))
    assert refused.status_code == 422 and field in refused.json()["error"]["fields"]
    assert not Ticket.objects.exists() and not MonitoringAlert.objects.exists()


def test_without_a_token_nothing_is_received(client, desk):
    assert client.post(URL, data=message(alert()), content_type=JSON).status_code == 401
    assert not MonitoringAlert.objects.exists()


def test_each_organisation_sees_only_the_alerts_its_monitoring_sent(client, post, desk):
    post(message(alert()))
    estate = desk.estate
    mine = client.get("/api/v1/monitoring-alerts", **post.headers).json()
    assert [a["name"] for a in mine["items"]] == ["DiskFull"] and mine["items"][0]["incident"].startswith("INC")
    theirs = client.get("/api/v1/monitoring-alerts", **bearer(estate.network_admin, estate.network)).json()
    assert theirs["items"] == []
