"""mail_receive: mail makes tickets and comments, loops are ignored, the rest is quarantined, and raw bytes are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.models import AuditEntry
from towers.servicedesk.mail.loops import LOOP_HEADER, RATE_LIMIT
from towers.servicedesk.models import Attachment, InboundMail, State, Ticket, TicketEvent
from towers.servicedesk.services.inbound import mail_receive
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.mailfixtures import compose, eml

PDF = b"%PDF-1.4 a small pdf"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def comments(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.filter(kind=TicketEvent.Kind.COMMENT))


def test_mail_from_a_stranger_creates_an_incident_with_its_attachment(desk, media):
    raw = eml("new_with_attachment.eml")
    record = mail_receive(raw=raw, via="smtp")
    assert record.outcome == InboundMail.Outcome.CREATED and record.reason == ""
    ticket = record.ticket
    assert ticket.reference.startswith("INC")
    assert ticket.title == "Printer on the second floor is jammed"
    assert ticket.description.startswith("The printer by the custody suite")
    assert (ticket.channel, ticket.requester, ticket.requester_email) == ("email", None, "pat.officer@force.test")
    [attachment] = Attachment.objects.filter(ticket=ticket)
    assert attachment.filename == "error-page.pdf" and attachment.content_type == "application/pdf"
    assert attachment.file.read().startswith(b"%PDF-1.4")
    assert str(media) in attachment.file.path
    record.refresh_from_db()
    assert bytes(record.raw) == raw
    assert (record.via, record.sender, record.message_id) == ("smtp", "pat.officer@force.test", "<new-1@force.test>")
    assert record.organisation == desk.estate.integrator
    audit = AuditEntry.objects.get(action="mail.created", object_id=str(record.pk))
    assert audit.after["ticket"] == ticket.reference and audit.channel == "email"


def test_mail_from_a_known_person_is_raised_as_them(desk):
    record = mail_receive(raw=compose(sender="Officer <OFFICER@force.test>"), via="imap")
    ticket = record.ticket
    assert ticket.requester == desk.requester
    assert ticket.events.get(kind=TicketEvent.Kind.CREATED).person_id == desk.requester.id
    assert AuditEntry.objects.filter(action="ticket.created", person_id=desk.requester.id, channel="email").exists()


def test_requester_reply_comments_publicly_without_the_quoted_notification(desk):
    ticket = desk.raise_incident()
    record = mail_receive(
        raw=eml("reply_gmail.eml", INC0000042=ticket.reference).replace(
            b"pat.officer@force.test", b"officer@force.test"
        ),
        via="smtp",
    )
    assert record.outcome == InboundMail.Outcome.COMMENTED and record.ticket == ticket
    [comment] = comments(ticket)
    assert comment.body == "It is working again after the engineer's visit, thank you."
    assert comment.public and comment.person_id == desk.requester.id


def test_reply_from_the_requester_address_of_an_emailed_ticket_comments_and_attaches(desk):
    created = mail_receive(raw=compose(sender="pat@elsewhere.test"), via="smtp").ticket
    raw = compose(
        sender="Pat <PAT@elsewhere.test>",
        subject=f"RE: {created.reference} Custody printer jammed",
        body="Photo attached.\n\n-----Original Message-----\nFrom: desk",
        attachments=(("photo.png", "image/png", b"\x89PNG fake"),),
    )
    record = mail_receive(raw=raw, via="smtp")
    assert record.outcome == "commented"
    [comment] = comments(created)
    assert (comment.body, comment.public, comment.actor_label) == ("Photo attached.", True, "mail:pat@elsewhere.test")
    assert list(created.attachments.values_list("filename", "public")) == [("photo.png", True)]


def test_resolver_reply_by_mail_is_an_internal_note(desk):
    ticket = desk.raise_incident()
    raw = compose(sender=desk.agent.email, subject=f"Re: [{ticket.reference}] slow", body="Checked the logs.")
    assert mail_receive(raw=raw, via="smtp").outcome == "commented"
    [comment] = comments(ticket)
    assert comment.public is False and comment.person_id == desk.agent.id


def resolve(desk, ticket: Ticket) -> Ticket:
    return ticket_transition(actor=desk.actor(desk.agent), ticket=ticket, state=State.RESOLVED, resolution_code="fixed")


def test_requester_reply_to_a_resolved_ticket_reopens_it(desk):
    ticket = resolve(desk, desk.raise_incident())
    raw = compose(subject=f"Re: [{ticket.reference}] Resolved: slow", body="Still slow this morning.")
    assert mail_receive(raw=raw, via="smtp").outcome == "commented"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.reopen_count) == (State.IN_PROGRESS, 1)
    assert ticket.events.filter(kind=TicketEvent.Kind.REOPENED).exists()


def test_requester_reply_after_the_reopening_window_is_quarantined(desk):
    ticket = resolve(desk, desk.raise_incident())
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    record = mail_receive(raw=compose(subject=f"Re: [{ticket.reference}]", body="Broken again."), via="smtp")
    assert record.outcome == "quarantined" and "reopening window has passed" in record.reason
    assert comments(ticket) == []  # the comment rolled back with the refused reopening


def test_reply_to_a_closed_ticket_is_quarantined_for_an_agent(desk):
    ticket = desk.raise_incident()
    Ticket.objects.filter(pk=ticket.pk).update(state=State.CLOSED)
    record = mail_receive(raw=compose(subject=f"Re: [{ticket.reference}]", body="Thanks!"), via="smtp")
    assert (record.outcome, record.reason) == ("quarantined", f"{ticket.reference} is closed")


def test_reply_naming_an_unknown_reference_is_quarantined(desk):
    record = mail_receive(raw=compose(subject="Re: [INC9999999] what happened?"), via="smtp")
    assert record.outcome == "quarantined"
    assert record.reason == "names INC9999999, which is not a ticket here"
    assert record.ticket is None
    assert not Ticket.objects.exists()


def test_reply_from_a_stranger_to_someone_elses_ticket_is_quarantined(desk):
    ticket = desk.raise_incident()
    record = mail_receive(raw=compose(sender="nosy@elsewhere.test", subject=f"[{ticket.reference}] hi"), via="smtp")
    assert record.outcome == "quarantined"
    assert "nosy@elsewhere.test is neither the requester" in record.reason
    assert comments(ticket) == []


def test_reply_with_nothing_of_its_own_is_quarantined(desk):
    ticket = desk.raise_incident()
    raw = compose(subject=f"Re: [{ticket.reference}]", body="On Mon, Desk wrote:\n> everything quoted")
    record = mail_receive(raw=raw, via="smtp")
    assert record.outcome == "quarantined" and "no text or attachment of its own" in record.reason


def test_attachment_over_the_limit_quarantines_the_whole_mail_and_makes_no_ticket(desk):
    desk.settings.attachment_max_bytes = 10
    desk.settings.save()
    raw = compose(attachments=(("big.pdf", "application/pdf", PDF),))
    record = mail_receive(raw=raw, via="smtp")
    assert record.outcome == "quarantined"
    assert record.reason.startswith("refused: file: big.pdf is 20 bytes")
    assert not Ticket.objects.exists() and not Attachment.objects.exists()  # the half-made ticket rolled back
    record.refresh_from_db()
    assert bytes(record.raw) == raw


def test_attachment_of_a_refused_type_is_quarantined(desk):
    record = mail_receive(raw=compose(attachments=(("run.exe", "application/x-msdownload", b"MZ"),)), via="smtp")
    assert record.outcome == "quarantined" and "application/x-msdownload" in record.reason


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02 not mail", b"Subject: who sent this?\r\n\r\nnobody"])
def test_garbage_is_quarantined_with_its_bytes_kept(desk, raw):
    record = mail_receive(raw=raw, via="lmtp")
    assert record.outcome == "quarantined" and record.reason.startswith("unreadable: ")
    record.refresh_from_db()
    assert bytes(record.raw) == raw
    assert AuditEntry.objects.filter(action="mail.quarantined", object_id=str(record.pk)).exists()


@pytest.mark.parametrize(
    "name, reason",
    [
        ("out_of_office.eml", "automatic (Auto-Submitted: auto-replied)"),
        ("bounce.eml", "sent by a mail system (mailer-daemon)"),
        ("list_mail.eml", "bulk or list mail (Precedence: list)"),
    ],
)
def test_auto_replies_bounces_and_lists_are_ignored_with_the_reason(desk, name, reason):
    ticket = desk.raise_incident()
    record = mail_receive(raw=eml(name, INC0000042=ticket.reference), via="smtp")
    assert (record.outcome, record.reason) == ("ignored", reason)
    assert Ticket.objects.count() == 1 and comments(ticket) == []


def test_our_own_notification_coming_back_is_ignored(desk):
    record = mail_receive(raw=compose(**{LOOP_HEADER.replace("-", "_"): "towers.localhost"}), via="smtp")
    assert record.outcome == "ignored" and "our own notification" in record.reason
    mine = mail_receive(raw=compose(sender="servicedesk@towers.localhost"), via="smtp")
    assert mine.outcome == "ignored" and "own address" in mine.reason
    assert not Ticket.objects.exists()


def test_the_same_message_twice_makes_one_ticket(desk):
    raw = compose()
    assert mail_receive(raw=raw, via="smtp").outcome == "created"
    again = mail_receive(raw=raw, via="imap")
    assert again.outcome == "ignored" and "already received" in again.reason
    assert Ticket.objects.count() == 1


def test_a_sender_past_the_rate_limit_is_treated_as_a_loop(desk):
    outcomes = [
        mail_receive(raw=compose(sender="robot@monitor.test"), via="smtp").outcome for _ in range(RATE_LIMIT + 1)
    ]
    assert outcomes[:RATE_LIMIT] == ["created"] * RATE_LIMIT
    assert outcomes[RATE_LIMIT] == "ignored"
    last = InboundMail.objects.order_by("-id").first()
    assert last.reason == "a mail loop: more than 20 messages from robot@monitor.test in 10 minutes"
    assert mail_receive(raw=compose(sender="someone.else@force.test"), via="smtp").outcome == "created"


def test_unknown_via_is_a_programming_error(desk):
    with pytest.raises(ValueError):
        mail_receive(raw=compose(), via="pigeon")
