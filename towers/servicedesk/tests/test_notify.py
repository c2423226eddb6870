"""notify: templated notifications to people, teams and addresses, mailed once committed, that thread back."""

from __future__ import annotations

import pytest
from django.core import mail as outbox

from towers.core.models import AuditEntry
from towers.organisations.tests.factories import PersonFactory, TeamMembershipFactory
from towers.servicedesk.mail.parse import REPLY_MARKER, find_reference
from towers.servicedesk.models import HandOff, Notification, TicketEvent
from towers.servicedesk.services.inbound import mail_receive
from towers.servicedesk.services.notify import TEMPLATES, notifications_send, notify


@pytest.fixture
def ticket(desk):
    return desk.raise_incident(title="Radio & MDT down at Central")


def test_requester_is_told_by_email_with_the_reference_and_loop_headers(
    desk, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [note] = notify(template="ticket_created", ticket=ticket, person=desk.requester)
    assert (note.person, note.email, note.template) == (desk.requester, "officer@force.test", "ticket_created")
    [sent] = outbox.outbox
    assert sent.to == ["officer@force.test"]
    assert sent.subject == f"[{ticket.reference}] We have logged your incident: Radio & MDT down at Central"
    assert "Radio & MDT down at Central" in sent.body  # plain text: never HTML-escaped
    assert sent.body.startswith(REPLY_MARKER)
    assert sent.extra_headers["X-Towers-Loop"] == "towers.localhost"
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert find_reference("Re: lost subject", (sent.extra_headers["Message-ID"],)) == ticket.reference
    assert sent.reply_to == ["servicedesk@towers.localhost"]
    note.refresh_from_db()
    assert note.sent_at is not None
    audit = AuditEntry.objects.get(action="ticket.notified", object_id=str(ticket.pk))
    assert audit.after == {"template": "ticket_created", "recipients": ["officer@force.test"]}


def test_nothing_is_mailed_if_the_transaction_rolls_back(desk, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(template="ticket_created", ticket=ticket, person=desk.requester)
    assert len(callbacks) == 1 and outbox.outbox == []


def test_team_notification_goes_to_each_member_separately(desk, ticket, django_capture_on_commit_callbacks):
    second = PersonFactory(email="second@apps.test")
    TeamMembershipFactory(team=desk.apps_team, person=second)
    no_address = PersonFactory(email="")
    TeamMembershipFactory(team=desk.apps_team, person=no_address)
    handoff = HandOff(ticket=ticket, to_team=desk.apps_team, to_organisation=desk.apps_team.organisation, reason="DB")
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify(template="handoff_received", ticket=ticket, team=desk.apps_team, context={"handoff": handoff})
    assert {n.person for n in notes} == {desk.apps_resolver, second, no_address}
    assert all(n.team == desk.apps_team for n in notes)
    assert sorted(m.to[0] for m in outbox.outbox) == sorted([desk.apps_resolver.email, "second@apps.test"])
    assert all(len(m.to) == 1 for m in outbox.outbox)  # no member sees another's address
    assert Notification.objects.get(person=no_address).sent_at is None  # told in the app only
    assert "Why: DB" in outbox.outbox[0].body


def test_team_without_members_is_mailed_at_its_own_address(desk, ticket, django_capture_on_commit_callbacks):
    desk.second_desk_team.email = "desk2@integrator.test"
    desk.second_desk_team.save()
    with django_capture_on_commit_callbacks(execute=True):
        [note] = notify(template="clock_warning", ticket=ticket, team=desk.second_desk_team, context={"percent": 75})
    assert (note.person, note.email) == (None, "desk2@integrator.test")
    assert "75% used" in outbox.outbox[0].subject


def test_stakeholders_by_address_and_duplicates_told_once(desk, ticket, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify(
            template="major_update",
            ticket=ticket,
            person=desk.requester,
            emails=["chief@force.test", "OFFICER@force.test", "servicedesk@towers.localhost", ""],
            context={"body": "Radios restored at 14:05."},
        )
    assert [n.email for n in notes] == ["officer@force.test", "chief@force.test"]
    assert all("Radios restored at 14:05." in m.body for m in outbox.outbox)


def test_failed_sending_leaves_the_notification_unsent_for_a_retry(desk, ticket, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    [note] = notify(template="ticket_resolved", ticket=ticket, person=desk.requester)
    with pytest.raises(OSError):
        notifications_send(ids=[note.pk])
    note.refresh_from_db()
    assert note.sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_send(ids=[note.pk]) == 1
    assert notifications_send(ids=[note.pk]) == 0  # never twice


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_a_subject_with_the_reference(desk, ticket, template):
    comment = TicketEvent(ticket=ticket, kind="comment", actor_label="int.agent", body="Rebooted the router.")
    handoff = HandOff(
        ticket=ticket, to_team=desk.apps_team, to_organisation=desk.apps_team.organisation, reason="r", response="no"
    )
    context = {"comment": comment, "handoff": handoff, "percent": 100, "body": "update"}
    [note] = notify(template=template, ticket=ticket, person=desk.agent, context=context)
    assert note.subject.startswith(f"[{ticket.reference}] ")
    assert "\n" not in note.subject and len(note.body.strip()) > len(REPLY_MARKER)


def test_unknown_template_is_refused(desk, ticket):
    with pytest.raises(ValueError, match="unknown notification template"):
        notify(template="ticket_exploded", ticket=ticket, person=desk.requester)


def test_our_notification_fed_back_in_is_ignored_but_the_requesters_reply_comments(
    desk, ticket, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(template="ticket_created", ticket=ticket, person=desk.requester)
    [sent] = outbox.outbox
    bounced = mail_receive(raw=sent.message().as_bytes(), via="smtp")
    assert bounced.outcome == "ignored"
    quoted = "\n".join(f"> {line}" for line in sent.body.splitlines())
    reply = sent.message()
    for header in ("X-Towers-Loop", "Auto-Submitted", "Precedence", "X-Auto-Response-Suppress", "Message-ID"):
        del reply[header]
    reply.replace_header("From", "officer@force.test")
    reply.replace_header("Subject", "Re: " + sent.subject)
    reply["Message-ID"] = "<reply-to-notification@force.test>"
    reply.set_payload(f"Thanks, it is back now.\n\nOn Mon, Desk wrote:\n{quoted}\n")
    answered = mail_receive(raw=reply.as_bytes(), via="smtp")
    assert (answered.outcome, answered.ticket) == ("commented", ticket)
    assert ticket.events.filter(kind="comment").get().body == "Thanks, it is back now."
