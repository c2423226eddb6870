"""Security cases: the investigation grouping related alerts, with its tasks, observables, notes and timeline."""

from django.db import models
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import ServiceLevel
from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Person
from towers.soc.models.alerts import Severity


class Tlp(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber_strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class Pap(models.TextChoices):
    CLEAR = "clear", "PAP:CLEAR"
    GREEN = "green", "PAP:GREEN"
    AMBER = "amber", "PAP:AMBER"
    RED = "red", "PAP:RED"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS)


class SecurityCase(TowersModel):
    reference = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=15, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=15, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    tlp = models.CharField(max_length=15, choices=Tlp.choices, default=Tlp.AMBER)
    pap = models.CharField(max_length=15, choices=Pap.choices, default=Pap.AMBER)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # MTTD = alerted_at - detected_at, MTTA = acknowledged_at - alerted_at, MTTR = resolved_at - opened_at.
    detected_at = models.DateTimeField(null=True, blank=True, help_text="The first event's own time.")
    alerted_at = models.DateTimeField(null=True, blank=True, help_text="The first alert's first_seen.")
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "servicedesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="security_cases"
    )
    ci = models.ForeignKey(ConfigurationItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["organisation", "status", "opened_at"], name="case_queue")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class CaseTask(TowersModel):
    case = models.ForeignKey(SecurityCase, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=300)
    done = models.BooleanField(default=False)
    assignee = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.title


class ObservableType(models.TextChoices):
    IP = "ip", "IP address"
    HOST = "host", "Host"
    USER = "user", "User"
    HASH = "hash", "File hash"
    DOMAIN = "domain", "Domain"
    URL = "url", "URL"


class Observable(TowersModel):
    case = models.ForeignKey(SecurityCase, on_delete=models.CASCADE, related_name="observables")
    type = models.CharField(max_length=10, choices=ObservableType.choices)
    value = models.CharField(max_length=1000)
    tlp = models.CharField(max_length=15, choices=Tlp.choices, default=Tlp.AMBER)
    pap = models.CharField(max_length=15, choices=Pap.choices, default=Pap.AMBER)
    source = models.CharField(max_length=100, blank=True, help_text="The event field it came from, or 'analyst'.")

    class Meta:
        ordering = ["type", "value"]
        constraints = [models.UniqueConstraint(fields=["case", "type", "value"], name="one_observable_per_case")]
        indexes = [models.Index(fields=["type", "value"], name="observable_lookup")]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


class CaseNote(TowersModel):
    case = models.ForeignKey(SecurityCase, on_delete=models.CASCADE, related_name="notes")
    author = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class CaseEvent(models.Model):
    """One line of a case's timeline."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(SecurityCase, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30)
    actor_label = models.CharField(max_length=200)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at", "id"], name="case_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class CaseClock(models.Model):
    """One service level's clock on one security case (respond or resolve, target by the case's severity)."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(SecurityCase, on_delete=models.CASCADE, related_name="clocks")
    service_level = models.ForeignKey(ServiceLevel, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=15)
    state = models.CharField(max_length=12)
    target_seconds = models.FloatField(null=True, blank=True)
    elapsed_seconds = models.FloatField(default=0)
    percent = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    stopped_at = models.DateTimeField(null=True, blank=True)
    warned = models.PositiveSmallIntegerField(default=0, help_text="The highest warning sent: 50, 75, 90, 100.")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["case", "metric", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "service_level"], name="one_clock_per_case_level")]
        indexes = [models.Index(fields=["state", "due_at"], name="case_clock_due")]

    def __str__(self) -> str:
        return f"{self.name}: {self.percent}%"
