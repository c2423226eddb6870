"""TMF621 reads: the TroubleTicket JSON, list filters, fields, paging headers, errors and segregation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.actor import Actor
from towers.integration.models_partners import ExternalIdentifier
from towers.organisations.models import ApiToken
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import State, Ticket
from towers.servicedesk.services.tickets import ticket_comment, ticket_transition
from towers.servicedesk.tests.factories import build_desk, foreign_ticket

pytestmark = pytest.mark.django_db
URL = "/tmf-api/troubleTicket/v5/troubleTicket"


@pytest.fixture
def desk(estate):
    desk = build_desk(estate)
    desk.disk = desk.raise_incident(title="Disk full on CRIMEDB", impact=1, urgency=1)
    desk.slow = desk.raise_incident(title="Crime system slow")
    return desk


@pytest.fixture
def agent(desk):
    return bearer(desk.agent, desk.estate.integrator)


def test_a_ticket_reads_as_a_tmf621_trouble_ticket(client, desk, agent):
    got = client.get(f"{URL}/{desk.disk.pk.hex}", **agent)
    assert got.status_code == 200 and got["Content-Type"] == "application/json"
    body = got.json()
    assert body["id"] == desk.disk.pk.hex and body["@type"] == "TroubleTicket"
    assert body["href"] == f"http://testserver{URL}/{desk.disk.pk.hex}"
    assert (body["name"], body["severity"], body["priority"], body["ticketType"]) == (
        "Disk full on CRIMEDB", "Critical", "Critical", "incident")  # fmt: skip
    assert body["status"] == "acknowledged" and body["creationDate"].endswith("Z")
    assert body["channel"] == {"id": "portal", "name": "Self-service portal", "@type": "ChannelRef"}
    assert {"owner": "Towers", "externalIdentifierType": "Incident", "id": desk.disk.reference,
            "@type": "ExternalIdentifier"} in body["externalIdentifier"]  # fmt: skip
    roles = {p["role"]: p["partyOrPartyRole"] for p in body["relatedParty"]}
    assert roles["requester"]["id"] == desk.requester.pk.hex and roles["requester"]["@referredType"] == "Individual"
    assert roles["customer"]["name"] == "Authority" and roles["supplier"]["@referredType"] == "Organization"
    assert body["relatedEntity"][0]["entity"]["name"] == "Crime system"
    assert body["statusChangeHistory"][0]["status"] == "acknowledged"
    assert body["expectedResolutionDate"]  # the resolution SLA's due time


def test_the_reference_and_the_dashed_uuid_reach_the_same_ticket(client, desk, agent):
    for key in (desk.disk.reference, str(desk.disk.pk), desk.disk.reference.lower()):
        assert client.get(f"{URL}/{key}", **agent).json()["id"] == desk.disk.pk.hex


def test_status_history_and_notes_follow_the_timeline(client, desk, agent):
    worker = desk.actor(desk.agent)
    ticket_transition(actor=worker, ticket=desk.slow, state=State.IN_PROGRESS, note="Looking at it")
    ticket_transition(actor=worker, ticket=desk.slow, state=State.PENDING, pending_reason="supplier", note="Vendor")
    ticket_comment(actor=worker, ticket=desk.slow, body="Work note", public=False)
    ticket_comment(actor=worker, ticket=desk.slow, body="Update for the officer")
    body = client.get(f"{URL}/{desk.slow.pk.hex}", **agent).json()
    assert [h["status"] for h in body["statusChangeHistory"]] == ["acknowledged", "inProgress", "held"]
    assert body["statusChangeHistory"][1]["statusChangeReason"] == "Looking at it"
    assert body["status"] == "held" and body["statusChangeReason"] == "Vendor"
    assert body["statusChangeDate"] == body["statusChangeHistory"][-1]["statusChangeDate"]
    assert [n["text"] for n in body["note"]] == ["Work note", "Update for the officer"]
    assert all(n["@type"] == "Note" and n["id"] and n["author"] for n in body["note"])


def test_a_requester_reads_public_notes_only(client, desk):
    worker = desk.actor(desk.agent)
    ticket_comment(actor=worker, ticket=desk.slow, body="Work note", public=False)
    ticket_comment(actor=worker, ticket=desk.slow, body="Update for the officer")
    officer = bearer(desk.requester, desk.estate.authority)
    body = client.get(f"{URL}/{desk.slow.pk.hex}", **officer).json()
    assert [n["text"] for n in body["note"]] == ["Update for the officer"]


def test_fields_selects_first_level_attributes_and_keeps_id_href_and_type(client, desk, agent):
    body = client.get(f"{URL}/{desk.disk.pk.hex}", {"fields": "name,priority"}, **agent).json()
    assert set(body) == {"id", "href", "@type", "name", "priority"}
    listed = client.get(URL, {"fields": "status"}, **agent).json()
    assert all(set(t) == {"id", "href", "@type", "status"} for t in listed)


def test_a_list_pages_with_offset_and_limit_and_counts_in_headers(client, desk, agent):
    got = client.get(URL, {"limit": 1}, **agent)
    assert got.status_code == 200 and got["X-Total-Count"] == "2" and got["X-Result-Count"] == "1"
    second = client.get(URL, {"limit": 1, "offset": 1}, **agent)
    assert {got.json()[0]["id"], second.json()[0]["id"]} == {desk.disk.pk.hex, desk.slow.pk.hex}
    assert client.get(URL, {"offset": 5}, **agent).json() == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"priority": "Critical"}, {"disk"}),
        ({"priority": "critical,medium"}, {"disk", "slow"}),
        ({"severity": "Major"}, {"slow"}),
        ({"status": "acknowledged"}, {"disk", "slow"}),
        ({"status": "inProgress"}, set()),
        ({"ticketType": "incident"}, {"disk", "slow"}),
        ({"ticketType": "problem"}, set()),
        ({"name": "Crime system slow"}, {"slow"}),
        ({"channel.id": "portal"}, {"disk", "slow"}),
        ({"creationDate.gt": "2000-01-01T00:00:00Z"}, {"disk", "slow"}),
        ({"creationDate.lt": "2000-01-01T00:00:00Z"}, set()),
        ({"lastUpdate.gte": "2000-01-01T00:00:00Z", "lastUpdate.lte": "2999-01-01T00:00:00Z"}, {"disk", "slow"}),
        ({"resolutionDate.gt": "2000-01-01T00:00:00Z"}, set()),
    ],
)
def test_list_filters_by_attribute(client, desk, agent, params, expected):
    names = {desk.disk.pk.hex: "disk", desk.slow.pk.hex: "slow"}
    got = client.get(URL, params, **agent)
    assert got.status_code == 200, got.json()
    assert {names[t["id"]] for t in got.json()} == expected


def test_filters_on_status_id_and_external_identifiers(client, desk, agent, estate):
    ticket_transition(actor=desk.actor(desk.agent), ticket=desk.slow, state=State.IN_PROGRESS)
    assert [t["id"] for t in client.get(URL, {"status": "inProgress"}, **agent).json()] == [desk.slow.pk.hex]
    assert [t["id"] for t in client.get(URL, {"id": desk.disk.reference}, **agent).json()] == [desk.disk.pk.hex]
    ExternalIdentifier.objects.create(ticket=desk.disk, organisation=estate.integrator, external_id="SUP-1")
    ExternalIdentifier.objects.create(ticket=desk.slow, organisation=estate.applications, external_id="SUP-2")
    found = client.get(URL, {"externalIdentifier.id": "SUP-1,SUP-2"}, **agent).json()
    assert [t["id"] for t in found] == [desk.disk.pk.hex]  # the applications supplier's identifier is its own
    by_ref = client.get(URL, {"externalIdentifier.id": desk.slow.reference}, **agent).json()
    assert [t["id"] for t in by_ref] == [desk.slow.pk.hex]


def test_a_list_sorts_when_asked(client, desk, agent):
    Ticket.objects.filter(pk=desk.disk.pk).update(opened_at=timezone.now() - timedelta(days=1))
    ids = [t["id"] for t in client.get(URL, {"sort": "creationDate"}, **agent).json()]
    assert ids == [desk.disk.pk.hex, desk.slow.pk.hex]
    assert [t["id"] for t in client.get(URL, {"sort": "-creationDate"}, **agent).json()] == ids[::-1]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"colour": "red"}, "does not filter trouble tickets on colour"),
        ({"limit": "many"}, "limit must be a whole number"),
        ({"offset": "-1"}, "offset must not be negative"),
        ({"fields": "name,colour"}, "no attribute colour"),
        ({"creationDate.gt": "yesterday"}, "ISO 8601"),
        ({"severity": "Apocalyptic"}, "severity: 'Apocalyptic' is not one of Critical, Major, Minor"),
        ({"sort": "colour"}, "sort:"),
        ({"filter": "note[?(@.id==1)]"}, "filter: not supported"),
    ],
)
def test_a_bad_parameter_is_a_400_in_tmf_error_shape(client, desk, agent, params, words):
    got = client.get(URL, params, **agent)
    assert got.status_code == 400
    body = got.json()
    assert body["@type"] == "Error" and body["code"] == "ERR400" and body["status"] == "400"
    assert body["reason"] == "Bad Request" and words in body["message"]


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer nope"}, {"HTTP_AUTHORIZATION": "Basic !!"}])
def test_without_credentials_the_answer_is_401_in_tmf_error_shape(client, desk, headers):
    got = client.get(URL, **headers)
    assert got.status_code == 401 and got.json()["code"] == "ERR401" and "Bearer" in got["WWW-Authenticate"]


def test_a_method_the_resource_has_not_is_405(client, desk, agent):
    got = client.put(f"{URL}/{desk.disk.pk.hex}", {}, content_type="application/json", **agent)
    assert got.status_code == 405 and got.json()["code"] == "ERR405" and got["Allow"] == "GET, PATCH, DELETE"


def test_a_supplier_reaches_only_tickets_it_is_party_to(client, desk, estate):
    theirs = foreign_ticket(estate)  # held by the applications supplier
    network = bearer(estate.network_admin, estate.network)
    listed = client.get(URL, **network)
    assert listed.json() == [] and listed["X-Total-Count"] == "0"
    assert client.get(f"{URL}/{theirs.pk.hex}", **network).status_code == 404
    assert client.get(f"{URL}/{theirs.reference}", **network).json()["code"] == "ERR404"
    apps = bearer(estate.applications_admin, estate.applications)
    assert client.get(f"{URL}/{theirs.pk.hex}", **apps).status_code == 200
    assert theirs.pk.hex in {t["id"] for t in client.get(URL, **apps).json()}


def test_a_read_scope_token_reads(client, desk):
    reader = bearer(desk.agent, desk.estate.integrator, scope=ApiToken.Scope.READ)
    assert client.get(URL, **reader)["X-Total-Count"] == "2"


def test_a_page_costs_the_same_queries_for_few_or_many_tickets(client, desk, agent, django_assert_max_num_queries):
    for n in range(12):
        ticket = desk.raise_incident(title=f"Fault {n}")
        ticket_comment(actor=Actor.system("tests"), ticket=ticket, body=f"Note {n}")
    with django_assert_max_num_queries(16):
        got = client.get(URL, **agent)
    assert got["X-Total-Count"] == "14" and len(got.json()) == 14


def test_an_attachment_ref_is_fetched_with_the_same_api_credentials(client, desk, agent, settings, tmp_path):
    from towers.servicedesk.services.attachments import attachment_add

    settings.MEDIA_ROOT = str(tmp_path)
    attachment_add(
        actor=Actor.system("tests"), ticket=desk.disk, filename="df.txt", content_type="text/plain", data=b"98% full"
    )
    (ref,) = client.get(f"{URL}/{desk.disk.pk.hex}", **agent).json()["attachment"]
    assert ref["name"] == "df.txt" and ref["@type"] == "AttachmentRef"
    got = client.get(ref["url"].removeprefix("http://testserver"), **agent)
    assert got.status_code == 200 and b"".join(got.streaming_content if got.streaming else [got.content]) == b"98% full"
