"""The rules a move keeps at the effective date: who holds each ticket, and whose clock counts until when."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from towers.contracts.models import ServiceLevel
from towers.contracts.tests.factories import office_hours_calendar
from towers.core.actor import Actor
from towers.organisations.models import Team
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.models import HandOff, TicketClock
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.tickets import ticket_create, ticket_transition
from towers.transition.services.move import transition_run
from towers.transition.services.report import TransitionReport
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")
MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # GMT: London time is UTC


@pytest.fixture
def frozen():
    with freeze_time(MONDAY_9) as frozen:
        yield frozen


@pytest.fixture
def desk(frozen, estate):
    return desk_for_transition(estate)


@pytest.fixture
def incoming(desk, estate):
    return incoming_supplier(estate)


def _now() -> datetime:
    return datetime.now(UTC)


def _raise(desk):
    """A P3 incident the desk sends to the applications supplier's team: a hand-off pending its acceptance."""
    return ticket_create(
        actor=SYSTEM, title="Crime system is slow", service=desk.service, team=desk.apps_team, impact=2, urgency=2
    )


def _apply(desk, incoming, at: datetime) -> TransitionReport:
    transition = crime_transition(desk, incoming, at)
    actor = actor_of(desk.estate.integrator_admin)
    transition_run(actor=actor, transition=transition, dry_run=True)
    return transition_run(actor=actor, transition=transition, dry_run=False)


def _held_by(ticket, organisation) -> HandOff:
    return HandOff.objects.get(ticket=ticket, to_organisation=organisation)


def test_a_hand_off_pending_acceptance_at_the_date_is_superseded_by_one_to_the_incoming_team(desk, incoming, frozen):
    ticket, apps = _raise(desk), desk.estate.applications
    assert _held_by(ticket, apps).status == HandOff.Status.PENDING
    frozen.tick(timedelta(minutes=20))
    at = _now()
    frozen.tick(timedelta(minutes=20))
    _apply(desk, incoming, at)

    ticket.refresh_from_db()
    assert (ticket.team.code, ticket.state) == ("next-support", "assigned")
    sent = _held_by(ticket, apps)
    assert (sent.status, sent.decided_at, sent.released_at) == (HandOff.Status.SUPERSEDED, at, at)
    waiting = _held_by(ticket, incoming)
    assert (waiting.status, waiting.created_at, waiting.released_at) == (HandOff.Status.PENDING, at, None)
    assert waiting.from_team == desk.apps_team

    outgoing_ola = TicketClock.objects.get(ticket=ticket, handoff=sent)
    assert (outgoing_ola.state, outgoing_ola.stopped_at, outgoing_ola.elapsed_seconds) == ("stopped", at, 20 * 60)
    assert not TicketClock.objects.filter(ticket=ticket, organisation=apps, state="running").exists()
    incoming_ola = TicketClock.objects.get(ticket=ticket, handoff=waiting)
    assert (incoming_ola.state, incoming_ola.elapsed_seconds) == ("running", 20 * 60)
    assert incoming_ola.due_at == at + timedelta(minutes=30)


def test_a_pending_ticket_stays_pending_with_its_reason_and_its_sla_clock_paused(desk, incoming, frozen):
    ticket = _raise(desk)
    frozen.tick(timedelta(minutes=10))
    ticket_transition(actor=SYSTEM, ticket=ticket, state="in_progress")
    frozen.tick(timedelta(minutes=20))
    ticket_transition(actor=SYSTEM, ticket=ticket, state="pending", pending_reason="requester")
    frozen.tick(timedelta(minutes=30))
    at = _now()
    frozen.tick(timedelta(minutes=30))
    _apply(desk, incoming, at)

    ticket.refresh_from_db()
    assert (ticket.team.code, ticket.state, ticket.pending_reason) == ("next-support", "pending", "requester")
    resolution = TicketClock.objects.get(ticket=ticket, handoff=None, metric="resolution")
    # The clock ran from 09:00 until it went pending at 09:30, and stays paused through the move.
    assert (resolution.state, resolution.elapsed_seconds) == ("paused", 30 * 60)
    assert resolution.organisation == incoming


def test_a_ticket_handed_to_a_third_party_before_the_date_stays_there_with_its_outgoing_clock(desk, incoming, frozen):
    ticket, apps = _raise(desk), desk.estate.applications
    frozen.tick(timedelta(minutes=10))
    ticket_hand_off(actor=SYSTEM, ticket=ticket, to_team=desk.estate.network_team, reason="Network fault")
    outgoing_ola = TicketClock.objects.get(ticket=ticket, handoff=_held_by(ticket, apps))
    frozen.tick(timedelta(minutes=20))
    at = _now()
    frozen.tick(timedelta(minutes=30))
    report = _apply(desk, incoming, at)

    assert report.counts()["ticket_rehomed"] == 0
    ticket.refresh_from_db()
    assert (ticket.team, ticket.organisation) == (desk.estate.network_team, desk.estate.network)
    assert not HandOff.objects.filter(ticket=ticket, to_organisation=incoming).exists()
    ticket_clocks_recompute(ticket=ticket, actor=SYSTEM)  # the next change to the ticket replays its clocks
    kept = TicketClock.objects.get(ticket=ticket, handoff=_held_by(ticket, apps))
    assert kept.id == outgoing_ola.id
    assert (kept.state, kept.elapsed_seconds, kept.stopped_at) == ("stopped", 10 * 60, MONDAY_9 + timedelta(minutes=10))
    assert kept.organisation == apps


def test_a_ticket_received_after_the_date_is_handed_over_at_its_own_hand_off_time(desk, incoming, frozen):
    at, apps = _now(), desk.estate.applications
    frozen.tick(timedelta(minutes=15))
    ticket = _raise(desk)
    received = _now()
    frozen.tick(timedelta(minutes=15))
    report = _apply(desk, incoming, at)

    sent = _held_by(ticket, apps)
    assert (sent.status, sent.decided_at, sent.released_at) == (HandOff.Status.SUPERSEDED, received, received)
    waiting = _held_by(ticket, incoming)
    assert waiting.created_at == received
    # Its OLA had ended when the ticket reached it: nothing measures the outgoing supplier on it.
    assert not TicketClock.objects.filter(ticket=ticket, handoff=sent).exists()
    assert TicketClock.objects.get(ticket=ticket, handoff=waiting).elapsed_seconds == 15 * 60
    [step] = [s for s in report.steps if s.kind == "ticket_rehomed"]
    assert step.after is not None and step.after["at"] == received
    said = f"{ticket.reference} reached Apps Supplier on 02 Mar 09:15, after the effective date: handed over as of then"
    assert said in report.notes
    assert not any("was worked" in note for note in report.notes)  # nothing happened after 09:15


def test_on_business_hours_the_outgoing_ola_stops_at_the_date_and_the_incoming_one_starts_there(desk, incoming, frozen):
    office = office_hours_calendar(desk.estate.authority)  # Monday to Friday, 08:00–18:00
    ServiceLevel.objects.filter(provider=desk.estate.applications, kind="ola").update(calendar=office)
    frozen.move_to(datetime(2026, 3, 6, 17, 50, tzinfo=UTC))  # a Friday
    ticket = _raise(desk)
    at = datetime(2026, 3, 9, 8, 10, tzinfo=UTC)  # the Monday after
    frozen.move_to(at + timedelta(minutes=10))
    _apply(desk, incoming, at)

    outgoing_ola = TicketClock.objects.get(ticket=ticket, handoff=_held_by(ticket, desk.estate.applications))
    # Held for ten open minutes on Friday and ten on Monday: the weekend is closed.
    assert (outgoing_ola.state, outgoing_ola.stopped_at, outgoing_ola.elapsed_seconds) == ("stopped", at, 20 * 60)
    incoming_ola = TicketClock.objects.get(ticket=ticket, handoff=_held_by(ticket, incoming))
    assert incoming_ola.service_level.calendar == office
    assert (incoming_ola.state, incoming_ola.elapsed_seconds) == ("running", 10 * 60)
    assert incoming_ola.due_at == at + timedelta(minutes=30)
    assert Team.objects.get(code="next-support") == incoming_ola.ticket.team
