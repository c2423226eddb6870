"""Outbound webhooks: who subscribes to which domain events, and each message owed to a subscriber."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class WebhookSubscription(TowersModel):
    """An organisation's endpoint for domain events whose names match its patterns (e.g. "servicedesk.ticket.*")."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    name = models.CharField(max_length=200)
    target_url = models.URLField(max_length=500)
    # Shown once when the subscription is created; kept to sign each message (HMAC needs the key itself).
    secret = models.CharField(max_length=100)
    # After a rotation the old secret also signs, until it expires, so the receiver can switch without a gap.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    event_patterns = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # "towers" posts Towers' own event envelope; "tmf621" a TMF621 hub listener's notification (TroubleTicket…Event).
    flavour = models.CharField(
        max_length=10, choices=[("towers", "Towers"), ("tmf621", "TMF621 hub")], default="towers"
    )
    # TMF621 hub `query` as registered (e.g. "eventType=TroubleTicketStateChangeEvent"); empty for all.
    query = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookMessage(models.Model):
    """One event owed to one subscriber; messages sharing (subscription, ordering key) are sent in id order."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        DEAD = "dead"

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="messages")
    # The outbox event's uuid: the receiver's Idempotency-Key, the same on every retry.
    idempotency_key = models.UUIDField()
    event_name = models.CharField(max_length=100)
    ordering_key = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Also the lease of a send in flight: a worker that dies mid-send frees the message when it passes.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "idempotency_key"], name="one_message_per_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"], name="webhook_due"),
            models.Index(fields=["subscription", "ordering_key", "id"], name="webhook_order"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} → {self.subscription_id} #{self.id}"


from towers.integration.models_monitoring import MonitoringAlert  # noqa: E402, F401  (Alertmanager intake)
from towers.integration.models_partners import (  # noqa: E402, F401  (supplier e-bonding)
    ExternalIdentifier,
    FieldMapping,
    PartnerIntegration,
    PartnerMessage,
    StateMapping,
    TicketBond,
)
