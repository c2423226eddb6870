from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.models import AuditEntry
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.services.problems import problem_create
from towers.servicedesk.tests.factories_changes import (
    ChangeTemplateFactory,
    FreezeWindowFactory,
    build_cab,
    normal_change,
    tomorrow,
)

pytestmark = pytest.mark.django_db
JSON = "application/json"


def post(client, url, auth, body=None, **headers):
    return client.post(url, data=body or {}, content_type=JSON, **auth, **headers)


def test_a_normal_change_goes_from_draft_through_the_cab_to_closed_over_the_api(client, desk):
    cab = build_cab(desk)
    agent = bearer(desk.agent, desk.estate.integrator)
    start = tomorrow()
    body = {
        "title": "Patch the crime database",
        "service": str(desk.service.id),
        "team": str(desk.estate.integrator_team.id),
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=2)).isoformat(),
        "implementation_plan": "Patch standby, fail over, patch primary.",
        "backout_plan": "Fail back.",
    }
    created = post(client, "/api/v1/changes", agent, body)
    assert created.status_code == 201, created.content
    change = created.json()
    url = f"/api/v1/changes/{change['id']}"
    assert change["reference"].startswith("CHG") and change["stage"] == "draft" and change["change_type"] == "normal"

    refused = post(client, f"{url}/submit", agent)
    assert refused.status_code == 422 and "risk" in refused.json()["error"]["fields"]
    risk = {"outage_required": False, "backout_tested": True, "done_before": True}
    assessed = post(client, f"{url}/risk", agent, risk)
    assert assessed.json()["risk"] == "low" and assessed.json()["risk_answers"]["score"] == 2

    submitted = post(client, f"{url}/submit", agent).json()
    assert submitted["stage"] == "awaiting_approval" and submitted["approval_rule"] == "majority"
    assert {a["approver"]["id"] for a in submitted["approvals"]} == {str(p.id) for p in cab.members}

    manager = bearer(cab.manager, desk.estate.integrator)
    inbox = client.get("/api/v1/approvals", **manager).json()
    assert [a["change"] for a in inbox["items"]] == [change["id"]]
    mine = inbox["items"][0]["id"]
    undecided = post(client, f"/api/v1/approvals/{mine}/decide", manager, {})
    assert undecided.status_code == 422 and "decision" in undecided.json()["error"]["fields"]
    assert post(client, f"/api/v1/approvals/{mine}/decide", agent, {"decision": "approve"}).status_code == 403
    assert post(client, f"/api/v1/approvals/{mine}/decide", manager, {"decision": "approve"}).json()["status"] == (
        "approved"
    )
    lead = bearer(cab.lead_one, desk.estate.integrator)
    theirs = client.get("/api/v1/approvals", **lead).json()["items"][0]["id"]
    post(client, f"/api/v1/approvals/{theirs}/decide", lead, {"decision": "approve", "comment": "Go"})
    assert client.get(url, **agent).json()["stage"] == "scheduled"

    with freeze_time(start + timedelta(minutes=5)):
        assert post(client, f"{url}/implement", agent).json()["stage"] == "implementing"
        done = post(client, f"{url}/complete", agent, {"outcome": "successful"}).json()
        assert done["stage"] == "review" and done["outcome"] == "successful"
        closed = post(client, f"{url}/close", agent).json()
    assert closed["stage"] == "closed" and closed["actual_start"] and closed["actual_end"]
    audited = set(AuditEntry.objects.filter(object_id=change["id"]).values_list("action", flat=True))
    expected = {"change.created", "change.risk_assessed", "change.submitted", "change.approved"}
    assert expected | {"change.implementation_started", "change.completed", "change.closed"} <= audited


def test_patch_needs_the_current_etag_and_rescoping_an_approved_change_withdraws_it(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    change = normal_change(desk)
    url = f"/api/v1/changes/{change.id}"
    etag = client.get(url, **agent)["ETag"]
    first = client.patch(url, data={"test_plan": "Smoke test"}, content_type=JSON, HTTP_IF_MATCH=etag, **agent)
    assert first.status_code == 200, first.content
    assert first["ETag"] != etag and first.json()["test_plan"] == "Smoke test"
    stale = client.patch(url, data={"test_plan": "Again"}, content_type=JSON, HTTP_IF_MATCH=etag, **agent)
    assert stale.status_code == 412
    bad = client.patch(url, data={"planned_end": tomorrow(8).isoformat()}, content_type=JSON, **agent)
    assert bad.status_code == 422 and "planned_end" in bad.json()["error"]["fields"]


def test_a_standard_change_is_raised_from_its_template_by_code(client, desk):
    template = ChangeTemplateFactory(code="restart-pool")
    agent = bearer(desk.agent, desk.estate.integrator)
    start = tomorrow()
    body = {
        "title": "Restart pool",
        "change_type": "standard",
        "template": "restart-pool",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=1)).isoformat(),
    }
    created = post(client, "/api/v1/changes", agent, body).json()
    assert created["stage"] == "scheduled" and created["template"] == "restart-pool"
    assert created["backout_plan"] == template.backout_plan and created["approvals"] == []
    unknown = post(client, "/api/v1/changes", agent, body | {"template": "nope"})
    assert unknown.status_code == 404
    listed = client.get("/api/v1/change-templates", **agent).json()
    assert [t["code"] for t in listed["items"]] == ["restart-pool"]


def test_the_change_calendar_flags_conflicts_and_freezes(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    db = ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-db")
    first = normal_change(desk, cis=[db])
    second = normal_change(desk, cis=[db], title="Index rebuild", start=tomorrow(11))
    freeze = FreezeWindowFactory(name="Budget", starts_at=tomorrow(11), ends_at=tomorrow(12))
    start, end = tomorrow(0), tomorrow(0) + timedelta(days=1)
    response = client.get("/api/v1/change-calendar", {"start": start.isoformat(), "end": end.isoformat()}, **agent)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["change"]["reference"] for c in body["changes"]] == [first.reference, second.reference]
    kinds = {(c["kind"], (c["other"] or c["freeze"])["id"]) for c in body["changes"][0]["conflicts"]}
    assert kinds == {("same_ci", str(second.id)), ("same_service", str(second.id)), ("freeze", str(freeze.id))}
    assert body["changes"][0]["conflicts"][0]["shared"] == ["crime-db"]
    assert [f["name"] for f in body["freezes"]] == ["Budget"]
    assert client.get("/api/v1/change-calendar", {"start": start.isoformat()}, **agent).status_code == 422
    too_long = {"start": start.isoformat(), "end": (start + timedelta(days=400)).isoformat()}
    assert client.get("/api/v1/change-calendar", too_long, **agent).status_code == 422


def test_change_list_query_count_does_not_grow_with_the_page(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    normal_change(desk)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/changes?limit=50", **agent).status_code == 200
        return len(queries)

    count()  # the token's first use of the day is recorded once
    one = count()
    for hour in range(6):
        normal_change(desk, start=tomorrow(hour), cis=[ConfigurationItemFactory(owner=desk.estate.integrator)])
    assert count() == one


def test_templates_are_added_by_desk_administrators_for_low_and_medium_risk_work_only(client, desk):
    body = {"code": "reboot-kiosk", "name": "Reboot a kiosk", "implementation_plan": "Reboot.", "backout_plan": "None."}
    assert post(client, "/api/v1/change-templates", bearer(desk.agent, desk.estate.integrator), body).status_code == 403
    admin = bearer(desk.estate.integrator_admin, desk.estate.integrator)
    assert post(client, "/api/v1/change-templates", admin, body | {"risk": "high"}).status_code == 422
    created = post(client, "/api/v1/change-templates", admin, body | {"team": str(desk.estate.integrator_team.id)})
    assert created.status_code == 201 and created.json()["team"]["id"] == str(desk.estate.integrator_team.id)
    assert AuditEntry.objects.filter(action="change_template.created", object_id=created.json()["id"]).exists()
    assert post(client, "/api/v1/change-templates", admin, body).status_code == 422  # the code is taken


def test_freezes_are_created_by_desk_administrators_only(client, desk):
    body = {
        "name": "Year end",
        "starts_at": tomorrow(0).isoformat(),
        "ends_at": (tomorrow(0) + timedelta(days=3)).isoformat(),
        "services": [str(desk.service.id)],
    }
    refused = post(client, "/api/v1/freeze-windows", bearer(desk.agent, desk.estate.integrator), body)
    assert refused.status_code == 403
    admin = bearer(desk.estate.integrator_admin, desk.estate.integrator)
    created = post(client, "/api/v1/freeze-windows", admin, body)
    assert created.status_code == 201 and created.json()["services"] == [str(desk.service.id)]
    assert AuditEntry.objects.filter(action="freeze_window.created", object_id=created.json()["id"]).exists()
    listed = client.get("/api/v1/freeze-windows", **bearer(desk.apps_resolver, desk.estate.applications)).json()
    assert [f["name"] for f in listed["items"]] == ["Year end"]  # freezes are everyone's to know


def test_a_problem_becomes_a_known_error_that_matches_incidents_over_the_api(client, desk):
    agent = bearer(desk.agent, desk.estate.integrator)
    incident = desk.raise_incident(title="VPN token expired again")
    created = post(client, "/api/v1/problems", agent, {"title": "VPN tokens expire", "incident": str(incident.id)})
    assert created.status_code == 201, created.content
    problem = created.json()
    url = f"/api/v1/problems/{problem['id']}"
    assert [i["reference"] for i in problem["incidents"]] == [incident.reference]
    assert post(client, f"{url}/known-error", agent, {"workaround": "Re-enrol", "symptoms": ""}).status_code == 422
    published = post(client, f"{url}/known-error", agent, {"workaround": "Re-enrol", "symptoms": "VPN token expired"})
    assert published.json()["known_error"] and published.json()["workaround"] == "Re-enrol"
    post(client, f"{url}/root-cause", agent, {"root_cause": "Vendor default lifetime"})
    other = desk.raise_incident(title="My VPN token expired")
    matches = client.get("/api/v1/known-errors", {"incident": str(other.id)}, **agent).json()["items"]
    assert [m["problem"]["id"] for m in matches] == [problem["id"]] and matches[0]["score"] >= 3
    linked = post(client, f"{url}/incidents", agent, {"incidents": [str(other.id)]}).json()
    assert {i["id"] for i in linked["incidents"]} == {str(incident.id), str(other.id)}
    unlinked = client.delete(f"{url}/incidents/{other.id}", **agent).json()
    assert [i["id"] for i in unlinked["incidents"]] == [str(incident.id)]
    resolved = post(client, f"{url}/resolve", agent, {"resolve_incidents": True}).json()
    assert resolved["problem"]["state"] == "resolved" and [i["id"] for i in resolved["incidents_resolved"]] == [
        str(incident.id)
    ]


def test_another_supplier_gets_404_for_changes_and_problems_and_writes_nothing(client, desk):
    change = normal_change(desk)
    problem = problem_create(actor=desk.actor(desk.agent), title="Desk-only", team=desk.estate.integrator_team)
    outsider = bearer(desk.estate.network_resolver, desk.estate.network)
    before = AuditEntry.objects.count()
    assert client.get(f"/api/v1/changes/{change.id}", **outsider).status_code == 404
    assert post(client, f"/api/v1/changes/{change.id}/cancel", outsider, {"reason": "x"}).status_code == 404
    assert client.get(f"/api/v1/problems/{problem.id}", **outsider).status_code == 404
    body = {"workaround": "x", "symptoms": "y"}
    assert post(client, f"/api/v1/problems/{problem.id}/known-error", outsider, body).status_code == 404
    assert client.get("/api/v1/changes", **outsider).json()["count"] == 0
    assert client.get("/api/v1/problems", **outsider).json()["count"] == 0
    assert AuditEntry.objects.count() == before
