"""Segregation on every protocol: one supplier's credentials reach the same tickets whichever API they use.

The applications supplier's ticket is read, changed and listed through /api/v1, the ServiceNow-compatible Table
API and its attachment API, TMF621 and the partner message log, first with a token of the applications supplier
(party to it: it must work, or the rest proves nothing), then with the network supplier's (not party to it:
nothing is found, nothing changes, nothing is audited).
"""

import pytest

from towers.core.models import AuditEntry
from towers.organisations.models import Person
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import Ticket
from towers.servicedesk.tests.factories import foreign_ticket

pytestmark = pytest.mark.django_db
JSON = "application/json"
MERGE = "application/merge-patch+json"


def _reads(ticket: Ticket) -> dict[str, str]:
    hex_id = ticket.pk.hex
    return {
        "api/v1": f"/api/v1/tickets/{ticket.reference}",
        "now": f"/api/now/table/incident/{hex_id}",
        "now v2": f"/api/now/v2/table/incident/{hex_id}",
        "tmf621": f"/tmf-api/troubleTicket/v5/troubleTicket/{hex_id}",
    }


def _lists(ticket: Ticket) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "now": ("/api/now/table/incident", {"sysparm_query": f"number={ticket.reference}"}),
        "tmf621": ("/tmf-api/troubleTicket/v5/troubleTicket", {"externalIdentifier.id": ticket.reference}),
        "attachments": ("/api/now/attachment", {"sysparm_query": f"table_name=incident^table_sys_id={ticket.pk.hex}"}),
        "partner log": ("/api/v1/partner-messages", {"ticket": str(ticket.pk)}),
    }


def _found(protocol: str, body: dict) -> int:
    if protocol in ("now", "attachments"):
        return len(body["result"])
    if protocol == "partner log":
        return len(body["items"])
    return len(body)  # TMF621: a bare array


def _writes(client, ticket: Ticket, auth: dict[str, str]) -> dict[str, int]:
    hex_id = ticket.pk.hex
    return {
        "api/v1": client.patch(
            f"/api/v1/tickets/{ticket.reference}", data={"title": "Taken"}, content_type=JSON, **auth
        ).status_code,
        "now patch": client.patch(
            f"/api/now/table/incident/{hex_id}", data={"short_description": "Taken"}, content_type=JSON, **auth
        ).status_code,
        "now delete": client.delete(f"/api/now/table/incident/{hex_id}", **auth).status_code,
        "now attach": client.post(
            f"/api/now/attachment/file?table_name=incident&table_sys_id={hex_id}&file_name=x.txt",
            data=b"evidence",
            content_type="text/plain",
            **auth,
        ).status_code,
        "tmf621 patch": client.patch(
            f"/tmf-api/troubleTicket/v5/troubleTicket/{hex_id}", data={"name": "Taken"}, content_type=MERGE, **auth
        ).status_code,
        "tmf621 delete": client.delete(f"/tmf-api/troubleTicket/v5/troubleTicket/{hex_id}", **auth).status_code,
    }


def test_the_party_supplier_reaches_its_ticket_through_every_protocol(client, estate):
    ticket = foreign_ticket(estate)
    auth = bearer(estate.applications_admin, estate.applications)
    for protocol, url in _reads(ticket).items():
        assert client.get(url, **auth).status_code == 200, protocol
    for protocol in ("now", "tmf621"):
        url, params = _lists(ticket)[protocol]
        assert _found(protocol, client.get(url, params, **auth).json()) == 1, protocol


def test_another_supplier_reaches_it_through_none_and_changes_nothing(client, estate):
    ticket = foreign_ticket(estate)
    auth = bearer(estate.network_admin, estate.network)
    for protocol, url in _reads(ticket).items():
        assert client.get(url, **auth).status_code == 404, protocol
    for protocol, (url, params) in _lists(ticket).items():
        response = client.get(url, params, **auth)
        assert response.status_code == 200 and _found(protocol, response.json()) == 0, protocol
    audit_before = AuditEntry.objects.count()
    for what, status in _writes(client, ticket, auth).items():
        assert status == 404, f"{what} answered {status}"
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.title, after.state, after.version) == (ticket.title, ticket.state, ticket.version)
    assert not after.attachments.exists() and AuditEntry.objects.count() == audit_before


def test_basic_credentials_are_held_to_the_same_line(client, estate):
    """A person's password (ServiceNow clients' usual basic auth) reaches no more than their token."""
    import base64

    from towers.organisations.tests.factories import PASSWORD

    ticket = foreign_ticket(estate)
    person: Person = estate.network_admin
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{person.username}:{PASSWORD}".encode()).decode()}
    for protocol, url in _reads(ticket).items():
        if protocol != "api/v1":  # /api/v1 takes tokens only
            assert client.get(url, **auth).status_code == 404, protocol
