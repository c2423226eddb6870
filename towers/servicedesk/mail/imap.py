"""Fetch unseen messages from an IMAP mailbox (stdlib imaplib), deliver each, and only then mark it seen.

A message whose delivery raised stays unseen, so the next fetch tries it again; nothing is moved or
deleted. Delivery itself never rejects content: what cannot be made into work is quarantined by it.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)
Deliver = Callable[[bytes], object]


@dataclass(frozen=True)
class ImapTarget:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    tls: bool = True

    def __str__(self) -> str:  # never the password
        return f"{'imaps' if self.tls else 'imap'}://{self.user}@{self.host}:{self.port}/{self.mailbox}"


@dataclass
class FetchReport:
    found: int = 0
    delivered: int = 0
    failed: int = 0


def parse_imap_url(url: str) -> ImapTarget:
    """imaps://user:password@host:993/INBOX (TLS) or imap://… (plain, for a local server); %-escape specials."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ValueError("the IMAP URL must start imaps:// (or imap:// for a local server)")
    if not parts.hostname or not parts.username or parts.password is None:
        raise ValueError("the IMAP URL needs a user, a password and a host: imaps://user:password@host/INBOX")
    tls = parts.scheme == "imaps"
    return ImapTarget(
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=tls,
    )


def _connect(target: ImapTarget, timeout: float) -> imaplib.IMAP4:
    if target.tls:
        return imaplib.IMAP4_SSL(target.host, target.port, ssl_context=ssl.create_default_context(), timeout=timeout)
    return imaplib.IMAP4(target.host, target.port, timeout=timeout)


def _check(response: tuple[str, Sequence[object]], doing: str) -> list[object]:
    status, data = response[0], list(response[1])
    if status != "OK":
        raise imaplib.IMAP4.error(f"{doing}: {status} {data!r}")
    return data


def _message_bytes(data: list[object]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and b"BODY[]" in item[0].upper():
            return bytes(item[1])
    return None


def fetch_unseen(target: ImapTarget, deliver: Deliver, *, limit: int = 500, timeout: float = 60) -> FetchReport:
    """Deliver up to `limit` unseen messages, oldest first; mark each \\Seen once it is delivered."""
    report = FetchReport()
    client = _connect(target, timeout)
    try:
        _check(client.login(target.user, target.password), "LOGIN")
        mailbox = target.mailbox if target.mailbox.isalnum() else '"' + target.mailbox.replace('"', r"\"") + '"'
        _check(client.select(mailbox), f"SELECT {target.mailbox}")
        found = _check(client.uid("SEARCH", "UNSEEN"), "SEARCH UNSEEN")
        uids = found[0].decode().split() if found and isinstance(found[0], bytes) else []
        report.found = len(uids)
        for uid in uids[:limit]:
            # PEEK leaves the message unseen until it is delivered.
            raw = _message_bytes(_check(client.uid("FETCH", uid, "(BODY.PEEK[])"), f"FETCH {uid}"))
            if raw is None:
                logger.warning("IMAP message %s had no body in the FETCH response", uid)
                report.failed += 1
                continue
            try:
                deliver(raw)
            except Exception:
                logger.exception("could not store IMAP message %s; it stays unseen", uid)
                report.failed += 1
                continue
            _check(client.uid("STORE", uid, "+FLAGS", r"(\Seen)"), f"STORE {uid}")
            report.delivered += 1
        client.close()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return report
