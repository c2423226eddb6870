"""What Towers owes a partner's tool: bonds as tickets move, and a message for each change it should hear of."""

import pytest

from towers.core import events
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.integration.models_partners import FieldMapping, PartnerMessage, StateMapping, TicketBond
from towers.integration.services.partner_mapping import PRIORITY
from towers.integration.tests.factories_partners import PartnerIntegrationFactory
from towers.servicedesk.models import DeskSettings, State, TicketEvent
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition, ticket_update

pytestmark = pytest.mark.django_db
DESK = Actor.system("tests")


def handed_to_partner(estate, **integration):
    """A ticket raised at the desk and handed off to the network supplier's team, whose tool is bonded."""
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    partner = PartnerIntegrationFactory(organisation=estate.network, **integration)
    ticket = ticket_create(
        actor=DESK,
        title="Core switch down",
        description="Site B dark",
        impact=1,
        urgency=2,
        team=estate.integrator_team,
    )
    ticket_hand_off(actor=DESK, ticket=ticket, to_team=estate.network_team, reason="Switch is theirs")
    events.deliver_all_pending()
    return partner, ticket


def owed(ticket, operation=None):
    messages = PartnerMessage.objects.filter(ticket=ticket, direction="out").order_by("id")
    return list(messages.filter(operation=operation) if operation else messages)


def test_a_hand_off_to_a_bonded_supplier_bonds_the_ticket_and_owes_a_tmf621_create(estate):
    partner, ticket = handed_to_partner(estate)
    bond = TicketBond.objects.get(ticket=ticket, integration=partner)
    (create,) = owed(ticket)
    body = create.payload
    assert create.operation == "create" and create.status == "pending" and create.ordering_key == str(ticket.id)
    assert create.correlation_id == str(bond.correlation_id)
    assert body["name"] == "Core switch down" and body["description"] == "Site B dark"
    assert (
        body["severity"] == "Critical"
        and body["ticketType"] == "incident"
        and body["priority"] == PRIORITY[ticket.priority]
    )
    assert body["status"] == "acknowledged"
    assert {
        "@type": "ExternalIdentifier",
        "owner": "Authority Towers",
        "id": str(bond.correlation_id),
        "externalIdentifierType": "correlationId",
    } in body["externalIdentifier"]
    assert body["note"][0]["text"] == "Handed off: Switch is theirs"
    assert body["relatedParty"][0]["partyOrPartyRole"]["name"] == ticket.requester_organisation.name
    assert AuditEntry.objects.filter(action="integration.ticket_bond.created", object_id=str(bond.pk)).exists()


def test_field_mapping_rows_replace_the_defaults_on_the_way_out(estate):
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    partner = PartnerIntegrationFactory(organisation=estate.network)
    FieldMapping.objects.create(integration=partner, ours="title", theirs="description", direction="out")
    FieldMapping.objects.create(integration=partner, ours="reference", theirs="characteristic.ourRef", direction="both")
    FieldMapping.objects.create(integration=partner, ours="description", theirs="name", direction="in")
    StateMapping.objects.create(integration=partner, ours=State.ASSIGNED, theirs="held", direction="out")
    ticket = ticket_create(actor=DESK, title="VPN flapping", team=estate.integrator_team)
    ticket_hand_off(actor=DESK, ticket=ticket, to_team=estate.network_team, reason="Theirs")
    events.deliver_all_pending()
    body = owed(ticket)[0].payload
    assert body["description"] == "VPN flapping" and "name" not in body and body["status"] == "held"
    assert body["troubleTicketCharacteristic"] == [
        {"@type": "StringCharacteristic", "name": "ourRef", "valueType": "string", "value": ticket.reference}
    ]


def test_hand_offs_to_teams_outside_the_integration_are_not_sent(estate):
    from towers.organisations.tests.factories import TeamFactory

    other = TeamFactory(organisation=estate.network, code="net-field", name="Field engineers")
    partner, _ticket = handed_to_partner(estate)
    partner.teams.set([other])
    second = ticket_create(actor=DESK, title="Another", team=estate.integrator_team)
    ticket_hand_off(actor=DESK, ticket=second, to_team=estate.network_team, reason="Theirs")
    events.deliver_all_pending()
    assert not TicketBond.objects.filter(ticket=second).exists() and owed(second) == []


def test_later_changes_become_updates_and_notes_in_order_and_work_notes_go_too(estate):
    _partner, ticket = handed_to_partner(estate)
    ticket_comment(actor=DESK, ticket=ticket, body="Caller says it is all floors", public=True)
    ticket_comment(actor=DESK, ticket=ticket, body="Work note: spare on site", public=False)
    ticket_update(actor=DESK, ticket=ticket, changes={"title": "Core switch down, floor 3"})
    ticket_transition(actor=DESK, ticket=ticket, state=State.IN_PROGRESS)
    events.deliver_all_pending()
    messages = owed(ticket)
    assert [m.operation for m in messages] == ["create", "note", "note", "update", "update"]
    assert [n["text"] for m in messages[1:3] for n in m.payload["note"]] == [
        "Caller says it is all floors",
        "Work note: spare on site",
    ]
    assert messages[3].payload == {"name": "Core switch down, floor 3"}
    assert messages[4].payload == {"status": "inProgress"}
    assert {m.correlation_id for m in messages} == {str(TicketBond.objects.get(ticket=ticket).correlation_id)}


def test_what_came_from_the_partner_is_not_echoed_back(estate):
    partner, ticket = handed_to_partner(estate)
    event = ticket_comment(actor=DESK, ticket=ticket, body="From their tool", public=False)
    TicketEvent.objects.filter(pk=event.pk).update(data={"partner": str(partner.id), "remote_note": "id:1"})
    TicketBond.objects.filter(ticket=ticket).update(remote_status="inProgress")
    ticket_transition(actor=DESK, ticket=ticket, state=State.IN_PROGRESS)  # they already have it
    events.deliver_all_pending()
    assert [m.operation for m in owed(ticket)] == ["create"]


def test_a_ticket_handed_away_from_the_partner_ends_its_bond_and_sends_nothing_more(estate):
    _partner, ticket = handed_to_partner(estate)
    ticket_hand_off(actor=DESK, ticket=ticket, to_team=estate.integrator_team, reason="Back to the desk")
    ticket_comment(actor=DESK, ticket=ticket, body="Not theirs after all")
    events.deliver_all_pending()
    bond = TicketBond.objects.get(ticket=ticket)
    assert not bond.active and [m.operation for m in owed(ticket)] == ["create"]
    assert AuditEntry.objects.filter(action="integration.ticket_bond.ended", object_id=str(bond.pk)).exists()
    ticket_hand_off(actor=DESK, ticket=ticket, to_team=estate.network_team, reason="Theirs again")
    events.deliver_all_pending()
    bond.refresh_from_db()
    assert bond.active and [m.operation for m in owed(ticket)] == ["create", "update"]
    assert owed(ticket)[1].payload["note"][0]["text"] == "Handed off again: Theirs again"
