"""Intake bookkeeping: what could not be parsed (kept whole, with why), per-day counts, and evaluated events."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class QuarantinedEvent(TowersModel):
    """Input that could not be parsed (or published), kept byte for byte so it can be fixed and replayed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")  # the SOC's
    source = models.CharField(max_length=20)
    reason = models.TextField()
    raw = models.BinaryField()
    offset = models.BigIntegerField(null=True, blank=True)  # stream byte, file line, batch index or EVTX record
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "id"]
        indexes = [models.Index(fields=["organisation", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.source} quarantine: {self.reason[:80]}"


class IntakeCounter(models.Model):
    """Events accepted and quarantined per organisation, source and UTC day (bumped with F(), never read+write)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20)
    day = models.DateField()
    accepted = models.BigIntegerField(default=0)
    quarantined = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "source"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "source", "day"], name="one_intake_counter_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.source}: {self.accepted} accepted, {self.quarantined} quarantined"


class EvaluatedEvent(models.Model):
    """That one streamed event has been evaluated: written in the transaction of its results, so a redelivery
    after a worker crash is recognised and acknowledged without evaluating it twice."""

    event_id = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20)
    hits = models.JSONField(default=list)  # ids of the rules that matched
    worker = models.CharField(max_length=100)  # host:pid, so the share of each worker can be seen
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-evaluated_at"]

    def __str__(self) -> str:
        return f"{self.event_id[:12]} by {self.worker}: {len(self.hits)} hits"
