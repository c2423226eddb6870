from datetime import timedelta

import pytest
from freezegun import freeze_time

from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.servicedesk.models import HandOff, State, TicketClock
from towers.servicedesk.selectors import crossed_tickets, handoff_inbox, ticket_get
from towers.servicedesk.services.handoffs import handoff_accept, handoff_reject, ticket_hand_off
from towers.servicedesk.services.tickets import ticket_transition


def test_hand_off_moves_ticket_to_the_supplier_team_awaiting_acceptance(desk):
    ticket = desk.raise_incident()
    handoff = ticket_hand_off(actor=desk.actor(desk.agent), ticket=ticket, to_team=desk.apps_team, reason="App fault")
    assert ticket.team == desk.apps_team and ticket.organisation == desk.estate.applications
    assert handoff.status == HandOff.Status.PENDING and ticket.hop_count == 1 and ticket.crossed_suppliers
    assert [h.id for h in handoff_inbox(actor=desk.actor(desk.apps_resolver))] == [handoff.id]
    # The supplier can now see the ticket; the network third party still cannot.
    assert ticket_get(actor=desk.actor(desk.apps_resolver), reference=ticket.reference) == ticket
    with pytest.raises(NotFound):
        ticket_get(actor=desk.actor(desk.estate.network_resolver), reference=ticket.reference)


def test_rejected_hand_off_returns_ticket_to_sender_with_reason(desk):
    ticket = desk.raise_incident()
    handoff = ticket_hand_off(actor=desk.actor(desk.agent), ticket=ticket, to_team=desk.apps_team, reason="App fault")
    handoff_reject(actor=desk.actor(desk.apps_resolver), handoff=handoff, reason="This is a network fault")
    ticket.refresh_from_db()
    assert ticket.team == desk.estate.integrator_team and ticket.state == State.ASSIGNED
    assert ticket.events.filter(kind="rejected", body="This is a network fault").exists()
    assert handoff.status == HandOff.Status.REJECTED and ticket.hop_count == 2


def test_only_the_receiving_organisation_decides(desk):
    ticket = desk.raise_incident()
    handoff = ticket_hand_off(actor=desk.actor(desk.agent), ticket=ticket, to_team=desk.apps_team, reason="App fault")
    with pytest.raises(Forbidden):
        handoff_accept(actor=desk.actor(desk.agent), handoff=handoff)
    with pytest.raises(NotFound):
        handoff_accept(actor=desk.actor(desk.estate.network_resolver), handoff=handoff)


def test_three_moves_between_the_same_organisations_flag_ping_pong(desk):
    ticket = desk.raise_incident()
    agent, resolver = desk.actor(desk.agent), desk.actor(desk.apps_resolver)
    first = ticket_hand_off(actor=agent, ticket=ticket, to_team=desk.apps_team, reason="App fault")
    handoff_reject(actor=resolver, handoff=first, reason="Not ours")
    ticket.refresh_from_db()
    assert not ticket.ping_pong
    ticket_hand_off(actor=agent, ticket=ticket, to_team=desk.apps_team, reason="It really is")
    assert ticket.ping_pong and ticket.hop_count == 3
    assert ticket in crossed_tickets(actor=agent)


def test_cannot_hand_off_to_the_holding_team_or_without_reason(desk):
    ticket = desk.raise_incident()
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="reason"):
        ticket_hand_off(actor=agent, ticket=ticket, to_team=desk.apps_team, reason=" ")
    with pytest.raises(ValidationFailed, match="already holds"):
        ticket_hand_off(actor=agent, ticket=ticket, to_team=desk.estate.integrator_team, reason="x")


def test_ola_clock_per_hand_off_counts_only_while_the_supplier_holds_it(desk):
    with freeze_time("2026-03-02 09:00:00+00:00") as frozen:
        ticket = desk.raise_incident(impact=3, urgency=1)  # P3
        frozen.tick(timedelta(minutes=10))
        handoff = ticket_hand_off(actor=desk.actor(desk.agent), ticket=ticket, to_team=desk.apps_team, reason="App")
        frozen.tick(timedelta(minutes=20))
        handoff_accept(actor=desk.actor(desk.apps_resolver), handoff=handoff)
        ola = TicketClock.objects.get(ticket=ticket, handoff=handoff)
        assert ola.service_level == desk.ola_apps
        assert ola.elapsed_seconds == pytest.approx(20 * 60)
        assert ola.state == "stopped" and not ola.breached
        assert ola.by_organisation == {str(desk.estate.applications.id): 1200}
        sla = TicketClock.objects.get(ticket=ticket, handoff=None, metric="response")
        assert sla.elapsed_seconds == pytest.approx(30 * 60) and sla.state == "stopped"


def test_clock_warnings_are_told_once_and_colour_the_ticket(desk):
    with freeze_time("2026-03-02 09:00:00+00:00") as frozen:
        ticket = desk.raise_incident(impact=3, urgency=1)  # P3: response 1 h, resolution 8 h
        frozen.tick(timedelta(minutes=50))
        ticket_transition(actor=desk.actor(desk.agent), ticket=ticket, state="in_progress")
        resolution = TicketClock.objects.get(ticket=ticket, handoff=None, metric="resolution")
        response = TicketClock.objects.get(ticket=ticket, handoff=None, metric="response")
        assert response.warned == 75 and response.state == "stopped"
        assert resolution.percent == 10 and resolution.warned == 0
        frozen.tick(timedelta(hours=7, minutes=30))
        from towers.core.actor import Actor
        from towers.servicedesk.services.clocks import clocks_sweep

        clocks_sweep(actor=Actor.system("clocks"))
        ticket.refresh_from_db()
        resolution.refresh_from_db()
        assert resolution.warned == 100 and resolution.breached and ticket.breached
        warnings = list(ticket.events.filter(kind="clock").values_list("body", flat=True))
        assert sum("breached" in w for w in warnings) == 1
        assert any("75%" in w for w in warnings)


def test_pending_on_requester_pauses_the_resolution_clock(desk):
    with freeze_time("2026-03-02 09:00:00+00:00") as frozen:
        ticket = desk.raise_incident(impact=3, urgency=1)
        agent = desk.actor(desk.agent)
        frozen.tick(timedelta(hours=1))
        ticket_transition(actor=agent, ticket=ticket, state="pending", pending_reason="requester")
        frozen.tick(timedelta(hours=5))
        ticket_transition(actor=agent, ticket=ticket, state="in_progress")
        clock = TicketClock.objects.get(ticket=ticket, handoff=None, metric="resolution")
        assert clock.elapsed_seconds == pytest.approx(3600)
