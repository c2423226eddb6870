"""Sending owed webhook messages: signed, retried with back-off, in order per (subscription, ordering key).

Concurrency: a worker claims a batch of due messages in one short transaction (SELECT ... FOR UPDATE SKIP
LOCKED on PostgreSQL; on SQLite the IMMEDIATE transaction's write lock serialises claims), counting the
attempt and pushing `next_attempt_at` out by a lease. The HTTP calls happen outside any transaction, so no
lock is held while a receiver is slow; a worker that dies mid-pass leaves the lease to expire and the next
worker sends again with the same Idempotency-Key. Outcomes are recorded only if the attempt is still the
worker's (attempts unchanged), so a worker whose lease ran out cannot overwrite another's result.

Ordering: a message is sent only when no earlier message of its subscription and key is pending or dead.
A dead message holds its key until it is replayed: a receiver never sees ticket updates out of order, and
an operator sees one dead message per stuck ticket rather than a gap.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from towers.integration.models import WebhookMessage
from towers.integration.signing import backoff_seconds, sign
from towers.integration.targets import target_refusal

Status = WebhookMessage.Status


@dataclass(frozen=True)
class DeliveryOptions:
    max_attempts: int = 8
    timeout: float = 10.0
    lease: float = 60.0  # longer than one send can take (timeout plus margin)
    backoff_base: float = 10.0
    backoff_cap: float = 3600.0

    def __post_init__(self) -> None:
        if self.lease <= self.timeout + 1:
            raise ValueError("the lease must outlast one send: lease > timeout + 1 second")

    @classmethod
    def from_settings(cls) -> DeliveryOptions:
        return cls(
            max_attempts=getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8),
            timeout=getattr(settings, "WEBHOOK_TIMEOUT", 10.0),
            lease=getattr(settings, "WEBHOOK_LEASE", 60.0),
            backoff_base=getattr(settings, "WEBHOOK_BACKOFF_BASE", 10.0),
            backoff_cap=getattr(settings, "WEBHOOK_BACKOFF_CAP", 3600.0),
        )


@dataclass
class DeliveryRun:
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryRun) -> None:
        self.sent += other.sent
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead


def message_body(message: WebhookMessage) -> bytes:
    if message.subscription.flavour == "tmf621":  # a TMF621 listener takes the notification itself, no envelope
        return json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
    return json.dumps(
        {
            "id": str(message.idempotency_key),
            "event": message.event_name,
            "key": message.ordering_key,
            "occurred_at": message.created_at.isoformat(),
            "data": message.payload,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def _first_in_key() -> Q:
    earlier = WebhookMessage.objects.filter(
        subscription=OuterRef("subscription"),
        ordering_key=OuterRef("ordering_key"),
        id__lt=OuterRef("id"),
        status__in=[Status.PENDING, Status.DEAD],
    )
    return Q(ordering_key="") | Q(~Exists(earlier))


def due_messages(*, now: datetime | None = None) -> QuerySet[WebhookMessage]:
    """Pending messages whose time has come and that are first in their key: what may be sent now.
    A paused subscription's messages wait (in order) until it is resumed."""
    return WebhookMessage.objects.filter(
        _first_in_key(), status=Status.PENDING, next_attempt_at__lte=now or timezone.now(), subscription__active=True
    ).order_by("id")


def _claim(*, limit: int, options: DeliveryOptions) -> list[WebhookMessage]:
    """Take up to `limit` due heads for this worker: their lease starts now and their attempt is counted.

    PostgreSQL: rows another worker is claiming are skipped (SKIP LOCKED). SQLite: transactions begin
    IMMEDIATE (settings), so claims are serialised by the write lock and the second one sees the lease.
    """
    now = timezone.now()
    with transaction.atomic():
        heads = list(
            due_messages(now=now)
            .select_related("subscription")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        if heads:
            WebhookMessage.objects.filter(pk__in=[m.pk for m in heads]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=options.lease)
            )
    for message in heads:
        message.attempts += 1
    return heads


def honoured_old_secrets(message: WebhookMessage) -> list[str]:
    """The subscription's rotated-out secret while it still signs (see webhook_subscription_rotate_secret)."""
    subscription = message.subscription
    expires = subscription.previous_secret_expires_at
    return (
        [subscription.previous_secret] if subscription.previous_secret and expires and expires > timezone.now() else []
    )


def _send(client: httpx.Client, message: WebhookMessage, options: DeliveryOptions) -> tuple[int | None, str]:
    body = message_body(message)
    headers = {
        "Content-Type": "application/json",
        "Towers-Signature": sign(message.subscription.secret, body, int(time.time()), *honoured_old_secrets(message)),
        "Idempotency-Key": str(message.idempotency_key),
        "Towers-Event": message.event_name,
        "User-Agent": "Towers-Webhooks/1",
    }
    refused = target_refusal(message.subscription.target_url)
    if refused:
        return None, f"Refused: {refused}"
    try:
        response = client.post(message.subscription.target_url, content=body, headers=headers, timeout=options.timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:2000]
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}: {response.text[:500]}"


def _held(messages: list[WebhookMessage]) -> QuerySet[WebhookMessage]:
    """Those of `messages` whose claimed attempt is still this worker's (a lease that ran out lost them)."""
    condition = Q()
    for message in messages:
        condition |= Q(pk=message.pk, attempts=message.attempts)
    return WebhookMessage.objects.filter(condition, status=Status.PENDING)


def _record_failure(message: WebhookMessage, http_status: int | None, error: str, options: DeliveryOptions) -> str:
    fields: dict[str, object] = {"last_status": http_status, "last_error": error}
    if message.attempts >= options.max_attempts:
        outcome = Status.DEAD
        fields["status"] = outcome
    else:
        outcome = Status.PENDING
        delay = backoff_seconds(message.attempts, base=options.backoff_base, cap=options.backoff_cap)
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=delay)
    _held([message]).update(**fields)
    return str(outcome)


def _record_delivered(sent: list[tuple[WebhookMessage, int]]) -> None:
    by_status: dict[int, list[WebhookMessage]] = defaultdict(list)
    for message, http_status in sent:
        by_status[http_status].append(message)
    now = timezone.now()
    for http_status, messages in by_status.items():
        _held(messages).update(status=Status.DELIVERED, delivered_at=now, last_status=http_status, last_error="")


def webhooks_deliver_due(
    *, client: httpx.Client | None = None, options: DeliveryOptions | None = None, limit: int = 100
) -> DeliveryRun:
    """One pass: claim the due heads (at most one per key), send each, record the outcomes.

    Successes are recorded together at the end of the pass (one UPDATE, not one per message): a worker
    killed mid-pass leaves them to be sent again with the same Idempotency-Key, which receivers dedupe.
    """
    options = options or DeliveryOptions.from_settings()
    run = DeliveryRun()
    heads = _claim(limit=limit, options=options)
    if not heads:
        return run
    own_client = client is None
    client = client or httpx.Client(timeout=options.timeout)
    # Stop sending while the lease still covers one more send, so that no other worker can have taken them.
    send_until = time.monotonic() + options.lease - options.timeout - 1
    delivered: list[tuple[WebhookMessage, int]] = []
    try:
        for index, message in enumerate(heads):
            if index and time.monotonic() > send_until:
                _held(heads[index:]).update(attempts=F("attempts") - 1, next_attempt_at=timezone.now())
                break
            http_status, error = _send(client, message, options)
            run.sent += 1
            if not error and http_status is not None:
                delivered.append((message, http_status))
            elif _record_failure(message, http_status, error, options) == Status.DEAD:
                run.dead += 1
            else:
                run.failed += 1
    finally:
        _record_delivered(delivered)
        run.delivered += len(delivered)
        if own_client:
            client.close()
    return run


def webhooks_deliver_all(*, client: httpx.Client | None = None, options: DeliveryOptions | None = None) -> DeliveryRun:
    """Passes until nothing is due (messages backing off wait for a later run)."""
    options = options or DeliveryOptions.from_settings()
    total = DeliveryRun()
    own_client = client is None
    client = client or httpx.Client(timeout=options.timeout)
    try:
        while (run := webhooks_deliver_due(client=client, options=options)).sent:
            total.add(run)
    finally:
        if own_client:
            client.close()
    return total


def next_due_at() -> datetime | None:
    """When the earliest pending message may be tried again (None when nothing is pending)."""
    first = WebhookMessage.objects.filter(status=Status.PENDING).order_by("next_attempt_at").first()
    return first.next_attempt_at if first else None
