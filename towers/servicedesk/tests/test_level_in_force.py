"""Which service levels measure a ticket: those in force when it was resolved (SLAs) or a hand-off was sent (OLAs),
so a level that ended since, or one that started since, leaves earlier work as it was measured."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from towers.contracts.models import ServiceLevel
from towers.contracts.tests.factories import ServiceFactory
from towers.servicedesk.models import TicketClock
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.handoffs import ticket_hand_off
from towers.servicedesk.services.tickets import ticket_transition

pytestmark = pytest.mark.django_db

P3 = {"impact": 3, "urgency": 1}
MORNING = datetime(2026, 3, 2, 9, tzinfo=UTC)
END = datetime(2026, 3, 10, 9, tzinfo=UTC)


def _resolved_ticket(desk, at):
    with freeze_time(at) as clock:
        ticket = desk.raise_incident(**P3)
        clock.tick(timedelta(hours=2))
        agent = desk.actor(desk.agent)
        ticket_transition(actor=agent, ticket=ticket, state="resolved", resolution_code="fixed")
    ticket.refresh_from_db()
    return ticket


def _levels(ticket):
    return set(TicketClock.objects.filter(ticket=ticket, handoff=None).values_list("service_level__code", flat=True))


def _end_and_copy(level, at):
    """What a supplier transition does to an SLA: end it at the date, with a copy in force from there."""
    ServiceLevel.objects.filter(pk=level.pk).update(is_active=False, ended_at=at)
    copy = ServiceLevel.objects.get(pk=level.pk)
    copy.pk, copy.id, copy.code, copy.is_active, copy.ended_at, copy.starts_at = (
        None,
        None,
        f"{level.code}-new",
        True,
        None,
        at,
    )
    copy.save()
    return copy


def test_a_breached_clock_keeps_the_due_time_it_missed_once_stopped(desk):
    ticket = _resolved_ticket(desk, MORNING)  # resolved after two hours on a one-hour response
    response = TicketClock.objects.get(ticket=ticket, service_level=desk.sla_response)
    assert (response.state, response.breached) == ("stopped", True)
    assert response.due_at == MORNING + timedelta(hours=1)


def test_a_level_ended_since_still_measures_a_ticket_resolved_before_its_end(desk):
    before = _resolved_ticket(desk, MORNING)
    copy = _end_and_copy(desk.sla_response, END)
    with freeze_time(END + timedelta(days=2)):
        ticket_clocks_recompute(ticket=before, actor=desk.actor(desk.agent))  # e.g. closed by the worker
        after = _resolved_ticket(desk, END + timedelta(days=1))
    assert desk.sla_response.code in _levels(before) and copy.code not in _levels(before)
    assert copy.code in _levels(after) and desk.sla_response.code not in _levels(after)


def test_an_ola_measures_hand_offs_sent_while_it_was_in_force_only(desk):
    agent = desk.actor(desk.agent)
    with freeze_time(MORNING):
        early = desk.raise_incident(**P3)
        ticket_hand_off(actor=agent, ticket=early, to_team=desk.apps_team, reason="Application fault")
    ServiceLevel.objects.filter(provider=desk.estate.applications, kind="ola").update(is_active=False, ended_at=END)
    with freeze_time(END + timedelta(hours=1)):
        ticket_clocks_recompute(ticket=early, actor=agent)
        late = desk.raise_incident(**P3)
        ticket_hand_off(actor=agent, ticket=late, to_team=desk.apps_team, reason="Application fault")
    assert TicketClock.objects.filter(ticket=early, service_level=desk.ola_apps).count() == 1
    assert not TicketClock.objects.filter(ticket=late, kind="ola").exists()


def test_a_level_deactivated_by_hand_measures_nothing_as_before(desk):
    ServiceLevel.objects.filter(pk=desk.sla_response.pk).update(is_active=False)
    ticket = _resolved_ticket(desk, MORNING)
    assert desk.sla_response.code not in _levels(ticket)


def test_a_supplier_whose_olas_for_the_service_ended_is_not_measured_by_its_other_services_olas(desk):
    """The general fallback (no OLA for the service: all its OLAs) is for a supplier that never had one for it."""
    agent, apps = desk.actor(desk.agent), desk.estate.applications
    other = ServiceLevel.objects.get(pk=desk.ola_apps.pk)
    other.pk, other.id, other.code = None, None, "apps-ola-other-service"
    other.service = ServiceFactory(owner=apps, code="records", name="Records system")
    other.save()
    ServiceLevel.objects.filter(provider=apps, kind="ola", service=desk.service).update(is_active=False, ended_at=END)
    with freeze_time(END + timedelta(hours=1)):
        late = desk.raise_incident(**P3)
        ticket_hand_off(actor=agent, ticket=late, to_team=desk.apps_team, reason="Back to the old supplier")
    assert not TicketClock.objects.filter(ticket=late, kind="ola").exists()
    with freeze_time(END + timedelta(hours=2)):
        unrelated = desk.raise_incident(**P3, service=ServiceFactory(owner=apps, code="hr", name="HR system"))
        ticket_hand_off(actor=agent, ticket=unrelated, to_team=desk.apps_team, reason="Never had an OLA for it")
    assert TicketClock.objects.filter(ticket=unrelated, service_level=other).count() == 1  # the fallback, as before
