"""Monitoring alerts received from Prometheus Alertmanager: one row per alert episode, linked to its incident."""

from django.db import models
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class MonitoringAlert(TowersModel):
    """One firing episode of one alert (its fingerprint and start): repeats count on it, its resolution ends it.

    Alertmanager keeps an alert's fingerprint (a hash of its labels) and its start while it fires, re-sends it every
    repeat interval, and sends it once more as resolved; an alert that fires again later starts a new episode.
    """

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FIRING)
    severity = models.CharField(max_length=30, blank=True)
    target = models.CharField(max_length=255, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    generator_url = models.URLField(max_length=1000, blank=True)
    received = models.PositiveIntegerField(default=1, help_text="Notifications received for this episode.")
    last_received_at = models.DateTimeField(default=timezone.now)
    ci = models.ForeignKey(ConfigurationItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(
        "servicedesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="monitoring_alerts"
    )

    class Meta:
        ordering = ["-last_received_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "fingerprint", "starts_at"], name="one_alert_episode")
        ]
        indexes = [models.Index(fields=["organisation", "status", "last_received_at"], name="monitoring_queue")]

    def __str__(self) -> str:
        return f"{self.name} on {self.target or '?'} ({self.status})"
