"""The Table API's writes to tickets: PUT/PATCH through the service desk's services (fields, assignment and
hand-off, state, work notes and comments), DELETE as an audited cancellation, and segregation on every write."""

import pytest

from towers.core.models import AuditEntry
from towers.integration.tests.test_now_api import basic
from towers.organisations.models import ApiToken
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import HandOff, State, Ticket, TicketEvent
from towers.servicedesk.tests.factories import build_desk, foreign_ticket

pytestmark = pytest.mark.django_db
URL = "/api/now/table/incident"


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    desk.disk = desk.raise_incident(title="Disk full on CRIMEDB", impact=1, urgency=1, team=estate.integrator_team)
    return desk


@pytest.fixture
def agent(desk):
    return basic(desk.estate.integrator_agent.username)


def send(client, method, url, body, headers):
    return getattr(client, method)(url, data=body, content_type="application/json", **headers)


def audited(ticket, action):
    return AuditEntry.objects.filter(object_id=str(ticket.pk), action=action).last()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_put_and_patch_change_only_the_fields_given_and_are_audited_as_the_caller(client, desk, agent, method):
    url = f"{URL}/{desk.disk.pk.hex}"
    got = send(client, method, url, {"short_description": "Disk full on CRIMEDB-2", "urgency": "3"}, agent)
    assert got.status_code == 200, got.content
    row = got.json()["result"]
    assert (row["short_description"], row["urgency"], row["impact"]) == ("Disk full on CRIMEDB-2", "3", "1")
    ticket = Ticket.objects.get(pk=desk.disk.pk)
    assert (ticket.title, ticket.urgency, ticket.priority) == ("Disk full on CRIMEDB-2", 3, "P3")
    entry = audited(ticket, "ticket.updated")
    assert entry.person_id == desk.estate.integrator_agent.pk and entry.channel == "api"
    assert entry.after["title"] == "Disk full on CRIMEDB-2"


@pytest.mark.parametrize("version", ["v1/", "v2/"])
def test_the_versioned_paths_write_too(client, desk, agent, version):
    url = f"/api/now/{version}table/incident/{desk.disk.pk.hex}"
    got = send(client, "patch", url, {"description": f"Since 09:00 ({version})"}, agent)
    assert got.status_code == 200 and got.json()["result"]["description"] == f"Since 09:00 ({version})"


def test_resolving_needs_a_close_code_and_records_the_notes(client, desk, agent):
    url = f"{URL}/{desk.disk.pk.hex}"
    refused = send(client, "patch", url, {"state": "6"}, agent)
    assert refused.status_code == 400 and "resolution_code" in refused.json()["error"]["detail"]
    got = send(client, "patch", url, {"state": "6", "close_code": "fixed", "close_notes": "Log rotated"}, agent)
    assert got.status_code == 200, got.content
    assert (got.json()["result"]["state"], got.json()["result"]["close_code"]) == ("6", "fixed")
    ticket = Ticket.objects.get(pk=desk.disk.pk)
    assert (ticket.state, ticket.resolution_notes) == (State.RESOLVED, "Log rotated")
    assert audited(ticket, "ticket.resolved") is not None


def test_on_hold_takes_servicenows_hold_reason(client, desk, agent):
    got = send(client, "patch", f"{URL}/{desk.disk.pk.hex}", {"state": "3", "hold_reason": "4"}, agent)
    assert got.status_code == 200, got.content
    ticket = Ticket.objects.get(pk=desk.disk.pk)
    assert (ticket.state, ticket.pending_reason) == (State.PENDING, "supplier")


def test_work_notes_are_private_and_comments_public(client, desk, agent):
    body = {"work_notes": "Checked the volume", "comments": "We are on it"}
    assert send(client, "patch", f"{URL}/{desk.disk.pk.hex}", body, agent).status_code == 200
    notes = TicketEvent.objects.filter(ticket=desk.disk, kind=TicketEvent.Kind.COMMENT)
    assert {(e.body, e.public) for e in notes} == {("Checked the volume", False), ("We are on it", True)}
    assert AuditEntry.objects.filter(object_id=str(desk.disk.pk), action="ticket.commented").count() == 2


def test_a_group_of_another_organisation_hands_the_ticket_off(client, desk, agent):
    body = {"assignment_group": desk.apps_team.pk.hex}
    got = send(client, "patch", f"{URL}/{desk.disk.pk.hex}", body, agent)
    assert got.status_code == 200, got.content
    assert got.json()["result"]["assignment_group"]["value"] == desk.apps_team.pk.hex
    assert HandOff.objects.get(ticket=desk.disk).to_team == desk.apps_team
    assert audited(desk.disk, "ticket.handed_off") is not None


def test_a_group_of_the_same_organisation_is_an_assignment(client, desk, agent):
    body = {"assignment_group": desk.second_desk_team.pk.hex}
    assert send(client, "patch", f"{URL}/{desk.disk.pk.hex}", body, agent).status_code == 200
    assert Ticket.objects.get(pk=desk.disk.pk).team == desk.second_desk_team
    assert not HandOff.objects.filter(ticket=desk.disk).exists()
    assert audited(desk.disk, "ticket.assigned") is not None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"number": "INC1"}, "number: is read-only here"),
        ({"priority": "1"}, "priority: is read-only here"),
        ({"colour": "red"}, "colour: no such field"),
        ({"state": "4"}, "state: must be one of"),
        ({"close_code": "fixed"}, "close_code: is set together with state"),
        ({"impact": "9"}, "impact: must be 1"),
        ({"assignment_group": "nope"}, "assignment_group: no record"),
        ({"short_description": "x", "state": "6"}, "resolution_code"),
    ],
)
def test_a_refused_update_names_the_field_and_changes_nothing(client, desk, agent, body, words):
    before = Ticket.objects.get(pk=desk.disk.pk)
    got = send(client, "patch", f"{URL}/{desk.disk.pk.hex}", body, agent)
    assert got.status_code == 400 and words in got.json()["error"]["detail"]
    assert got.json()["status"] == "failure"
    after = Ticket.objects.get(pk=desk.disk.pk)
    assert (after.title, after.version) == (before.title, before.version)


def test_delete_cancels_the_ticket_keeps_it_and_audits_it(client, desk, agent):
    got = client.delete(f"{URL}/{desk.disk.pk.hex}", **agent)
    assert got.status_code == 204
    ticket = Ticket.objects.get(pk=desk.disk.pk)
    assert ticket.state == State.CANCELLED
    entry = audited(ticket, "ticket.state_changed")
    assert entry.after["state"] == State.CANCELLED and entry.person_id == desk.estate.integrator_agent.pk
    assert client.get(f"{URL}/{desk.disk.pk.hex}", **agent).json()["result"]["state"] == "8"
    assert client.delete(f"{URL}/{desk.disk.pk.hex}", **agent).status_code == 204  # cancelling again changes nothing


def test_a_read_token_cannot_update_or_delete(client, desk, estate):
    read_only = bearer(estate.integrator_agent, estate.integrator, scope=ApiToken.Scope.READ)
    url = f"{URL}/{desk.disk.pk.hex}"
    assert send(client, "patch", url, {"description": "x"}, read_only).status_code == 403
    got = client.delete(url, **read_only)
    assert got.status_code == 403 and "read scope" in got.json()["error"]["detail"]
    assert Ticket.objects.get(pk=desk.disk.pk).state != State.CANCELLED


def test_a_supplier_cannot_update_or_delete_another_suppliers_ticket(client, desk, estate):
    theirs = foreign_ticket(estate)
    network = basic(estate.network_admin.username)
    url = f"{URL}/{theirs.pk.hex}"
    for method in ("patch", "put"):
        got = send(client, method, url, {"short_description": "mine now"}, network)
        assert got.status_code == 404 and got.json()["error"]["message"] == "No Record found"
    assert client.delete(url, **network).status_code == 404
    after = Ticket.objects.get(pk=theirs.pk)
    assert (after.title, after.state) == ("Apps-only fault", theirs.state)


def test_a_requester_may_not_work_a_ticket(client, desk):
    ticket = desk.raise_incident(title="Mine")
    got = send(client, "patch", f"{URL}/{ticket.pk.hex}", {"impact": "1"}, basic(desk.requester.username))
    assert got.status_code == 403 and got.json()["error"]["message"] == "Operation Failed"
