"""The IMAP fetcher against a real IMAP server (pymap's in-memory backend, started per test on a free port)."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from towers.servicedesk.mail.imap import ImapTarget, fetch_unseen, parse_imap_url
from towers.servicedesk.models import InboundMail, Ticket
from towers.servicedesk.tests.mailfixtures import compose, eml

USER, PASSWORD = "desk", "s3cret:/@pass"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def imap() -> Iterator[ImapTarget]:
    port = _free_port()
    command = [sys.executable, "-c", "from pymap.main import main; main()", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--no-tls", "dict", "--demo-user", USER, "--demo-password", PASSWORD],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"pymap did not start: {server.stderr.read().decode() if server.stderr else ''}")
            time.sleep(0.05)
    try:
        yield ImapTarget(host="127.0.0.1", port=port, user=USER, password=PASSWORD, tls=False)
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def append(target: ImapTarget, raw: bytes, *, seen: bool = False) -> None:
    client = imaplib.IMAP4(target.host, target.port)
    client.login(target.user, target.password)
    status, _ = client.append("INBOX", r"(\Seen)" if seen else None, None, raw)
    assert status == "OK"
    client.logout()


def unseen_subjects(target: ImapTarget) -> list[str]:
    client = imaplib.IMAP4(target.host, target.port)
    client.login(target.user, target.password)
    client.select("INBOX", readonly=True)
    _, found = client.search(None, "UNSEEN")
    subjects = []
    for number in found[0].split():
        _, data = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects.append(data[0][1].decode().strip().removeprefix("Subject: "))
    client.logout()
    return subjects


@pytest.mark.slow
def test_unseen_messages_are_delivered_oldest_first_and_then_marked_seen(imap):
    append(imap, compose(subject="first"))
    append(imap, compose(subject="already read"), seen=True)
    append(imap, compose(subject="second"))
    delivered: list[bytes] = []
    report = fetch_unseen(imap, delivered.append)
    assert (report.found, report.delivered, report.failed) == (2, 2, 0)
    assert [b"Subject: first" in raw for raw in delivered] == [True, False]
    assert b"Subject: second" in delivered[1]
    assert unseen_subjects(imap) == []
    assert fetch_unseen(imap, delivered.append).found == 0  # nothing is delivered twice


@pytest.mark.slow
def test_a_message_whose_delivery_fails_stays_unseen_for_the_next_fetch(imap):
    append(imap, compose(subject="fine"))
    append(imap, compose(subject="boom"))

    def deliver(raw: bytes) -> None:
        if b"Subject: boom" in raw:
            raise RuntimeError("database is down")

    report = fetch_unseen(imap, deliver)
    assert (report.delivered, report.failed) == (1, 1)
    assert unseen_subjects(imap) == ["boom"]
    again = fetch_unseen(imap, lambda raw: None)
    assert (again.found, again.delivered) == (1, 1)


@pytest.mark.slow
def test_limit_leaves_the_rest_for_the_next_run(imap):
    for n in range(3):
        append(imap, compose(subject=f"m{n}"))
    assert fetch_unseen(imap, lambda raw: None, limit=2).delivered == 2
    assert unseen_subjects(imap) == ["m2"]


@pytest.mark.slow
def test_wrong_password_is_an_error_not_an_empty_mailbox(imap):
    wrong = ImapTarget(host=imap.host, port=imap.port, user=USER, password="nope", tls=False)
    with pytest.raises(imaplib.IMAP4.error):
        fetch_unseen(wrong, lambda raw: None)


@pytest.mark.slow
def test_fetch_command_files_mail_as_tickets_ignores_loops_and_quarantines_garbage(
    imap, transactional_db, desk, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    append(imap, eml("new_with_attachment.eml"))
    append(imap, eml("out_of_office.eml"))
    append(imap, b"Subject: nobody sent this\r\n\r\n?")
    url = f"imap://{USER}:s3cret%3A%2F%40pass@127.0.0.1:{imap.port}/INBOX"
    call_command("mail", "fetch", "--url", url)
    outcomes = sorted(InboundMail.objects.values_list("outcome", "via"))
    assert outcomes == [("created", "imap"), ("ignored", "imap"), ("quarantined", "imap")]
    assert Ticket.objects.get().attachments.count() == 1
    assert unseen_subjects(imap) == []


@pytest.mark.slow
def test_fetch_command_names_the_mailbox_but_not_the_password_when_it_fails(imap, transactional_db, desk):
    url = f"imap://{USER}:wrong-password@127.0.0.1:{imap.port}/INBOX"
    with pytest.raises(CommandError) as failed:
        call_command("mail", "fetch", "--url", url)
    assert f"imap://{USER}@127.0.0.1:{imap.port}/INBOX" in str(failed.value)
    assert "wrong-password" not in str(failed.value)


def test_imap_urls_parse_with_escapes_and_defaults():
    target = parse_imap_url("imaps://desk%40force.test:p%3Ass@mail.force.test/Service%20Desk")
    assert target == ImapTarget(
        host="mail.force.test", port=993, user="desk@force.test", password="p:ss", mailbox="Service Desk", tls=True
    )
    assert str(target) == "imaps://desk@force.test@mail.force.test:993/Service Desk"
    assert parse_imap_url("imap://u:p@localhost").port == 143
    assert parse_imap_url("imap://u:p@localhost").mailbox == "INBOX"


@pytest.mark.parametrize("url", ["pop3://u:p@host", "imaps://host/INBOX", "imaps://user@host", "imaps://u:p@/INBOX"])
def test_incomplete_imap_urls_are_refused(url):
    with pytest.raises(ValueError):
        parse_imap_url(url)
