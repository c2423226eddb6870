import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.core.models import AuditEntry
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def test_ticket_raised_through_the_api_is_routed_clocked_and_audited(client, desk):
    auth = bearer(desk.agent, desk.estate.integrator)
    body = {"title": "Printer on fire", "impact": 1, "urgency": 1, "service": str(desk.service.id)}
    response = client.post("/api/v1/tickets", data=body, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["reference"].startswith("INC") and created["priority"] == "P1"
    assert created["team"]["name"] == desk.estate.integrator_team.name
    clocks = client.get(f"/api/v1/tickets/{created['reference']}/clocks", **auth).json()
    assert {c["metric"] for c in clocks} == {"response", "resolution"}
    assert AuditEntry.objects.filter(action="ticket.created", object_id=created["id"]).exists()


def test_bad_input_names_the_field(client, desk):
    auth = bearer(desk.agent, desk.estate.integrator)
    response = client.post("/api/v1/tickets", data={"title": "x", "impact": 7}, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "impact" in response.json()["error"]["fields"]
    response = client.post(
        "/api/v1/tickets", data={"title": "x", "category": "nope"}, content_type="application/json", **auth
    )
    assert response.status_code == 422 and "category" in response.json()["error"]["fields"]


def test_hand_off_accept_and_resolve_through_the_api(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    resolver = bearer(desk.apps_resolver, desk.estate.applications)
    ticket = desk.raise_incident()
    sent = client.post(
        f"/api/v1/tickets/{ticket.id}/handoffs",
        data={"team": str(desk.apps_team.id), "reason": "Crime app fault"},
        content_type="application/json",
        **agent,
    )
    assert sent.status_code == 201, sent.content
    inbox = client.get("/api/v1/handoffs", **resolver).json()
    assert [h["id"] for h in inbox["items"]] == [sent.json()["id"]]
    accepted = client.post(
        f"/api/v1/handoffs/{sent.json()['id']}/accept", data={}, content_type="application/json", **resolver
    )
    assert accepted.json()["status"] == "accepted"
    resolved = client.post(
        f"/api/v1/tickets/{ticket.reference}/transition",
        data={"state": "resolved", "resolution_code": "fixed", "resolution_notes": "Restarted"},
        content_type="application/json",
        **resolver,
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    kinds = [e["kind"] for e in client.get(f"/api/v1/tickets/{ticket.id}/timeline", **agent).json()]
    assert kinds[:1] == ["created"] and {"handed_off", "accepted", "resolved"} <= set(kinds)


def test_stale_if_match_is_refused(client, desk):
    auth = bearer(desk.agent, desk.estate.integrator)
    ticket = desk.raise_incident()
    etag = client.get(f"/api/v1/tickets/{ticket.id}", **auth)["ETag"]
    ok = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        data={"title": "New"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth,
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        data={"title": "Newer"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
        **auth,
    )
    assert stale.status_code == 412


def test_queue_filters_by_team_and_priority(client, desk):
    auth = bearer(desk.agent, desk.estate.integrator)
    high = desk.raise_incident(impact=1, urgency=1)
    desk.raise_incident(impact=3, urgency=3)
    page = client.get(f"/api/v1/tickets?team={desk.estate.integrator_team.id}&priority=P1,P2", **auth).json()
    assert [t["reference"] for t in page["items"]] == [high.reference]


def test_queue_page_costs_the_same_queries_for_5_or_50_rows(client, desk):
    auth = bearer(desk.agent, desk.estate.integrator)
    for n in range(50):
        desk.raise_incident(title=f"Fault {n}")
    client.get("/api/v1/tickets?limit=1", **auth)  # the token's first use is recorded once, outside the count
    counts = []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(f"/api/v1/tickets?team={desk.estate.integrator_team.id}&limit={limit}", **auth).json()
        assert len(body["items"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts


def test_a_requester_lists_only_their_own_tickets(client, desk):
    from towers.organisations.tests.factories import person_with_roles

    mine = desk.raise_incident()
    other = person_with_roles(desk.estate.authority, "requester", username="other")
    theirs = desk.raise_incident(title="Not yours")
    Ticket.objects.filter(pk=theirs.pk).update(requester=other)
    auth = bearer(desk.requester, desk.estate.authority)
    page = client.get("/api/v1/tickets", **auth).json()
    assert [t["reference"] for t in page["items"]] == [mine.reference]
    assert client.get(f"/api/v1/tickets/{theirs.reference}", **auth).status_code == 404
