from datetime import timedelta

import pytest
from django.core import mail
from freezegun import freeze_time

from towers.core import events
from towers.servicedesk.models import Notification
from towers.servicedesk.services.handoffs import handoff_reject, ticket_hand_off
from towers.servicedesk.services.tickets import ticket_comment, ticket_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run the worker's delivery and the mail sending it books for after commit; return what was sent."""

    def run():
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            events.deliver_all_pending()
        return list(mail.outbox)

    return run


def test_requester_is_told_when_the_ticket_is_logged_and_resolved(desk, deliver):
    ticket = desk.raise_incident()
    sent = deliver()
    assert [m.to for m in sent] == [["officer@force.test"]]
    assert f"[{ticket.reference}]" in sent[0].subject
    ticket_transition(actor=desk.actor(desk.agent), ticket=ticket, state="resolved", resolution_code="fixed")
    sent = deliver()
    assert len(sent) == 1 and "resolved" in sent[0].subject.lower()


def test_public_comments_reach_the_requester_and_internal_ones_do_not(desk, deliver):
    ticket = desk.raise_incident()
    deliver()
    ticket_comment(actor=desk.actor(desk.agent), ticket=ticket, body="Looking at the logs", public=False)
    assert deliver() == []
    ticket_comment(actor=desk.actor(desk.agent), ticket=ticket, body="Please restart", public=True)
    assert [m.to for m in deliver()] == [["officer@force.test"]]


def test_receiving_team_is_told_of_a_hand_off_and_the_sender_of_a_rejection(desk, deliver):
    desk.apps_resolver.email = "resolver@apps.test"
    desk.apps_resolver.save()
    desk.agent.email = "agent@desk.test"
    desk.agent.save()
    ticket = desk.raise_incident()
    handoff = ticket_hand_off(actor=desk.actor(desk.agent), ticket=ticket, to_team=desk.apps_team, reason="App")
    assert ["resolver@apps.test"] in [m.to for m in deliver()]
    handoff_reject(actor=desk.actor(desk.apps_resolver), handoff=handoff, reason="Not ours")
    assert ["agent@desk.test"] in [m.to for m in deliver()]


def test_a_breach_is_notified_to_the_holding_team_once(desk, deliver):
    desk.agent.email = "agent@desk.test"
    desk.agent.save()
    with freeze_time("2026-03-02 09:00:00+00:00") as frozen:
        ticket = desk.raise_incident(impact=3, urgency=1)
        frozen.tick(timedelta(hours=2))
        from towers.core.actor import Actor
        from towers.servicedesk.services.clocks import clocks_sweep

        clocks_sweep(actor=Actor.system("clocks"))
        clocks_sweep(actor=Actor.system("clocks"))
        deliver()
    warnings = Notification.objects.filter(ticket=ticket, template="clock_warning", person=desk.agent)
    assert warnings.count() == 1


def test_stakeholders_hear_of_the_declaration_each_update_and_the_resolution(desk, deliver):
    from towers.servicedesk.services.major import major_declare, major_resolve, major_update
    from towers.servicedesk.tests.catalogue_factories import p1_incident

    agent = desk.actor(desk.agent)
    incident = p1_incident(desk)
    deliver()
    major = major_declare(
        actor=agent, ticket=incident, bridge="Teams: MI bridge", manager=desk.agent, stakeholders=["chief@force.test"]
    )
    declared = [m for m in deliver() if m.to == ["chief@force.test"]]
    assert len(declared) == 1 and "Teams: MI bridge" in declared[0].body
    major_update(actor=agent, major=major, body="Database failed over; users reconnecting.")
    updated = [m for m in deliver() if m.to == ["chief@force.test"]]
    assert len(updated) == 1 and "users reconnecting" in updated[0].body
    major_resolve(actor=agent, major=major, summary="Service restored after fail-over.")
    assert any("resolved" in m.subject.lower() for m in deliver() if m.to == ["chief@force.test"])
