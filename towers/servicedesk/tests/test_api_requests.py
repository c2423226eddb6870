import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.core.models import AuditEntry
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import CatalogItem, State, Ticket
from towers.servicedesk.services.requests import request_submit
from towers.servicedesk.tests.catalogue_factories import build_catalogue, foreign_item, laptop_item

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def cat(desk):
    return build_catalogue(desk)


def post(client, url, body, auth, **headers):
    return client.post(url, data=body, content_type=JSON, **auth, **headers)


def test_an_administrator_offers_an_item_and_a_bad_definition_is_refused_field_by_field(client, desk):
    admin = bearer(desk.estate.integrator_admin, desk.estate.integrator)
    body = {
        "code": "phone",
        "name": "Mobile phone",
        "service": str(desk.service.id),
        "form": [{"name": "colour", "label": "Colour", "type": "choice", "choices": ["black", "white"]}],
        "approvals": ["line_manager"],
        "tasks": [{"title": "Order the phone", "team": str(desk.apps_team.id)}],
    }
    made = post(client, "/api/v1/catalog-items", body, admin)
    assert made.status_code == 201, made.content
    assert made.json()["service"]["name"] == desk.service.name and made.json()["tasks"][0]["after"] is None
    assert AuditEntry.objects.filter(action="catalog_item.created", object_id=made.json()["id"]).exists()
    bad = post(client, "/api/v1/catalog-items", body | {"code": "phone-2", "form": [{"name": "x", "type": "?"}]}, admin)
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"form[0].label", "form[0].type"}
    agent = bearer(desk.agent, desk.estate.integrator)
    assert post(client, "/api/v1/catalog-items", body | {"code": "phone-3"}, agent).status_code == 403


def test_an_item_is_changed_only_from_the_version_read(client, desk):
    item = laptop_item(desk)
    admin = bearer(desk.estate.integrator_admin, desk.estate.integrator)
    read = client.get(f"/api/v1/catalog-items/{item.id}", **admin)
    etag = read["ETag"]
    changed = client.patch(
        f"/api/v1/catalog-items/{item.id}",
        data={"name": "Laptop (standard)"},
        content_type=JSON,
        HTTP_IF_MATCH=etag,
        **admin,
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Laptop (standard)"
    stale = client.patch(
        f"/api/v1/catalog-items/{item.id}", data={"name": "Old"}, content_type=JSON, HTTP_IF_MATCH=etag, **admin
    )
    assert stale.status_code == 412
    assert CatalogItem.objects.get(pk=item.pk).name == "Laptop (standard)"


def test_a_requester_submits_with_answers_and_wrong_answers_are_named(client, cat):
    officer = bearer(cat.desk.requester, cat.desk.estate.authority)
    wrong = post(client, "/api/v1/requests", {"catalog_item": str(cat.item.id), "answers": {"quantity": 0}}, officer)
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"answers.model", "answers.quantity", "answers.budget_holder"}
    made = post(client, "/api/v1/requests", {"catalog_item": str(cat.item.id), "answers": cat.answers()}, officer)
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["reference"].startswith("REQ") and body["state"] == "pending" and body["pending_reason"] == "approval"
    assert [(a["step"], a["role"], a["status"]) for a in body["approvals"]] == [
        (1, "line_manager", "requested"),
        (2, "budget_holder", "requested"),
    ]
    assert [s["title"] for s in body["steps"]] == ["Set up an account", "Build the laptop"] and body["tasks"] == []
    mine = client.get("/api/v1/requests", **officer).json()
    assert [r["reference"] for r in mine["items"]] == [body["reference"]]


def test_approvers_decide_in_turn_through_their_inbox_and_tasks_appear_with_their_clocks(client, cat):
    request = request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())
    manager = bearer(cat.line_manager, cat.desk.estate.authority)
    holder = bearer(cat.budget_holder, cat.desk.estate.authority)
    assert client.get("/api/v1/request-approvals", **holder).json()["count"] == 0
    (waiting,) = client.get("/api/v1/request-approvals", **manager).json()["items"]
    assert waiting["reference"] == request.reference and waiting["approver_name"]
    decided = post(client, f"/api/v1/request-approvals/{waiting['id']}/decide", {"decision": "approved"}, manager)
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    again = post(client, f"/api/v1/request-approvals/{waiting['id']}/decide", {"decision": "approved"}, manager)
    assert again.status_code == 422
    (second,) = client.get("/api/v1/request-approvals", **holder).json()["items"]
    post(client, f"/api/v1/request-approvals/{second['id']}/decide", {"decision": "approved", "comment": "OK"}, holder)
    agent = bearer(cat.desk.agent, cat.desk.estate.integrator)
    detail = client.get(f"/api/v1/requests/{request.id}", **agent).json()
    assert detail["state"] == "in_progress"
    (task,) = detail["tasks"]
    assert task["reference"].startswith("TSK") and {c["metric"] for c in task["clocks"]} == {"response", "resolution"}


def test_a_rejection_needs_a_comment_and_cancels_the_request(client, cat):
    request = request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())
    manager = bearer(cat.line_manager, cat.desk.estate.authority)
    approval = request.approvals.get(step=1)
    url = f"/api/v1/request-approvals/{approval.id}/decide"
    refused = post(client, url, {"decision": "rejected"}, manager)
    assert refused.status_code == 422 and "comment" in refused.json()["error"]["fields"]
    assert post(client, url, {"decision": "rejected", "comment": "Not in budget"}, manager).status_code == 200
    assert Ticket.objects.get(pk=request.pk).state == State.CANCELLED


def test_the_requester_withdraws_their_request_but_nobody_elses(client, cat):
    request = request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())
    stranger = bearer(cat.budget_holder, cat.desk.estate.authority)
    response = post(client, f"/api/v1/requests/{request.id}/withdraw", {"reason": "Mine now"}, stranger)
    assert response.status_code == 403  # the budget holder sees it, to approve it, but it is not theirs to withdraw
    assert Ticket.objects.get(pk=request.pk).is_open
    officer = bearer(cat.desk.requester, cat.desk.estate.authority)
    withdrawn = post(client, f"/api/v1/requests/{request.id}/withdraw", {"reason": "Found one"}, officer)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "cancelled"


def test_another_supplier_neither_sees_nor_uses_an_item_or_request_it_is_not_party_to(client, cat):
    apps_item = foreign_item(cat.desk.estate)
    request = request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())
    network = bearer(cat.desk.estate.network_admin, cat.desk.estate.network)
    listed = client.get("/api/v1/catalog-items", **network).json()
    assert str(apps_item.id) not in {i["id"] for i in listed["items"]}
    assert client.get(f"/api/v1/catalog-items/{apps_item.id}", **network).status_code == 404
    assert client.get(f"/api/v1/requests/{request.id}", **network).status_code == 404
    submitted = post(client, "/api/v1/requests", {"catalog_item": str(apps_item.id), "answers": {}}, network)
    assert submitted.status_code == 404
    approval = request.approvals.get(step=1)
    spoof = post(client, f"/api/v1/request-approvals/{approval.id}/decide", {"decision": "approved"}, network)
    assert spoof.status_code == 404
    assert request.approvals.get(step=1).status == "requested"
    apps = bearer(cat.desk.estate.applications_admin, cat.desk.estate.applications)
    assert client.get(f"/api/v1/catalog-items/{apps_item.id}", **apps).status_code == 200


def test_the_request_list_reads_a_constant_number_of_queries(client, cat):
    agent = bearer(cat.desk.agent, cat.desk.estate.integrator)
    request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/requests", **agent).json()["count"] == 1
    for _ in range(5):
        request_submit(actor=cat.desk.actor(cat.desk.requester), item=cat.item, answers=cat.answers())
    with CaptureQueriesContext(connection) as six:
        assert client.get("/api/v1/requests", **agent).json()["count"] == 6
    assert len(six) <= len(one)  # the first request also records when the token was last used
