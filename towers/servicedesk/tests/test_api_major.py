import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.core.models import AuditEntry
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import MajorIncident, Ticket
from towers.servicedesk.tests.catalogue_factories import declared_major, foreign_major, p1_incident

pytestmark = pytest.mark.django_db
JSON = "application/json"


def post(client, url, body, auth):
    return client.post(url, data=body, content_type=JSON, **auth)


def test_the_desk_declares_a_p1_major_by_reference_and_runs_it_to_review(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    incident = p1_incident(desk)
    body = {"bridge": "Teams: MI bridge", "manager": str(desk.agent.id), "stakeholders": ["chief@force.test"]}
    declared = post(client, f"/api/v1/tickets/{incident.reference}/declare-major", body, agent)
    assert declared.status_code == 201, declared.content
    major = declared.json()
    assert major["ticket"]["reference"] == incident.reference and major["status"] == "active"
    assert major["cadence_minutes"] == 30 and major["next_update_due"] and major["manager"] == str(desk.agent.id)
    url = f"/api/v1/major-incidents/{major['id']}"
    sent = post(client, f"{url}/updates", {"body": "Failing over"}, agent)
    assert sent.status_code == 201 and sent.json()["recipients"] == ["chief@force.test"]
    resolved = post(client, f"{url}/resolve", {"summary": "Failed over"}, agent)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert [u["body"] for u in resolved.json()["updates"]] == ["Resolved: Failed over", "Failing over"]
    review = {"review": "Standby unmonitored", "actions": [{"description": "Monitor the standby", "becomes": "change"}]}
    reviewed = post(client, f"{url}/review", review, agent)
    assert reviewed.status_code == 200, reviewed.content
    (action,) = reviewed.json()["actions"]
    assert action["becomes"] == "change" and action["ticket"]["reference"].startswith("CHG")
    actions = AuditEntry.objects.filter(object_id=major["id"]).values_list("action", flat=True)
    assert list(actions) == ["major.declared", "major.update_sent", "major.resolved", "major.reviewed"]


def test_declaring_anything_but_an_open_p1_incident_names_the_reason(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    ticket = desk.raise_incident()
    refused = post(client, f"/api/v1/tickets/{ticket.id}/declare-major", {"bridge": "x"}, agent)
    assert refused.status_code == 422 and "ticket" in refused.json()["error"]["fields"]
    wrong = post(client, f"/api/v1/tickets/{p1_incident(desk).id}/declare-major", {"bridge": ""}, agent)
    assert wrong.status_code == 422 and "bridge" in wrong.json()["error"]["fields"]
    assert not MajorIncident.objects.exists()


def test_a_review_action_that_is_neither_problem_nor_change_is_refused(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    major = declared_major(desk)
    post(client, f"/api/v1/major-incidents/{major.id}/resolve", {"summary": "Fixed"}, agent)
    body = {"review": "x", "actions": [{"description": "Buy cake", "becomes": "task"}]}
    refused = post(client, f"/api/v1/major-incidents/{major.id}/review", body, agent)
    assert refused.status_code == 422 and "actions.0.becomes" in refused.json()["error"]["fields"]
    assert Ticket.objects.filter(kind="change").count() == 0


def test_another_supplier_cannot_see_or_run_a_major_incident_it_is_not_party_to(client, desk):
    major = foreign_major(desk.estate)
    network = bearer(desk.estate.network_admin, desk.estate.network)
    assert client.get("/api/v1/major-incidents", **network).json()["count"] == 0
    assert client.get(f"/api/v1/major-incidents/{major.id}", **network).status_code == 404
    assert post(client, f"/api/v1/major-incidents/{major.id}/updates", {"body": "spoof"}, network).status_code == 404
    assert not major.updates.exists()
    apps = bearer(desk.estate.applications_admin, desk.estate.applications)
    assert client.get(f"/api/v1/major-incidents/{major.id}", **apps).status_code == 200
    assert post(client, f"/api/v1/major-incidents/{major.id}/updates", {"body": "ours"}, apps).status_code == 403


def test_the_board_reads_a_constant_number_of_queries(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    declared_major(desk)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/major-incidents", **agent).json()["count"] == 1
    for _ in range(4):
        declared_major(desk, manager=desk.agent)
    with CaptureQueriesContext(connection) as five:
        assert client.get("/api/v1/major-incidents", **agent).json()["count"] == 5
    assert len(five) <= len(one)  # the first call also records when the token was last used
