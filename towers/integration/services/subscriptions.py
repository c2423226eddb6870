"""Writes on webhook subscriptions and their messages: each one permission-checked and audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.integration.models import WebhookMessage, WebhookSubscription
from towers.integration.targets import target_refusal
from towers.organisations.models import Organisation

MANAGE = "integration.manage_webhooks"
SUBSCRIPTION_FIELDS = ["name", "target_url", "event_patterns", "active"]


def _validate(*, name: str, target_url: str, event_patterns: list[str]) -> None:
    problems: dict[str, list[str]] = {}
    if not name.strip():
        problems["name"] = ["is required"]
    url = urlsplit(target_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        problems["target_url"] = ["must be an http or https URL"]
    elif refused := target_refusal(target_url):
        problems["target_url"] = [refused]
    if not event_patterns or not all(isinstance(p, str) and p.strip() for p in event_patterns):
        problems["event_patterns"] = ["must list at least one event name or pattern, e.g. servicedesk.ticket.*"]
    if problems:
        raise ValidationFailed(problems)


def webhook_subscription_create(
    *, actor: Actor, organisation: Organisation, name: str, target_url: str, event_patterns: list[str]
) -> tuple[WebhookSubscription, str]:
    """Subscribe `organisation` to events; returns the subscription and its signing secret (shown once)."""
    _validate(name=name, target_url=target_url, event_patterns=event_patterns)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    subscription = WebhookSubscription(
        organisation=organisation,
        name=name.strip(),
        target_url=target_url,
        secret=secret,
        event_patterns=[p.strip() for p in event_patterns],
    )
    ensure_can(actor, MANAGE, subscription)
    with transaction.atomic():
        subscription.save()
        audit.record(
            actor,
            "integration.webhook_subscription.created",
            subscription,
            after=audit.snapshot(subscription, SUBSCRIPTION_FIELDS),
        )
    return subscription, secret


def webhook_subscription_update(
    *, actor: Actor, subscription: WebhookSubscription, changes: dict[str, Any], expected_version: int | None = None
) -> WebhookSubscription:
    """Change a subscription's name, target, patterns or whether it is active (pausing keeps what it is owed)."""
    ensure_can(actor, MANAGE, subscription)
    unknown = sorted(set(changes) - set(SUBSCRIPTION_FIELDS))
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in unknown})
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in changes.items()}
    merged = {name: cleaned.get(name, getattr(subscription, name)) for name in SUBSCRIPTION_FIELDS}
    _validate(name=merged["name"], target_url=merged["target_url"], event_patterns=merged["event_patterns"])
    with transaction.atomic():
        before, after = apply_changes(subscription, cleaned, expected_version=expected_version)
        if after:
            audit.record(actor, "integration.webhook_subscription.updated", subscription, before=before, after=after)
    return subscription


def webhook_subscription_rotate_secret(
    *, actor: Actor, subscription: WebhookSubscription, overlap: timedelta = timedelta(hours=24)
) -> str:
    """A new signing secret, returned once; the old one keeps signing beside it for `overlap` (zero ends it now)
    so the receiver can deploy the new secret without refusing a single delivery."""
    ensure_can(actor, MANAGE, subscription)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    keeps_old = overlap > timedelta(0)
    changes = {
        "secret": secret,
        "previous_secret": subscription.secret if keeps_old else "",
        "previous_secret_expires_at": timezone.now() + overlap if keeps_old else None,
    }
    with transaction.atomic():
        apply_changes(subscription, changes)
        until = subscription.previous_secret_expires_at
        audit.record(  # (never the secrets themselves)
            actor,
            "integration.webhook_subscription.secret_rotated",
            subscription,
            after={"old_secret_valid_until": until.isoformat() if until else "now"},
        )
    return secret


def webhook_messages_replay(*, actor: Actor, messages: Iterable[WebhookMessage]) -> int:
    """Send dead messages again from a fresh attempt count; returns how many were dead and now wait to go."""
    replayed = 0
    with transaction.atomic():
        for message in messages:
            ensure_can(actor, MANAGE, message)
            if message.status != WebhookMessage.Status.DEAD:
                continue
            before = {"status": message.status, "attempts": message.attempts, "last_error": message.last_error}
            message.status, message.attempts, message.next_attempt_at = (
                WebhookMessage.Status.PENDING,
                0,
                timezone.now(),
            )
            message.save(update_fields=["status", "attempts", "next_attempt_at"])
            audit.record(
                actor,
                "integration.webhook_message.replayed",
                message,
                before=before,
                after={"status": message.status, "attempts": 0},
            )
            replayed += 1
    return replayed
