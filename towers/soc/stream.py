"""NATS JetStream plumbing for SOC event intake: one durable stream, one shared pull consumer for detection workers.

Intake publishes each accepted event with `Nats-Msg-Id` set to the event's hash, so a publish retried after a lost
acknowledgement is dropped by the server within the duplicate window. Workers pull from the durable consumer
"detectors" (explicit ack), so several share the load and a message a dead worker held is redelivered after
`ack_wait`; a worker acknowledges a batch only after its handler has committed, and the handler recognises a
redelivered event it already evaluated (EvaluatedEvent), which together make evaluation exactly-once.

nats-py is asyncio-only; intake and the Django ORM are synchronous, so the client runs on its own event loop thread
and handlers run on one worker thread (the ORM refuses to run inside a running event loop).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from towers.soc.intake.event import Event, Source

STREAM = "TOWERS_EVENTS"
SUBJECTS = "towers.events"
DURABLE = "detectors"
T = TypeVar("T")


@dataclass(frozen=True)
class StreamSettings:
    """Where the stream lives and how its consumer redelivers; tests use their own names and a short ack_wait."""

    url: str
    stream: str = STREAM
    subjects: str = SUBJECTS  # events go to `<subjects>.<source>`; the stream holds `<subjects>.>`
    durable: str = DURABLE
    ack_wait: float = 30.0  # seconds a worker may hold a message before it is redelivered to another
    max_deliver: int = 5  # after this many failed attempts the worker quarantines the event instead
    duplicate_window: float = 120.0
    max_age: float = 7 * 24 * 3600.0  # kept a week after evaluation, for replay


@dataclass(frozen=True)
class StreamEvent:
    """An accepted event as it travels through the stream: its hash, the SOC it belongs to and the event."""

    event_id: str
    organisation_id: UUID
    event: Event
    deliveries: int = 1  # how many times the stream has handed it out (more than 1: a redelivery)


def event_hash(organisation_id: UUID, event: Event, position: int) -> str:
    """The event's identity: same SOC, source, receipt time, position in its batch and bytes → same id."""
    raw = event.raw.encode("utf-8", "surrogateescape") if isinstance(event.raw, str) else event.raw
    digest = hashlib.sha256(f"{organisation_id}|{event.source}|{event.received_at.isoformat()}|{position}|".encode())
    digest.update(raw)
    return digest.hexdigest()


def encode(item: StreamEvent) -> bytes:
    event = item.event
    raw = event.raw
    doc = {
        "id": item.event_id,
        "organisation": str(item.organisation_id),
        "source": event.source,
        "received_at": event.received_at.isoformat(),
        "fields": event.fields,
        # bytes survive JSON as base64; text stays readable
        "raw": base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw,
        "raw_b64": isinstance(raw, bytes),
    }
    return json.dumps(doc, separators=(",", ":"), default=str).encode()


def decode(data: bytes, deliveries: int = 1) -> StreamEvent:
    doc = json.loads(data)
    raw = base64.b64decode(doc["raw"]) if doc.get("raw_b64") else doc["raw"]
    source: Source = doc["source"]
    event = Event(doc["fields"], source, datetime.fromisoformat(doc["received_at"]), raw)
    return StreamEvent(doc["id"], UUID(doc["organisation"]), event, deliveries)


async def ensure_stream(js: JetStreamContext, settings: StreamSettings) -> None:
    """Create (or bring up to date) the stream and its durable consumer; safe to run from every process."""
    config = StreamConfig(
        name=settings.stream,
        subjects=[f"{settings.subjects}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        duplicate_window=settings.duplicate_window,
        max_age=settings.max_age,
    )
    try:
        await js.stream_info(settings.stream)
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)
    await js.add_consumer(
        settings.stream,
        ConsumerConfig(
            durable_name=settings.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=settings.ack_wait,
            max_deliver=settings.max_deliver,
            max_ack_pending=10_000,
        ),
    )


class _LoopThread:
    """An event loop on a daemon thread, for synchronous callers."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Publisher:
    """A connection for publishing from synchronous code (web requests, the listener, file ingest)."""

    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        self._loop = _LoopThread("nats-publisher")
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock = threading.Lock()

    async def _connect(self) -> JetStreamContext:
        if self._js is None:
            self._nc = await nats.connect(self.settings.url, connect_timeout=5, max_reconnect_attempts=3)
            self._js = self._nc.jetstream()
            await ensure_stream(self._js, self.settings)
        return self._js

    async def _publish(self, items: list[StreamEvent]) -> int:
        js = await self._connect()
        acks = await asyncio.gather(
            *(
                js.publish(
                    f"{self.settings.subjects}.{item.event.source}",
                    encode(item),
                    stream=self.settings.stream,
                    headers={"Nats-Msg-Id": item.event_id},
                    timeout=10,
                )
                for item in items
            )
        )
        return sum(1 for ack in acks if ack.duplicate)

    def publish(self, items: list[StreamEvent]) -> int:
        """Publish and wait for the stream's acknowledgements; returns how many the server dropped as duplicates."""
        with self._lock:
            return self._loop.run(self._publish(items)) if items else 0

    def close(self) -> None:
        if self._nc is not None:
            self._loop.run(self._nc.close())
        self._loop.stop()


_publishers: dict[StreamSettings, Publisher] = {}
_publishers_lock = threading.Lock()


def publisher(settings: StreamSettings) -> Publisher:
    """One publishing connection per process and stream."""
    with _publishers_lock:
        if settings not in _publishers:
            _publishers[settings] = Publisher(settings)
        return _publishers[settings]


Handler = Callable[[list[StreamEvent]], None]
Poison = Callable[[bytes, str], None]


@dataclass
class ConsumeStats:
    batches: int = 0
    messages: int = 0
    redelivered: int = 0
    failed: int = 0
    poisoned: int = 0
    errors: list[str] = field(default_factory=list)


async def _consume(
    handler: Handler,
    settings: StreamSettings,
    batch: int,
    idle_exit: float | None,
    stop: threading.Event,
    poison: Poison,
    stats: ConsumeStats,
) -> None:
    nc = await nats.connect(settings.url, connect_timeout=5)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detector")
    loop = asyncio.get_running_loop()
    try:
        js = nc.jetstream()
        await ensure_stream(js, settings)
        sub = await js.pull_subscribe(f"{settings.subjects}.>", durable=settings.durable, stream=settings.stream)
        idle = 0.0
        while not stop.is_set() and (idle_exit is None or idle < idle_exit):
            try:
                msgs = await sub.fetch(batch, timeout=1)
            except (NatsTimeout, TimeoutError):  # nats-py raises either, depending on where the wait ended
                idle += 1
                continue
            idle = 0.0
            await _handle(msgs, handler, settings, poison, stats, loop, executor)
    finally:
        executor.shutdown(wait=True)
        await nc.close()


async def _handle(
    msgs: list[Msg],
    handler: Handler,
    settings: StreamSettings,
    poison: Poison,
    stats: ConsumeStats,
    loop: asyncio.AbstractEventLoop,
    executor: ThreadPoolExecutor,
) -> None:
    items: list[StreamEvent] = []
    good: list[Msg] = []
    for msg in msgs:
        deliveries = msg.metadata.num_delivered
        try:
            items.append(decode(msg.data, deliveries))
            good.append(msg)
        except (ValueError, KeyError, TypeError) as exc:  # not ours to evaluate, but never dropped silently
            await loop.run_in_executor(executor, poison, msg.data, f"undecodable stream message: {exc}")
            stats.poisoned += 1
            await msg.ack()
    stats.batches += 1
    stats.messages += len(msgs)
    stats.redelivered += sum(1 for item in items if item.deliveries > 1)
    try:
        await loop.run_in_executor(executor, handler, items)
    except Exception as exc:
        stats.failed += len(good)
        stats.errors.append(f"{type(exc).__name__}: {exc}")
        for msg, item in zip(good, items, strict=True):
            if item.deliveries >= settings.max_deliver:  # the stream gives up after this: quarantine it
                await loop.run_in_executor(executor, poison, msg.data, f"detection failed {item.deliveries}x: {exc}")
                stats.poisoned += 1
                await msg.term()
            else:
                await msg.nak(delay=1)
        return
    for msg in good:  # only now: the handler's transaction has committed
        await msg.ack()


def consume(
    handler: Handler,
    *,
    settings: StreamSettings,
    poison: Poison,
    batch: int = 100,
    idle_exit: float | None = None,
    stop: threading.Event | None = None,
) -> ConsumeStats:
    """Pull batches from the shared consumer and hand them to `handler` until `stop` is set (or the stream has been
    idle for `idle_exit` seconds); each batch is acknowledged only after `handler` returned."""
    stats = ConsumeStats()
    asyncio.run(_consume(handler, settings, batch, idle_exit, stop or threading.Event(), poison, stats))
    return stats


def stream_delete(settings: StreamSettings) -> None:
    """Remove the stream and its consumers (tests, and resetting a lab)."""

    async def run() -> None:
        nc = await nats.connect(settings.url, connect_timeout=5)
        try:
            await nc.jetstream().delete_stream(settings.stream)
        except NotFoundError:
            pass
        finally:
            await nc.close()

    asyncio.run(run())
