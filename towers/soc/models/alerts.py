"""Detections turned into work: the rules a SOC runs (with its tuning), the alerts they raise and suppressions."""

from django.db import models
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class Severity(models.TextChoices):
    INFORMATIONAL = "informational", "Informational"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class RuleKind(models.TextChoices):
    DETECTION = "detection", "Detection"
    CORRELATION = "correlation", "Correlation"


class DetectionRule(TowersModel):
    """A Sigma rule as one SOC runs it: on or off, with its exceptions (event filters that tune out noise)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    rule_id = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    level = models.CharField(max_length=15, choices=Severity.choices, default=Severity.MEDIUM)
    tags = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=12, choices=RuleKind.choices, default=RuleKind.DETECTION)
    enabled = models.BooleanField(default=True)
    source_path = models.CharField(max_length=500, blank=True)
    custom_text = models.TextField(blank=True, help_text="The YAML of a rule written in Towers.")
    # [{"field": "User", "value": "svc_backup", "reason": "..."}]: an event matching one raises no alert.
    exceptions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["organisation", "rule_id"], name="one_rule_per_soc")]

    def __str__(self) -> str:
        return self.title


class AlertStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SUPPRESSED = "suppressed", "Suppressed"
    CLOSED = "closed", "Closed"


class Alert(TowersModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(DetectionRule, on_delete=models.PROTECT, related_name="alerts")
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=15, choices=Severity.choices)
    tactics = models.JSONField(default=list, blank=True)
    techniques = models.JSONField(default=list, blank=True)
    events = models.JSONField(default=list, blank=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    host = models.CharField(max_length=255, blank=True)
    user = models.CharField(max_length=255, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    detected_at = models.DateTimeField(null=True, blank=True, help_text="The first matching event's own time.")
    count = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=15, choices=AlertStatus.choices, default=AlertStatus.NEW)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    suppressed_until = models.DateTimeField(null=True, blank=True)
    ci = models.ForeignKey(ConfigurationItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey(
        "soc.SecurityCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )

    class Meta:
        ordering = ["-last_seen"]
        indexes = [
            models.Index(fields=["organisation", "status", "last_seen"], name="alert_queue"),
            models.Index(fields=["fingerprint", "last_seen"], name="alert_dedup"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.count})"


class Suppression(TowersModel):
    """Alerts of `rule` whose events carry `field` = `value` are not raised until `until` (counted in `hits`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(DetectionRule, on_delete=models.CASCADE, related_name="suppressions")
    field = models.CharField(max_length=100)
    value = models.CharField(max_length=500)
    until = models.DateTimeField()
    reason = models.TextField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-until"]

    def __str__(self) -> str:
        return f"{self.field}={self.value} until {self.until:%Y-%m-%d %H:%M}"
