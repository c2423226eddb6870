"""Base model, the hash-chained audit log and the transactional outbox."""

import uuid

from django.db import models
from django.utils import timezone


class TowersModel(models.Model):
    """Every record: a UUID, timestamps and a version that services bump on each change (ETag)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class AuditEntry(models.Model):
    """One attributed change. Rows are only ever appended; each carries the hash of the one before."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=200)
    person_id = models.UUIDField(null=True, blank=True, db_index=True)
    token_id = models.UUIDField(null=True, blank=True)
    job = models.CharField(max_length=100, blank=True)
    organisation_id = models.UUIDField(null=True, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=10)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"


class AuditHead(models.Model):
    """The chain's tip. Locking this one row serialises appends, so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at #{self.seq}"


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it describes."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    # Events that share a key (e.g. one ticket) are delivered in order; a failure holds back the rest.
    key = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at", "id"])]

    def __str__(self) -> str:
        return f"{self.name} #{self.id}"


class OutboxDelivery(models.Model):
    """That one handler has handled one event: a re-run after a crash skips it (exactly once per handler)."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="one_delivery_per_handler")]

    def __str__(self) -> str:
        return f"{self.event} → {self.handler}"
