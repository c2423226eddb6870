"""`towers mail listen [--bind HOST:PORT] [--lmtp]` and `towers mail fetch [--url imaps://…]`: mail into the desk."""

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from towers.servicedesk.mail.imap import fetch_unseen, parse_imap_url
from towers.servicedesk.mail.listener import Listener, parse_bind
from towers.servicedesk.services.inbound import mail_deliver


class Command(BaseCommand):
    help = "Receive mail for the service desk: listen for SMTP/LMTP, or fetch unseen mail from IMAP."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listen = sub.add_parser("listen", help="Accept mail by SMTP (or LMTP from a local MTA) until stopped.")
        listen.add_argument("--bind", default=settings.TOWERS_MAIL_LISTEN, help="HOST:PORT (TOWERS_MAIL_LISTEN).")
        listen.add_argument("--lmtp", action="store_true", help="Speak LMTP (RFC 2033), for delivery from an MTA.")
        listen.add_argument(
            "--accept",
            action="append",
            default=None,
            help="A recipient address to accept (repeatable; default: TOWERS_DESK_ADDRESS). '*' accepts any.",
        )
        fetch = sub.add_parser("fetch", help="Fetch unseen mail from an IMAP mailbox, file it, mark it seen.")
        fetch.add_argument("--url", default=settings.TOWERS_IMAP_URL, help="imaps://user:pass@host:993/INBOX.")
        fetch.add_argument("--limit", type=int, default=500, help="At most this many messages a run.")
        fetch.add_argument("--every", type=int, default=0, help="Keep fetching, every this many seconds.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "listen":
            self._listen(options["bind"], options["lmtp"], options["accept"])
        else:
            self._fetch(options["url"], options["limit"], options["every"])

    def _listen(self, bind: str, lmtp: bool, accept: list[str] | None) -> None:
        try:
            host, port = parse_bind(bind)
        except ValueError as exc:
            raise CommandError(f"--bind: {exc}") from None
        addresses = accept or [settings.TOWERS_DESK_ADDRESS]
        listener = Listener(mail_deliver, host=host, port=port, lmtp=lmtp, accept=[] if "*" in addresses else addresses)
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
        try:
            listener.start()
        except OSError as exc:
            raise CommandError(f"cannot listen on {bind}: {exc}") from None
        who = "any address" if "*" in addresses else ", ".join(addresses)
        self.stdout.write(
            f"Listening for {'LMTP' if lmtp else 'SMTP'} on {host}:{listener.port} for {who}. Ctrl+C stops."
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            listener.stop()

    def _fetch(self, url: str, limit: int, every: int) -> None:
        if not url:
            raise CommandError("--url: give the mailbox (or set TOWERS_IMAP_URL), e.g. imaps://user:pass@host/INBOX")
        try:
            target = parse_imap_url(url)
        except ValueError as exc:
            raise CommandError(f"--url: {exc}") from None
        while True:
            try:
                report = fetch_unseen(target, lambda raw: mail_deliver(raw, "imap"), limit=limit)
            except OSError as exc:  # imaplib's errors and socket errors alike
                if not every:
                    raise CommandError(f"{target}: {exc}") from None
                self.stderr.write(f"{target}: {exc}")
            except Exception as exc:
                if not every:
                    raise CommandError(f"{target}: {exc}") from None
                self.stderr.write(f"{target}: {exc}")
            else:
                self.stdout.write(
                    f"{target}: {report.found} unseen, {report.delivered} filed, {report.failed} left for next time."
                )
                if report.failed and not every:
                    raise CommandError(f"{report.failed} messages could not be filed; they stay unseen.")
            if not every:
                return
            time.sleep(every)
