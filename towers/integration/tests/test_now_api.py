"""The ServiceNow-compatible Table API, read side: envelopes, sysparm_* parameters, headers, authentication,
and segregation — a supplier's credentials reach only the tickets that supplier is party to."""

import base64

import pytest

from towers.organisations.tests.factories import PASSWORD
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.tests.factories import build_desk, foreign_ticket

pytestmark = pytest.mark.django_db
URL = "/api/now/table/incident"


def basic(username, secret=PASSWORD):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    desk.disk = desk.raise_incident(title="Disk full on CRIMEDB", impact=1, urgency=1)
    desk.slow = desk.raise_incident(title="Crime system slow")
    return desk


@pytest.fixture
def agent(desk):
    return basic(desk.estate.integrator_agent.username)


def test_a_list_comes_in_the_result_envelope_with_count_and_links(client, desk, agent):
    got = client.get(URL, {"sysparm_limit": 1}, **agent)
    assert got.status_code == 200
    assert got["X-Total-Count"] == "2" and len(got.json()["result"]) == 1
    assert 'rel="next"' in got["Link"] and 'rel="last"' in got["Link"] and 'rel="prev"' not in got["Link"]
    second = client.get(URL, {"sysparm_limit": 1, "sysparm_offset": 1}, **agent)
    assert 'rel="prev"' in second["Link"] and 'rel="next"' not in second["Link"]
    numbers = {got.json()["result"][0]["number"], second.json()["result"][0]["number"]}
    assert numbers == {desk.disk.reference, desk.slow.reference}


def test_records_carry_servicenow_fields_values_and_reference_links(client, desk, agent):
    (row,) = client.get(URL, {"sysparm_query": "priority=1"}, **agent).json()["result"]
    assert row["sys_id"] == desk.disk.pk.hex and len(row["sys_id"]) == 32
    assert (row["number"], row["short_description"], row["priority"], row["impact"]) == (
        desk.disk.reference, "Disk full on CRIMEDB", "1", "1")  # fmt: skip
    assert row["state"] in ("1", "2") and row["active"] == "true" and row["sys_class_name"] == "incident"
    group = row["assignment_group"]
    assert group["value"] == desk.disk.team_id.hex
    assert group["link"].endswith(f"/api/now/table/sys_user_group/{desk.disk.team_id.hex}")


def test_fields_display_values_and_reference_links_follow_the_parameters(client, desk, agent):
    query = {"sysparm_query": "priority=1", "sysparm_fields": "number,priority,assignment_group"}
    plain = client.get(URL, {**query, "sysparm_exclude_reference_link": "true"}, **agent).json()["result"][0]
    assert plain == {"number": desk.disk.reference, "priority": "1", "assignment_group": desk.disk.team_id.hex}
    shown = client.get(URL, {**query, "sysparm_display_value": "true"}, **agent).json()["result"][0]
    assert shown["priority"] == "1 - Critical" and shown["assignment_group"] == desk.disk.team.name
    both = client.get(URL, {**query, "sysparm_display_value": "all"}, **agent).json()["result"][0]
    assert both["priority"] == {"display_value": "1 - Critical", "value": "1"}
    assert both["assignment_group"]["display_value"] == desk.disk.team.name


def test_counting_and_pagination_headers_can_be_switched_off(client, desk, agent):
    got = client.get(URL, {"sysparm_no_count": "true"}, **agent)
    assert "X-Total-Count" not in got and "Link" not in got
    quiet = client.get(URL, {"sysparm_suppress_pagination_header": "true"}, **agent)
    assert quiet["X-Total-Count"] == "2" and "Link" not in quiet


def test_one_record_by_sys_id_on_both_paths(client, desk, agent):
    for base in ("/api/now/table/incident", "/api/now/v2/table/incident"):
        got = client.get(f"{base}/{desk.slow.pk.hex}", **agent)
        assert got.status_code == 200 and got.json()["result"]["number"] == desk.slow.reference


def test_a_supplier_reaches_only_tickets_it_is_party_to(client, desk, estate):
    theirs = foreign_ticket(estate)  # held by the applications supplier
    network = basic(estate.network_admin.username)
    assert client.get(URL, **network).json()["result"] == []
    missing = client.get(f"{URL}/{theirs.pk.hex}", **network)
    assert missing.status_code == 404 and missing.json()["status"] == "failure"
    assert missing.json()["error"]["message"] == "No Record found"
    agent = basic(estate.integrator_agent.username)
    assert client.get(f"{URL}/{theirs.pk.hex}", **agent).status_code == 200  # the desk is party to it


def test_bearer_tokens_and_tokens_as_basic_passwords_authenticate(client, desk, estate):
    headers = bearer(estate.integrator_agent, estate.integrator)
    assert client.get(URL, **headers)["X-Total-Count"] == "2"
    secret = headers["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    assert client.get(URL, **basic(estate.integrator_agent.username, secret))["X-Total-Count"] == "2"


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Basic !!!"}, {"HTTP_AUTHORIZATION": "Bearer nope"}, "wrong password"],
)
def test_without_valid_credentials_the_answer_is_401_in_servicenows_shape(client, desk, headers):
    if headers == "wrong password":
        headers = basic(desk.estate.integrator_agent.username, "not-the-password")
    got = client.get(URL, **headers)
    assert got.status_code == 401 and got.json()["error"]["message"] == "User Not Authenticated"
    assert got["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"sysparm_query": "colour=red"}, "colour: no such field"),
        ({"sysparm_limit": "many"}, "whole number"),
        ({"sysparm_display_value": "maybe"}, "true, false or all"),
        ({"sysparm_fields": "number,colour"}, "no such field colour"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, desk, agent, params, words):
    got = client.get(URL, params, **agent)
    assert got.status_code == 400 and words in got.json()["error"]["detail"]


def test_tables_towers_does_not_serve_are_refused(client, desk, agent):
    got = client.get("/api/now/table/sys_audit", **agent)
    assert got.status_code == 400 and "incident" in got.json()["error"]["detail"]


def test_a_page_costs_the_same_queries_for_few_or_many_records(client, desk, agent, django_assert_max_num_queries):
    for n in range(12):
        desk.raise_incident(title=f"Fault {n}")
    with django_assert_max_num_queries(12):
        got = client.get(URL, **agent)
    assert got["X-Total-Count"] == "14" and len(got.json()["result"]) == 14


def test_an_incident_is_raised_through_the_table_api_and_read_back(client, desk, agent):
    body = {
        "short_description": "Cannot log in to the crime system",
        "description": "Since 09:00",
        "impact": "2",
        "urgency": "1 - High",
        "assignment_group": desk.apps_team.pk.hex,
        "caller_id": desk.requester.pk.hex,
    }
    made = client.post(URL, data=body, content_type="application/json", **agent)
    assert made.status_code == 201, made.content
    record = made.json()["result"]
    assert record["short_description"] == "Cannot log in to the crime system" and record["number"].startswith("INC")
    assert (record["impact"], record["urgency"], record["assignment_group"]["value"]) == (
        "2",
        "1",
        desk.apps_team.pk.hex,
    )
    assert made["Location"].endswith(f"/api/now/table/incident/{record['sys_id']}")
    assert client.get(made["Location"], **agent).json()["result"]["number"] == record["number"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "short_description: is required"),
        ({"short_description": "x", "impact": "7"}, "impact: must be 1"),
        ({"short_description": "x", "state": "6"}, "state: is not set on create here"),
        ({"short_description": "x", "assignment_group": "nope"}, "assignment_group: no record"),
        ([], "body: must be a JSON object"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field_and_raises_nothing(client, desk, agent, body, words):
    before = desk.disk.__class__.objects.count()
    got = client.post(URL, data=body, content_type="application/json", **agent)
    assert got.status_code == 400 and words in got.json()["error"]["detail"]
    assert desk.disk.__class__.objects.count() == before


def test_a_supplier_cannot_assign_to_or_reference_what_it_cannot_see(client, desk, estate):
    body = {"short_description": "x", "assignment_group": estate.applications_team.pk.hex}
    other = basic(estate.network_admin.username)
    got = client.post(URL, data=body, content_type="application/json", **other)
    assert got.status_code == 400 and "assignment_group: no record" in got.json()["error"]["detail"]
    assert not desk.disk.__class__.objects.filter(title="x").exists()


def test_a_read_token_cannot_create_and_other_tables_are_read_only(client, desk, estate):
    from towers.organisations.models import ApiToken

    read_only = bearer(estate.integrator_agent, estate.integrator, scope=ApiToken.Scope.READ)
    got = client.post(URL, data={"short_description": "x"}, content_type="application/json", **read_only)
    assert got.status_code == 403 and "read scope" in got.json()["error"]["detail"]
    agent = basic(estate.integrator_agent.username)
    problem = client.post("/api/now/table/problem", data={"short_description": "x"}, content_type="application/json",
                          **agent)  # fmt: skip
    assert problem.status_code == 403
