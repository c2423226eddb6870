"""How the desk is configured: categories, the priority matrix, routing rules and desk-wide settings."""

from datetime import timedelta

from django.db import models

from towers.cmdb.models import CLASS_CHOICES, ConfigurationItem
from towers.contracts.models import Service
from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Team


class ReferenceCounter(models.Model):
    """The last number used for a reference prefix (INC, REQ…); its row lock hands out numbers in order."""

    prefix = models.CharField(max_length=5, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.value}"


class Category(TowersModel):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kinds = models.JSONField(default=list, blank=True, help_text="Ticket kinds it applies to; empty for all.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PriorityRule(TowersModel):
    """One cell of the impact × urgency matrix."""

    impact = models.PositiveSmallIntegerField()
    urgency = models.PositiveSmallIntegerField()
    priority = models.CharField(max_length=4)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="one_priority_per_cell")]

    def __str__(self) -> str:
        return f"impact {self.impact} × urgency {self.urgency} → {self.priority}"


class AssignmentRule(TowersModel):
    """Route matching tickets to a team; the most specific matching rule (then the lowest order) wins."""

    order = models.PositiveIntegerField(default=100)
    name = models.CharField(max_length=120)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("servicedesk.Category", null=True, blank=True, on_delete=models.CASCADE)
    ci = models.ForeignKey(ConfigurationItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ci_class = models.CharField(max_length=40, choices=CLASS_CHOICES, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assignment_rules")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class DeskSettings(TowersModel):
    """Desk-wide settings; there is one row, created with defaults on first use."""

    desk_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation running the service desk: party to every ticket.",
    )
    triage_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    desk_service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Its end-to-end service levels apply to every ticket, whatever its service.",
    )
    reopen_window = models.DurationField(default=timedelta(days=10))
    ping_pong_threshold = models.PositiveSmallIntegerField(
        default=3, help_text="Hand-offs between the same two organisations that flag a ticket as ping-pong."
    )
    major_update_cadence = models.DurationField(default=timedelta(minutes=30))
    attachment_max_bytes = models.PositiveIntegerField(default=10 * 1024 * 1024)
    attachment_types = models.JSONField(
        default=list, blank=True, help_text="Allowed content types; e.g. image/*, application/pdf, text/plain."
    )
    resolution_codes = models.JSONField(default=list, blank=True)
    close_after = models.DurationField(default=timedelta(days=5), help_text="Resolved tickets close after this.")

    class Meta:
        verbose_name_plural = "desk settings"
