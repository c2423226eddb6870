"""A partner's notifications at its listener: logged, then applied, ignored or rejected; never lost, never twice."""

import json
import uuid

import pytest

from towers.core import events
from towers.core.models import AuditEntry, OutboxEvent
from towers.integration.models_partners import FieldMapping, PartnerMessage, StateMapping, TicketBond
from towers.integration.services.partner_hub import secret_digest
from towers.integration.tests.test_partner_outbound import handed_to_partner
from towers.servicedesk.models import HandOff, State, TicketEvent
from towers.servicedesk.tests.factories import foreign_ticket

pytestmark = pytest.mark.django_db
SECRET = "listener-secret-for-tests"


@pytest.fixture
def bonded(estate):
    integration, ticket = handed_to_partner(estate)
    integration.listener_digest = secret_digest(SECRET)
    integration.save()
    TicketBond.objects.filter(ticket=ticket).update(remote_id="TT-1", remote_status="acknowledged")
    PartnerMessage.objects.filter(ticket=ticket).update(status="sent")
    return integration, ticket


def notify(
    client, integration, remote, event_id=None, event_type="TroubleTicketAttributeValueChangeEvent", secret=SECRET
):
    body = {
        "eventId": event_id or str(uuid.uuid4()),
        "eventTime": "2026-11-27T10:00:00Z",
        "eventType": event_type,
        "event": {"troubleTicket": {"id": "TT-1", **remote}},
    }
    url = f"/api/partners/{integration.id}/listener/{secret}"
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_note_and_a_resolution_are_applied_as_the_partner_audited_and_not_echoed_back(client, bonded):
    integration, ticket = bonded
    note = {"id": "n1", "author": "eng.one", "date": "2026-11-27T09:59:00Z", "text": "Replaced the PSU"}
    response = notify(client, integration, {"status": "resolved", "statusChangeReason": "PSU swapped", "note": [note]})
    assert response.status_code == 201, response.content
    ticket.refresh_from_db()
    assert (
        ticket.state == State.RESOLVED
        and ticket.resolution_code == "fixed"
        and ticket.resolution_notes == "PSU swapped"
    )
    comment = TicketEvent.objects.get(ticket=ticket, kind="comment")
    assert comment.body == "Replaced the PSU" and not comment.public
    assert comment.data == {"partner": str(integration.id), "remote_note": "id:n1", "author": "eng.one"}
    assert comment.actor_label == f"partner:{integration.name}"
    resolved = AuditEntry.objects.get(action="ticket.resolved", object_id=str(ticket.pk))
    assert (
        resolved.actor_label == f"partner:{integration.name}"
        and resolved.organisation_id == integration.organisation_id
    )
    message = PartnerMessage.objects.get(integration=integration, direction="in")
    assert message.status == "applied" and message.ticket_id == ticket.id and message.payload["eventId"]
    assert message.correlation_id == str(TicketBond.objects.get(ticket=ticket).correlation_id)
    assert TicketBond.objects.get(ticket=ticket).remote_status == "resolved"
    caused = OutboxEvent.objects.filter(key=str(ticket.id), payload__partner_origin=str(integration.id))
    assert {e.name for e in caused} >= {"servicedesk.ticket.commented", "servicedesk.ticket.resolved"}
    events.deliver_all_pending()
    assert not PartnerMessage.objects.filter(ticket=ticket, direction="out").exclude(operation="create").exists()


def test_a_repeated_event_is_logged_and_ignored_not_applied_twice(client, bonded):
    integration, ticket = bonded
    remote = {"note": [{"id": "n7", "text": "Engineer dispatched"}]}
    assert notify(client, integration, remote, event_id="ev-7").status_code == 201
    assert notify(client, integration, remote, event_id="ev-7").status_code == 201
    first, repeat = PartnerMessage.objects.filter(direction="in").order_by("id")
    assert (first.status, repeat.status) == (
        "applied",
        "ignored",
    ) and f"repeat of message {first.pk}" in repeat.response["outcome"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="comment").count() == 1
    # A new event with nothing new in it (the same note again) changes nothing either.
    assert notify(client, integration, remote, event_id="ev-8").status_code == 201
    assert PartnerMessage.objects.order_by("-id").first().status == "ignored"


def test_our_own_notes_coming_back_in_the_partners_ticket_are_not_added_again(client, bonded):
    integration, ticket = bonded
    remote = {"note": [{"id": "99", "author": "Towers", "text": "Handed off: Switch is theirs"}]}
    assert notify(client, integration, remote).status_code == 201
    assert not TicketEvent.objects.filter(ticket=ticket, kind="comment").exists()


def test_an_unknown_ticket_is_rejected_with_the_reason_and_its_payload_kept(client, bonded):
    integration, _ticket = bonded
    body = {
        "eventId": "ev-x",
        "eventType": "TroubleTicketStatusChangeEvent",
        "event": {"troubleTicket": {"id": "nope"}},
    }
    url = f"/api/partners/{integration.id}/listener/{SECRET}"
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and "unknown ticket" in response.json()["reason"]
    message = PartnerMessage.objects.get(direction="in")
    assert message.status == "rejected" and message.payload == body and "unknown ticket" in message.last_error


def test_input_that_is_not_json_is_kept_and_rejected(client, bonded):
    integration, _ticket = bonded
    url = f"/api/partners/{integration.id}/listener/{SECRET}/troubleTicketStatusChangeEvent"
    response = client.post(url, data=b"<xml>nope</xml>", content_type="application/xml")
    assert response.status_code == 400
    message = PartnerMessage.objects.get(direction="in")
    assert (
        message.payload == {"raw": "<xml>nope</xml>"}
        and message.status == "rejected"
        and "not JSON" in message.last_error
    )
    assert message.operation == "troubleTicketStatusChangeEvent"


def test_a_wrong_secret_or_integration_is_a_404_and_changes_nothing(client, bonded):
    integration, ticket = bonded
    audit_before = AuditEntry.objects.count()
    assert notify(client, integration, {"status": "resolved"}, secret="wrong").status_code == 404
    integration.id = uuid.uuid4()
    assert notify(client, integration, {"status": "resolved"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED and not PartnerMessage.objects.filter(direction="in").exists()
    assert AuditEntry.objects.count() == audit_before


def test_the_state_mapping_overrides_tmf621_and_in_progress_accepts_the_waiting_hand_off(client, bonded):
    integration, ticket = bonded
    StateMapping.objects.create(integration=integration, ours=State.IN_PROGRESS, theirs="WIP", direction="in")
    assert notify(client, integration, {"status": "WIP"}).status_code == 201
    ticket.refresh_from_db()
    assert ticket.state == State.IN_PROGRESS
    assert HandOff.objects.get(ticket=ticket, to_organisation=integration.organisation).status == "accepted"


def test_a_rejection_returns_the_ticket_to_the_team_that_sent_it(client, bonded, estate):
    integration, ticket = bonded
    response = notify(client, integration, {"status": "rejected", "statusChangeReason": "Not our kit"})
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.team == estate.integrator_team
    assert HandOff.objects.get(ticket=ticket, to_organisation=integration.organisation).response == "Not our kit"


def test_fields_come_in_only_through_inbound_mapping_rows(client, bonded):
    integration, ticket = bonded
    assert notify(client, integration, {"severity": "Minor", "name": "Renamed"}).status_code == 201
    ticket.refresh_from_db()
    assert ticket.impact == 1 and ticket.title == "Core switch down"
    FieldMapping.objects.create(integration=integration, ours="impact", theirs="severity", direction="in")
    assert notify(client, integration, {"severity": "Minor", "name": "Renamed"}).status_code == 201
    ticket.refresh_from_db()
    assert ticket.impact == 3 and ticket.title == "Core switch down"


def test_an_impossible_change_is_rejected_whole(client, bonded):
    integration, ticket = bonded
    remote = {"status": "closed", "note": [{"id": "n2", "text": "Closing"}]}
    response = notify(client, integration, remote)
    assert response.status_code == 422 and "cannot become closed" in response.json()["reason"]
    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED and not TicketEvent.objects.filter(ticket=ticket, kind="comment").exists()
    assert TicketBond.objects.get(ticket=ticket).remote_status == "acknowledged"


def test_the_bond_is_found_by_our_correlation_id_when_the_partners_id_is_not_known_yet(client, bonded):
    integration, ticket = bonded
    bond = TicketBond.objects.get(ticket=ticket)
    TicketBond.objects.filter(pk=bond.pk).update(remote_id="")
    remote = {
        "id": "TT-9",
        "externalIdentifier": [{"id": str(bond.correlation_id), "owner": "Towers"}],
        "note": [{"id": "n3", "text": "Seen"}],
    }
    url = f"/api/partners/{integration.id}/listener/{SECRET}"
    body = {"eventId": "c1", "eventType": "TroubleTicketCreateEvent", "event": {"troubleTicket": remote}}
    assert client.post(url, data=json.dumps(body), content_type="application/json").status_code == 201
    assert TicketBond.objects.get(pk=bond.pk).remote_id == "TT-9"


def test_a_bond_to_a_ticket_the_partner_may_not_see_is_refused(client, bonded, estate):
    integration, _ticket = bonded
    hidden = foreign_ticket(estate)  # the applications supplier's: the network supplier is no party to it
    TicketBond.objects.create(integration=integration, ticket=hidden, remote_id="TT-hidden")
    body = {
        "eventId": "h1",
        "eventType": "TroubleTicketStatusChangeEvent",
        "event": {"troubleTicket": {"id": "TT-hidden", "status": "resolved"}},
    }
    url = f"/api/partners/{integration.id}/listener/{SECRET}"
    response = client.post(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    hidden.refresh_from_db()
    assert hidden.state != State.RESOLVED
