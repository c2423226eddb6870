"""Major incidents: the bridge, stakeholder updates on a cadence, and the post-incident review's actions."""

from django.db import models

from towers.core.models import TowersModel
from towers.organisations.models import Person


class MajorIncident(TowersModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        REVIEWED = "reviewed", "Reviewed"

    ticket = models.OneToOneField("servicedesk.Ticket", on_delete=models.PROTECT, related_name="major")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    manager = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    declared_by = models.CharField(max_length=200)
    declared_at = models.DateTimeField()
    bridge = models.TextField(blank=True, help_text="Dial-in, meeting link, channel.")
    cadence = models.DurationField()
    next_update_due = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the manager was last reminded of an overdue update."
    )
    stakeholders = models.JSONField(default=list, blank=True, help_text="Email addresses told of each update.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    review = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-declared_at"]
        indexes = [models.Index(fields=["status", "next_update_due"], name="major_update_due")]

    def __str__(self) -> str:
        return f"major incident {self.ticket_id}"


class StakeholderUpdate(TowersModel):
    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField()
    sent_by = models.CharField(max_length=200)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"update by {self.sent_by} at {self.created_at:%Y-%m-%d %H:%M}"


class ReviewAction(TowersModel):
    """An action from the post-incident review; it becomes a problem or a change to be followed there."""

    major = models.ForeignKey(MajorIncident, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    becomes = models.CharField(max_length=10, help_text="problem or change")
    ticket = models.ForeignKey("servicedesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.becomes}: {self.description[:60]}"
