"""Domain events through a transactional outbox, delivered to in-process handlers by the worker.

`emit` writes the event in the caller's transaction, so a rolled-back change emits nothing. After
commit it nudges the worker with a task; the worker also sweeps on start, so events pending when a
worker died are delivered by the next one. Each handler's delivery is recorded, so a re-run never
runs a handler twice for one event, and events sharing a key are delivered in order.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from towers.core.models import OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)
Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
# Handlers for every event whose name starts with one of their prefixes (e.g. webhook fan-out).
_prefix_handlers: list[tuple[tuple[str, ...], Handler]] = []
MAX_BACKOFF = timedelta(hours=1)


def on(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for the event `name` (e.g. "organisations.membership.granted")."""

    def decorator(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return decorator


def on_any(*, prefixes: tuple[str, ...]) -> Callable[[Handler], Handler]:
    """Register a handler for every event whose name starts with one of `prefixes` ("" for all)."""

    def decorator(handler: Handler) -> Handler:
        if all(registered is not handler for _, registered in _prefix_handlers):
            _prefix_handlers.append((prefixes, handler))
        return handler

    return decorator


def handlers_for(name: str) -> list[Handler]:
    """The handlers of the event `name`: those registered for it, then the catch-all ones that match."""
    matching = [handler for prefixes, handler in _prefix_handlers if name.startswith(prefixes)]
    return [*_handlers.get(name, []), *matching]


def handler_name(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def emit(name: str, *, key: str = "", **payload: Any) -> OutboxEvent:
    """Write the event `name` into the outbox, inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.emit must be called inside the transaction that makes the change")
    event = OutboxEvent.objects.create(name=name, key=key, payload=payload)
    transaction.on_commit(_nudge_worker)
    return event


def emit_many(name: str, events: Iterable[tuple[str, dict[str, Any]]]) -> list[OutboxEvent]:
    """Write one event `name` per (key, payload), in order, inside the caller's transaction: one insert, one nudge."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events.emit_many must be called inside the transaction that makes the change")
    rows = OutboxEvent.objects.bulk_create(OutboxEvent(name=name, key=key, payload=payload) for key, payload in events)
    if rows:
        transaction.on_commit(_nudge_worker)
    return rows


def _nudge_worker() -> None:
    from django_tasks_db.models import DBTaskResult

    from towers.core.tasks import deliver_pending_events  # the task module imports this one

    try:
        # A delivery run that has not started yet will see this event too; one queued run is enough.
        waiting = DBTaskResult.objects.ready().filter(task_path=deliver_pending_events.module_path)
        if not waiting.exists():
            deliver_pending_events.enqueue()
    except Exception:  # the sweep on worker start still delivers it; never fail the user's request
        logger.exception("could not enqueue event delivery")


def _deliver_one(event: OutboxEvent) -> None:
    done = set(event.deliveries.values_list("handler", flat=True))
    for handler in handlers_for(event.name):
        name = handler_name(handler)
        if name in done:
            continue
        with transaction.atomic():
            handler(event)
            OutboxDelivery.objects.create(event=event, handler=name)


def deliver_pending(*, limit: int = 500) -> int:
    """Deliver up to `limit` due events in id order; return how many were completed."""
    now = timezone.now()
    due = OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING, next_attempt_at__lte=now)
    held_keys: set[str] = set()
    delivered = 0
    for event_id, key in due.values_list("id", "key")[:limit]:
        if key and key in held_keys:
            continue
        with transaction.atomic():
            event = (
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, status=OutboxEvent.Status.PENDING)
                .first()
            )
            if event is None:  # another worker has it, or it is done
                if key:  # its successors wait until it is done, so events of one key never overtake it
                    held_keys.add(key)
                continue
            try:
                _deliver_one(event)
            except Exception as exc:
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                event.next_attempt_at = now + min(timedelta(seconds=2**event.attempts), MAX_BACKOFF)
                event.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.warning("event %s (%s) failed: %s", event.id, event.name, event.last_error)
                if key:
                    held_keys.add(key)
                continue
            event.status, event.delivered_at = OutboxEvent.Status.DELIVERED, timezone.now()
            event.attempts += 1
            event.save(update_fields=["status", "delivered_at", "attempts"])
            delivered += 1
    return delivered


def pending_count() -> int:
    """Events committed but not yet delivered to every handler: the backlog operators watch."""
    return OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).count()


def deliver_all_pending() -> int:
    """Deliver until nothing due is left (each batch is bounded, so one slow run cannot starve)."""
    total = 0
    while (count := deliver_pending()) > 0:
        total += count
    return total
