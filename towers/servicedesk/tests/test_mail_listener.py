"""The SMTP and LMTP listener, driven by Python's own smtplib client over a real socket."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from django.core.management import CommandError, call_command

from towers.servicedesk.mail.listener import Listener, parse_bind
from towers.servicedesk.models import Attachment, InboundMail, Ticket, TicketEvent
from towers.servicedesk.services.inbound import mail_deliver
from towers.servicedesk.tests.mailfixtures import DESK, compose, eml

PDF = b"%PDF-1.4 custody printer error page"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def smtp_listener(transactional_db, desk, media):
    # transactional_db: the listener stores mail from its own threads, which must see (and commit to) the database.
    with Listener(mail_deliver, host="127.0.0.1", port=0, accept=[DESK]) as listener:
        yield listener


@pytest.fixture
def lmtp_listener(transactional_db, desk, media):
    with Listener(mail_deliver, host="127.0.0.1", port=0, lmtp=True, accept=[DESK]) as listener:
        yield listener


def send(listener: Listener, raw: bytes, *, sender: str = "officer@force.test", to: str = DESK) -> dict:
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo("client.force.test")
        return client.sendmail(sender, [to], raw)


def test_smtp_mail_creates_a_ticket_and_a_reply_comments_on_it_with_attachments(smtp_listener, desk):
    assert send(smtp_listener, eml("new_with_attachment.eml"), sender="pat.officer@force.test") == {}
    created = InboundMail.objects.get()
    assert (created.outcome, created.via) == ("created", "smtp")
    ticket = created.ticket
    assert ticket.title == "Printer on the second floor is jammed"
    assert bytes(created.raw).startswith(b"Return-Path: <pat.officer@force.test>\r\n")
    assert list(ticket.attachments.values_list("filename", flat=True)) == ["error-page.pdf"]

    reply = compose(
        sender="pat.officer@force.test",
        subject=f"Re: [{ticket.reference}] Printer on the second floor is jammed",
        body="Here is the error page it printed.\n\nOn Mon, Desk wrote:\n> Engineer on the way.",
        attachments=(("second-error.pdf", "application/pdf", PDF),),
    )
    send(smtp_listener, reply, sender="pat.officer@force.test")
    commented = InboundMail.objects.exclude(pk=created.pk).get()
    assert (commented.outcome, commented.ticket_id) == ("commented", ticket.id)
    comment = ticket.events.get(kind=TicketEvent.Kind.COMMENT)
    assert (comment.body, comment.public) == ("Here is the error page it printed.", True)
    second = Attachment.objects.get(filename="second-error.pdf")
    assert (second.ticket_id, second.size, second.file.read()) == (ticket.id, len(PDF), PDF)
    assert Ticket.objects.count() == 1


def test_lmtp_delivery_creates_a_ticket_and_comments_on_the_named_ticket(lmtp_listener, desk):
    ticket = desk.raise_incident()
    with smtplib.LMTP(lmtp_listener.host, lmtp_listener.port, timeout=10) as client:
        code, _ = client.ehlo("mx.force.test")  # smtplib's LMTP greets with LHLO
        assert code == 250
        assert client.sendmail("new@force.test", [DESK], compose(sender="new@force.test", subject="VPN down")) == {}
        reply = compose(subject=f"RE: {ticket.reference} slow", body="Still slow at 10:00.")
        assert client.sendmail("officer@force.test", [DESK], reply) == {}
    outcomes = dict(InboundMail.objects.values_list("outcome", "via"))
    assert outcomes == {"created": "lmtp", "commented": "lmtp"}
    assert Ticket.objects.filter(title="VPN down", requester_email="new@force.test").exists()
    assert ticket.events.get(kind=TicketEvent.Kind.COMMENT).body == "Still slow at 10:00."


def test_auto_replies_loops_and_bounces_are_accepted_and_ignored(smtp_listener, desk):
    ticket = desk.raise_incident()
    send(smtp_listener, eml("out_of_office.eml", INC0000042=ticket.reference))
    send(smtp_listener, compose(X_Towers_Loop="towers.localhost"))
    send(smtp_listener, compose(sender="pat@force.test", subject="Delivery failure"), sender="")  # MAIL FROM:<>
    reasons = sorted(InboundMail.objects.filter(outcome="ignored").values_list("reason", flat=True))
    assert reasons == [
        "a bounce: the return path is empty (<>)",
        "automatic (Auto-Submitted: auto-replied)",
        "our own notification came back (X-Towers-Loop)",
    ]
    assert Ticket.objects.count() == 1 and not ticket.events.filter(kind=TicketEvent.Kind.COMMENT).exists()


def test_garbage_is_accepted_and_quarantined_with_its_bytes(smtp_listener):
    garbage = b"\x00\x01binary junk that is not a mail message\r\n"
    send(smtp_listener, garbage)
    record = InboundMail.objects.get()
    assert record.outcome == "quarantined" and record.reason == "unreadable: no sender address in From: '(missing)'"
    assert bytes(record.raw).endswith(garbage)


def test_mail_for_other_addresses_is_refused_at_rcpt(smtp_listener):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_listener, compose(), to="someone@else.test")
    assert refused.value.recipients["someone@else.test"][0] == 550
    assert not InboundMail.objects.exists()


def test_a_failed_store_answers_451_so_the_sender_keeps_the_mail():
    def broken(raw: bytes, via: str) -> str:
        raise RuntimeError("database is down")

    with (
        Listener(broken, host="127.0.0.1", port=0) as listener,
        smtplib.SMTP(listener.host, listener.port, timeout=10) as client,
    ):
        msg = EmailMessage()
        msg["From"], msg["Subject"] = "pat@force.test", "x"
        with pytest.raises(smtplib.SMTPDataError) as failed:
            client.send_message(msg, to_addrs=[DESK])
    assert failed.value.smtp_code == 451


def test_lmtp_answers_once_per_recipient():
    stored: list[bytes] = []

    def store(raw: bytes, via: str) -> str:
        stored.append(raw)
        return "created"

    with (
        Listener(store, host="127.0.0.1", port=0, lmtp=True) as listener,
        smtplib.LMTP(listener.host, listener.port, timeout=10) as client,
    ):
        client.ehlo("mx")
        client.mail("pat@force.test")
        client.rcpt("a@towers.localhost")
        client.rcpt("b@towers.localhost")
        client.putcmd("data")
        assert client.getreply()[0] == 354
        client.send(b"From: pat@force.test\r\nSubject: x\r\n\r\nbody\r\n.\r\n")
        replies = [client.getreply()[0], client.getreply()[0]]
    assert replies == [250, 250]
    assert len(stored) == 1  # one message however many local recipients


@pytest.mark.parametrize("bind, parsed", [("127.0.0.1:8025", ("127.0.0.1", 8025)), ("[::1]:25", ("::1", 25))])
def test_bind_addresses_parse(bind, parsed):
    assert parse_bind(bind) == parsed


@pytest.mark.parametrize("bind", ["8025", "localhost:", ":25", "host:port"])
def test_bad_bind_addresses_are_refused(bind):
    with pytest.raises(ValueError):
        parse_bind(bind)
    with pytest.raises(CommandError, match="--bind: expected HOST:PORT"):
        call_command("mail", "listen", "--bind", bind)


def test_listen_command_reports_a_port_in_use():
    with Listener(lambda raw, via: "", host="127.0.0.1", port=0) as busy, pytest.raises(CommandError) as failed:
        call_command("mail", "listen", "--bind", f"127.0.0.1:{busy.port}")
    assert f"cannot listen on 127.0.0.1:{busy.port}" in str(failed.value)


def test_fetch_command_needs_a_mailbox(settings):
    settings.TOWERS_IMAP_URL = ""
    with pytest.raises(CommandError, match="--url: give the mailbox"):
        call_command("mail", "fetch", "--url", "")
