from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry, OutboxEvent
from towers.servicedesk.models import State, Ticket, TicketEvent
from towers.servicedesk.selectors import ticket_get, ticket_timeline
from towers.servicedesk.services.tickets import ticket_comment, ticket_transition, ticket_update


def test_raised_incident_gets_a_reference_priority_from_the_matrix_and_the_triage_team(desk):
    ticket = desk.raise_incident(impact=1, urgency=2)
    assert ticket.reference.startswith("INC") and len(ticket.reference) == 10
    assert ticket.priority == "P2"
    assert ticket.team == desk.estate.integrator_team and ticket.state == State.ASSIGNED
    assert ticket.requester == desk.requester
    assert AuditEntry.objects.filter(action="ticket.created", object_id=str(ticket.id)).exists()
    assert OutboxEvent.objects.filter(name="servicedesk.ticket.created").exists()


def test_references_count_up_per_kind(desk):
    first, second = desk.raise_incident(), desk.raise_incident()
    assert int(second.reference[3:]) == int(first.reference[3:]) + 1


def test_impact_change_reprioritises_and_is_on_the_timeline(desk):
    ticket = desk.raise_incident(impact=3, urgency=3)
    ticket_update(actor=desk.actor(desk.agent), ticket=ticket, changes={"impact": 1, "urgency": 1})
    assert ticket.priority == "P1"
    assert TicketEvent.objects.filter(ticket=ticket, kind="priority", priority="P1").exists()


def test_pending_needs_a_reason_and_resolving_needs_a_code(desk):
    ticket = desk.raise_incident()
    agent = desk.actor(desk.agent)
    with pytest.raises(ValidationFailed, match="pending_reason"):
        ticket_transition(actor=agent, ticket=ticket, state="pending")
    ticket_transition(actor=agent, ticket=ticket, state="pending", pending_reason="requester")
    assert TicketEvent.objects.filter(ticket=ticket, state="pending_requester").exists()
    with pytest.raises(ValidationFailed, match="resolution_code"):
        ticket_transition(actor=agent, ticket=ticket, state="resolved")
    ticket_transition(actor=agent, ticket=ticket, state="resolved", resolution_code="fixed", resolution_notes="Reset")
    assert ticket.state == State.RESOLVED and ticket.resolved_at is not None


def test_disallowed_transition_names_both_states(desk):
    ticket = desk.raise_incident()
    agent = desk.actor(desk.agent)
    ticket_transition(actor=agent, ticket=ticket, state="cancelled")
    with pytest.raises(ValidationFailed, match="cancelled ticket cannot become in_progress"):
        ticket_transition(actor=agent, ticket=ticket, state="in_progress")


def test_requester_reopens_within_the_window_but_not_after(desk):
    agent, requester = desk.actor(desk.agent), desk.actor(desk.requester)
    ticket = desk.raise_incident()
    ticket_transition(actor=agent, ticket=ticket, state="resolved", resolution_code="fixed")
    ticket_transition(actor=requester, ticket=ticket, state="in_progress", note="Still broken")
    assert ticket.state == State.IN_PROGRESS and ticket.reopen_count == 1
    ticket_transition(actor=agent, ticket=ticket, state="resolved", resolution_code="fixed")
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    ticket.refresh_from_db()
    with pytest.raises(ValidationFailed, match="reopening window"):
        ticket_transition(actor=requester, ticket=ticket, state="in_progress")


def test_requester_sees_only_own_tickets_and_public_timeline(desk):
    from towers.organisations.tests.factories import person_with_roles

    mine = desk.raise_incident()
    ticket_comment(actor=desk.actor(desk.agent), ticket=mine, body="Checked the logs", public=False)
    ticket_comment(actor=desk.actor(desk.agent), ticket=mine, body="We are on it", public=True)
    other = person_with_roles(desk.estate.authority, "requester", username="other.officer")
    with pytest.raises(NotFound):
        ticket_get(actor=desk.actor(other), reference=mine.reference)
    bodies = [e.body for e in ticket_timeline(actor=desk.actor(desk.requester), ticket=mine)]
    assert "We are on it" in bodies and "Checked the logs" not in bodies
    with pytest.raises(Forbidden):
        ticket_comment(actor=desk.actor(other), ticket=mine, body="me too")


def test_requester_reply_restarts_a_ticket_pending_on_them(desk):
    ticket = desk.raise_incident()
    ticket_transition(actor=desk.actor(desk.agent), ticket=ticket, state="pending", pending_reason="requester")
    ticket_comment(actor=desk.actor(desk.requester), ticket=ticket, body="Here is the screenshot")
    assert ticket.state == State.IN_PROGRESS


def test_requester_cannot_work_tickets(desk):
    ticket = desk.raise_incident()
    with pytest.raises(Forbidden):
        ticket_transition(actor=desk.actor(desk.requester), ticket=ticket, state="cancelled")
