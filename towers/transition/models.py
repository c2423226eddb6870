"""Supplier transitions: services moving from an outgoing supplier to an incoming one on a date, and what apply did."""

from django.db import models
from django.utils import timezone

from towers.contracts.models import Service
from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class Transition(TowersModel):
    """A planned move of services between suppliers; dry-run first, then applied once (by hand or when due)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        DRY_RUN = "dry_run", "Dry-run done"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200)
    outgoing = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transitions_out")
    incoming = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transitions_in")
    effective_at = models.DateTimeField(help_text="From this instant the incoming supplier holds the work.")
    services = models.ManyToManyField(Service, related_name="transitions")
    # Outgoing team code → incoming team code: where each outgoing team's tickets, queues and CIs go.
    team_mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    # The last dry run's report, and the version it was computed against (apply refuses a stale one).
    dry_run_report = models.JSONField(default=dict, blank=True)
    dry_run_version = models.PositiveIntegerField(null=True, blank=True)
    dry_run_at = models.DateTimeField(null=True, blank=True)
    # Apply asked for before the effective date: the worker applies it when due, on behalf of this person.
    scheduled_at = models.DateTimeField(null=True, blank=True)
    scheduled_by = models.CharField(max_length=200, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.CharField(max_length=200, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-effective_at"]
        indexes = [models.Index(fields=["status", "effective_at"], name="transition_due")]

    def __str__(self) -> str:
        return self.name


class TransitionStep(models.Model):
    """One change apply made (a ticket re-homed, a rule re-pointed…), with the object as it was and became."""

    id = models.BigAutoField(primary_key=True)
    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=40)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_repr}"
