"""A syslog receiver on UDP and TCP that hands every parsed event or quarantine to a callback.

The callback runs on the event loop thread and must be quick (append to a queue, publish to the stream); parsing a
line costs microseconds, so one loop keeps up with the intake target before worker processes are needed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from towers.soc.intake.cef import parse_cef
from towers.soc.intake.event import Event, Quarantined, Result
from towers.soc.intake.leef import parse_leef
from towers.soc.intake.syslog import MAX_FRAME, Deframer, parse_syslog

Callback = Callable[[Result], None]


def parse_frame(frame: bytes, *, received_at: datetime | None = None) -> Result:
    """A syslog message, or the CEF/LEEF record it carries."""
    for marker, parse in ((b"CEF:", parse_cef), (b"LEEF:", parse_leef)):
        if frame.find(marker, 0, 512) >= 0:  # it sits right after the syslog header, never deep in the message
            result = parse(frame, received_at=received_at)
            if isinstance(result, Quarantined):
                # Plain text that merely mentions "CEF:" is a syslog message; a body that starts with it is bad CEF.
                fallback = parse_syslog(frame, received_at=received_at)
                if isinstance(fallback, Event) and not fallback.fields["message"].startswith(marker.decode()):
                    return fallback
            return result
    return parse_syslog(frame, received_at=received_at)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, callback: Callback) -> None:
        self.callback = callback

    def datagram_received(self, data: bytes, addr: Any) -> None:
        # One datagram is one message (RFC 5426); senders still add LF or NUL trailers, which the parser drops.
        self.callback(parse_frame(data, received_at=datetime.now(UTC)))


class _Tcp(asyncio.Protocol):
    def __init__(self, callback: Callback, max_frame: int) -> None:
        self.callback = callback
        self.deframer = Deframer(max_frame)

    def data_received(self, data: bytes) -> None:
        self._deliver(self.deframer.feed(data))

    def connection_lost(self, exc: Exception | None) -> None:
        self._deliver(self.deframer.close())

    def _deliver(self, frames: list[bytes | Quarantined]) -> None:
        received_at = datetime.now(UTC)
        for frame in frames:
            self.callback(frame if isinstance(frame, Quarantined) else parse_frame(frame, received_at=received_at))


class SyslogListener:
    """Listens on a UDP and a TCP port (0 picks free ones, read back from `udp_port`/`tcp_port`)."""

    def __init__(self, callback: Callback, *, host: str = "127.0.0.1", udp_port: int = 0, tcp_port: int = 0,
                 max_frame: int = MAX_FRAME) -> None:  # fmt: skip
        self.callback, self.host, self.max_frame = callback, host, max_frame
        self.udp_port, self.tcp_port = udp_port, tcp_port
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self.callback), local_addr=(self.host, self.udp_port)
        )
        self.udp_port = self._udp.get_extra_info("sockname")[1]
        self._tcp = await loop.create_server(lambda: _Tcp(self.callback, self.max_frame), self.host, self.tcp_port)
        self.tcp_port = self._tcp.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()


class ThreadedSyslogListener:
    """The listener on its own event loop thread, for synchronous callers (tests, a management command)."""

    def __init__(self, callback: Callback, **options: Any) -> None:
        self.listener = SyslogListener(callback, **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="syslog-listener", daemon=True)

    def __enter__(self) -> SyslogListener:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.listener.start(), self._loop).result(timeout=10)
        return self.listener

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.listener.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
