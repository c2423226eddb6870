"""Intake writes: accept parsed events (to the stream, or to in-process detection), keep quarantines, count both;
and the detection side's exactly-once evaluation of what the stream delivers."""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from towers.core import audit
from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation
from towers.soc.intake.event import Event, Quarantined
from towers.soc.models.intake import EvaluatedEvent, IntakeCounter, QuarantinedEvent
from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.events import prepare
from towers.soc.stream import StreamEvent, StreamSettings, event_hash, publisher

Detector = Callable[[list[StreamEvent]], object]
HitHandler = Callable[[StreamEvent, list[CompiledRule]], None]
BatchHandler = Callable[[list[StreamEvent]], None]

_local_detector: Detector | None = None


def detector_attach(detector: Detector | None) -> None:
    """In-process detection to use instead of the default when no stream is configured; None detaches it."""
    global _local_detector
    _local_detector = detector


_default: Detector | None = None


def _default_detector() -> Detector:
    """Without a stream, intake evaluates in its own process with the SOC's live rules (built on first use)."""
    global _default
    if _default is None:
        from towers.soc.services.detection import Detection

        _default = Detection(Actor.system("soc-detect"))
    return _default


def stream_settings() -> StreamSettings | None:
    url = getattr(settings, "TOWERS_NATS_URL", "")
    return StreamSettings(url=url) if url else None


@dataclass
class IntakeResult:
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0  # events the stream had already taken (a retried publish)
    reasons: list[tuple[int | None, str]] = field(default_factory=list)  # (offset, reason) of each quarantine


def _raw_bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")


def events_accept(
    *,
    actor: Actor,
    events: list[Event],
    quarantined: list[Quarantined],
    organisation: Organisation,
    stream: StreamSettings | None = None,
) -> IntakeResult:
    """Hand parsed events to detection and keep what could not be parsed, counted per source and day.

    Events go to the JetStream stream (`stream`, else `TOWERS_NATS_URL`), or, when none is configured, straight to
    detection in this process (the attached detector, else the SOC's live rules). If detection cannot take them they
    are quarantined with that reason rather than lost. One audit entry records the whole batch, not one per event:
    intake runs at tens of thousands of events a second and every audit append serialises on the chain's head row,
    so per-event entries would cap intake at the audit log's speed and bury the log in machine traffic; the events
    themselves are kept by the stream, and the entry says who submitted how many of which source.
    """
    ensure_can(actor, "soc.intake.submit", organisation)
    stream = stream or stream_settings()
    items = [StreamEvent(event_hash(organisation.pk, e, i), organisation.pk, e) for i, e in enumerate(events)]
    quarantined = list(quarantined)
    result = IntakeResult()
    # Published before the bookkeeping commits: should the commit fail, events are evaluated but uncounted, which
    # is better than counted and lost; the stream's duplicate window absorbs the caller's retry.
    if items:
        try:
            if stream is not None:
                result.duplicates = publisher(stream).publish(items)
            else:
                (_local_detector or _default_detector())(items)
        except Exception as exc:  # the stream is down or detection broke: keep every event, say why
            reason = f"not handed to detection: {type(exc).__name__}: {exc}"
            quarantined += [Quarantined(reason, e.raw, e.source, i) for i, e in enumerate(events)]
            items = []
    result.accepted = len(items)
    result.quarantined = len(quarantined)
    result.reasons = [(q.offset, q.reason) for q in quarantined]
    accepted = Counter(item.event.source for item in items)
    held = Counter(q.source for q in quarantined)
    if not accepted and not held:
        return result
    now = datetime.now(UTC)
    with transaction.atomic():
        QuarantinedEvent.objects.bulk_create(
            QuarantinedEvent(
                organisation=organisation,
                source=q.source,
                reason=q.reason,
                raw=_raw_bytes(q.raw),
                offset=q.offset,
                received_at=now,
            )
            for q in quarantined
        )
        for source in sorted(set(accepted) | set(held)):
            _count(organisation, source, now, accepted[source], held[source])
        audit.record(
            actor,
            "soc.events.accepted",
            organisation,
            after={"accepted": dict(accepted), "quarantined": dict(held), "duplicates": result.duplicates},
        )
    return result


def _count(organisation: Organisation, source: str, now: datetime, accepted: int, quarantined: int) -> None:
    """Add to the day's counter in the database (F()), so concurrent intake processes never lose an increment."""
    lookup = {"organisation": organisation, "source": source, "day": now.date()}
    bump = {"accepted": F("accepted") + accepted, "quarantined": F("quarantined") + quarantined}
    if IntakeCounter.objects.filter(**lookup).update(**bump):
        return
    try:
        with transaction.atomic():
            IntakeCounter.objects.create(**lookup, accepted=accepted, quarantined=quarantined)
    except IntegrityError:  # another process created today's row first
        IntakeCounter.objects.filter(**lookup).update(**bump)


def stream_message_quarantine(*, organisation: Organisation, data: bytes, reason: str) -> QuarantinedEvent:
    """A stream message detection could not handle, kept with the reason (the stream stops redelivering it)."""
    now = datetime.now(UTC)
    with transaction.atomic():
        row = QuarantinedEvent.objects.create(
            organisation=organisation, source="stream", reason=reason, raw=data, received_at=now
        )
        _count(organisation, "stream", now, 0, 1)
    return row


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class Evaluation:
    evaluated: int = 0
    skipped: int = 0  # already evaluated: redelivered after a worker died between commit and acknowledgement
    hits: int = 0


def events_evaluate(
    *,
    engine: Engine,
    items: Iterable[StreamEvent],
    on_hits: HitHandler | None = None,
    on_batch: BatchHandler | None = None,
    worker: str = "",
) -> Evaluation:
    """Evaluate each event not evaluated before, recording it in the transaction of its results (exactly once).

    Two workers may hold the same event when one overran `ack_wait`; the unique event id then makes one of the
    two transactions fail, and the retry finds the event done and skips it.
    """
    items = list(items)
    worker = worker or worker_name()
    for _attempt in range(3):
        try:
            return _evaluate_once(engine, items, on_hits, on_batch, worker)
        except IntegrityError:
            continue
    return _evaluate_once(engine, items, on_hits, on_batch, worker)


def _evaluate_once(
    engine: Engine, items: list[StreamEvent], on_hits: HitHandler | None, on_batch: BatchHandler | None, worker: str
) -> Evaluation:
    outcome = Evaluation()
    with transaction.atomic():
        done = set(
            EvaluatedEvent.objects.filter(event_id__in=[i.event_id for i in items]).values_list("event_id", flat=True)
        )
        rows: list[EvaluatedEvent] = []
        for item in items:
            if item.event_id in done:
                outcome.skipped += 1
                continue
            done.add(item.event_id)
            rules = engine.evaluate(prepare(item.event.fields))
            if rules and on_hits is not None:
                on_hits(item, rules)
            outcome.hits += len(rules)
            rows.append(
                EvaluatedEvent(
                    event_id=item.event_id,
                    organisation_id=item.organisation_id,
                    source=item.event.source,
                    hits=[rule.id for rule in rules],
                    worker=worker,
                )
            )
        EvaluatedEvent.objects.bulk_create(rows)
        outcome.evaluated = len(rows)
        fresh = {row.event_id for row in rows}
        if on_batch is not None and fresh:
            on_batch([item for item in items if item.event_id in fresh])
    return outcome


def alert_hits(actor: Actor) -> HitHandler:
    """Raise an alert for each hit whose rule the event's SOC runs (a DetectionRule); other hits are kept only in
    EvaluatedEvent.hits, since a SOC that has not taken a rule on has not asked for its alerts."""
    from towers.soc.models import DetectionRule
    from towers.soc.services.alerts import alert_raise

    cache: dict[tuple[UUID, str], Any] = {}

    def handle(item: StreamEvent, rules: list[CompiledRule]) -> None:
        for compiled in rules:
            key = (item.organisation_id, compiled.id)
            if key not in cache:
                cache[key] = DetectionRule.objects.filter(organisation_id=key[0], rule_id=key[1]).first()
            rule = cache[key]
            if rule is not None:
                alert_raise(actor=actor, rule=rule, events=[item.event.fields])

    return handle


def intel_hits(actor: Actor) -> BatchHandler:
    """Match each batch's new events against the threat intelligence of the SOC they came to."""
    from towers.organisations.models import Organisation
    from towers.soc.services.intel import intel_alerts

    def handle(items: list[StreamEvent]) -> None:
        by_organisation: dict[UUID, list[dict[str, Any]]] = {}
        for item in items:
            by_organisation.setdefault(item.organisation_id, []).append(dict(item.event.fields))
        for organisation in Organisation.objects.filter(pk__in=list(by_organisation)):
            intel_alerts(actor=actor, organisation=organisation, events=by_organisation[organisation.pk])

    return handle
