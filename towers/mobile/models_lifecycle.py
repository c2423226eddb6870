"""What a device's lifecycle sets in motion: where losses and swaps go (per owner), the tickets raised for a
device's steps, loss reports, and the evidence that a device's data was destroyed before it left service.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from towers.contracts.models import Service
from towers.core.models import TowersModel
from towers.mobile.models import Device, SimCard
from towers.organisations.models import Organisation, Person, Team
from towers.servicedesk.models import Ticket
from towers.soc.models import SecurityCase


class MobileSettings(TowersModel):
    """One owner's routing for its fleet: the teams and services a loss, a swap or a repair goes to."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="mobile_settings")
    incident_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="For loss incidents."
    )
    loss_impact = models.PositiveSmallIntegerField(default=2, help_text="1 high … 3 low")
    loss_urgency = models.PositiveSmallIntegerField(default=1, help_text="1 high … 3 low")
    wipe_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    wipe_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Its levels time wipes."
    )
    line_teams = models.ManyToManyField(Team, blank=True, related_name="+", help_text="One per network operator.")
    line_service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    logistics_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Courier and collection."
    )
    repair_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lifecycle_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Swaps and repairs."
    )
    security_organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The SOC that opens a case when a device holding police data is lost or stolen.",
    )
    refresh_after_months = models.PositiveSmallIntegerField(default=36)
    support_warning_days = models.PositiveSmallIntegerField(
        default=90, help_text="Refresh devices whose model's security updates end within this many days."
    )

    class Meta:
        verbose_name_plural = "mobile settings"

    def __str__(self) -> str:
        return f"Mobile settings of {self.organisation}"


class LossKind(models.TextChoices):
    LOST = "lost", "Lost"
    STOLEN = "stolen", "Stolen"


class LossReport(TowersModel):
    """A device reported lost or stolen, and what the report raised."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="losses")
    kind = models.CharField(max_length=10, choices=LossKind.choices)
    status_before = models.CharField(max_length=10, help_text="The device's status before the report.")
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When it went missing, if known.")
    location = models.CharField(max_length=300, blank=True)
    circumstances = models.TextField(blank=True)
    crime_reference = models.CharField(max_length=60, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reported_by = models.CharField(max_length=200)
    on_behalf = models.BooleanField(default=False, help_text="Reported by the service desk for the person.")
    incident = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    security_case = models.ForeignKey(SecurityCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    found_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.device}"


class TaskPurpose(models.TextChoices):
    WIPE = "wipe", "Remote wipe and lock"
    BAR_LINE = "bar_line", "Bar the line"
    COURIER = "courier", "Deliver and collect"
    REPAIR = "repair", "Repair"
    REFRESH = "refresh", "Refresh"


class DeviceTask(models.Model):
    """A ticket raised for one step of a device's life; when it is done the device (or SIM) follows."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="tasks")
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="device_task")
    purpose = models.CharField(max_length=10, choices=TaskPurpose.choices)
    sim = models.ForeignKey(SimCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    loss = models.ForeignKey(LossReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    replacement = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True, help_text="What the step needs when done, e.g. a swap's reason.")
    raised_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, blank=True, help_text="done or cancelled, once finished.")

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["device", "purpose"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.device}"


class WipeMethod(models.TextChoices):
    REMOTE_WIPE = "remote_wipe", "Remote wipe through the MDM"
    FACTORY_RESET = "factory_reset", "Factory reset, verified"
    CERTIFIED_ERASURE = "certified_erasure", "Certified erasure (e.g. NCSC-assured product)"
    DESTRUCTION = "destruction", "Physical destruction"


class WipeEvidence(TowersModel):
    """Proof that a device's data was destroyed: how, when, by whom, and the certificate or task that shows it."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="wipe_evidence")
    method = models.CharField(max_length=20, choices=WipeMethod.choices)
    performed_at = models.DateTimeField()
    performed_by = models.CharField(max_length=200, help_text="The engineer or the erasure company.")
    certificate = models.CharField(max_length=200, blank=True, help_text="The erasure certificate's reference.")
    document = models.FileField(upload_to="mobile/wipe/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the document, as received.")
    task = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["-performed_at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} of {self.device} on {self.performed_at:%Y-%m-%d}"
