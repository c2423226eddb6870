"""Mail in and notifications out: what arrived (and what was done with it), and what people were told."""

from django.db import models
from django.utils import timezone

from towers.organisations.models import Person


class InboundMail(models.Model):
    """Every message received, kept with its outcome so nothing is dropped silently."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Created a ticket"
        COMMENTED = "commented", "Commented on a ticket"
        IGNORED = "ignored", "Ignored (auto-reply or loop)"
        QUARANTINED = "quarantined", "Quarantined"

    id = models.BigAutoField(primary_key=True)
    received_at = models.DateTimeField(default=timezone.now)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", help_text="The desk it came to."
    )
    via = models.CharField(max_length=10, help_text="smtp, lmtp or imap")
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    sender = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    ticket = models.ForeignKey("servicedesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raw = models.BinaryField()

    class Meta:
        ordering = ["-received_at"]
        # The loop guard counts one sender's recent mail on every message.
        indexes = [models.Index(fields=["sender", "received_at"], name="inbound_sender_recent")]

    def __str__(self) -> str:
        return f"{self.via} mail from {self.sender}: {self.subject} ({self.outcome})"


class Notification(models.Model):
    """A message to a person or an address: shown in the app and, where there is an address, emailed."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    team = models.ForeignKey(
        "organisations.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    email = models.EmailField(blank=True)
    ticket = models.ForeignKey("servicedesk.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    template = models.CharField(max_length=60)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["person", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.subject
