"""An SMTP or LMTP listener (aiosmtpd) that hands every accepted message to `deliver`, in a worker thread.

It answers 250 only after `deliver` has stored the message, and 451 (try again later) if storing
failed, so the sending MTA keeps the mail until it is safely recorded: nothing is lost in between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger(__name__)

# (raw message, "smtp" or "lmtp") -> a word for the log, e.g. the outcome.
Deliver = Callable[[bytes, str], str]
# Base64 makes attachments a third larger; this leaves room for the desk's largest allowed attachments.
DATA_SIZE_LIMIT = 40 * 1024 * 1024


class DeskHandler:
    """aiosmtpd handler: accept mail for the desk's addresses, deliver it, answer per RFC 5321 / RFC 2033."""

    def __init__(
        self, deliver: Deliver, *, via: str, accept: Collection[str] = (), executor: Executor | None = None
    ) -> None:
        self.deliver = deliver
        self.via = via
        self.accept = {address.lower() for address in accept}
        self.executor = executor

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.accept and address.lower() not in self.accept:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if not raw.lower().startswith(b"return-path:"):
            # We are the final delivery, which records the envelope sender (RFC 5321 4.4); <> marks a bounce.
            raw = f"Return-Path: <{envelope.mail_from or ''}>\r\n".encode() + raw
        try:
            # Storing blocks (the database), so it runs beside the event loop, not in it.
            outcome = await asyncio.get_running_loop().run_in_executor(self.executor, self.deliver, raw, self.via)
        except Exception:
            logger.exception("could not store a message from %s", envelope.mail_from)
            status = "451 4.3.0 The message could not be stored; try again later"
        else:
            logger.info("mail from %s via %s: %s", envelope.mail_from, self.via, outcome)
            status = "250 2.0.0 Message accepted"
        if self.via == "lmtp":
            # LMTP answers once for each recipient accepted; the message is stored once for all of them.
            return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))
        return status


class _Controller(Controller):
    """aiosmtpd's threaded controller, speaking LMTP when asked and able to bind port 0 (tests)."""

    def __init__(self, handler: DeskHandler, *, lmtp: bool, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.lmtp = lmtp

    def factory(self) -> SMTP:
        return (LMTP if self.lmtp else SMTP)(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        if isinstance(self.server, asyncio.Server) and self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Listener:
    """Listen on host:port in a background thread; `with Listener(...) as listener:` or start() / stop()."""

    def __init__(
        self,
        deliver: Deliver,
        *,
        host: str = "127.0.0.1",
        port: int = 8025,
        lmtp: bool = False,
        accept: Collection[str] = (),
        server_hostname: str | None = None,
        data_size_limit: int = DATA_SIZE_LIMIT,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mail-deliver")
        self.handler = DeskHandler(deliver, via="lmtp" if lmtp else "smtp", accept=accept, executor=self._executor)
        self._controller = _Controller(
            self.handler,
            lmtp=lmtp,
            hostname=host,
            port=port,
            server_hostname=server_hostname,
            data_size_limit=data_size_limit,
        )

    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> Listener:
        try:
            self._controller.start()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise
        return self

    def stop(self) -> None:
        self._controller.stop()
        self._executor.shutdown(wait=True)  # deliveries in progress finish; their threads end

    def __enter__(self) -> Listener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parse_bind(bind: str) -> tuple[str, int]:
    """("127.0.0.1", 8025) from "127.0.0.1:8025"; "[::1]:25" for IPv6."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected HOST:PORT, not {bind!r}")
    return host.strip("[]"), int(port)
