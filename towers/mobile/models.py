"""Mobile services: officers' phones and tablets, their SIMs and lines, accessories, and the compliance rules the
fleet is held to. Each device is also a CI (class mobile_device) in the CMDB, so what an outage or a loss breaks
is answered the same way as for any other asset; the device row holds what only mobile services need.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Person, Team


class Platform(models.TextChoices):
    IOS = "ios", "iOS / iPadOS"
    ANDROID = "android", "Android"
    WINDOWS = "windows", "Windows"
    OTHER = "other", "Other"


class DeviceStatus(models.TextChoices):
    IN_STOCK = "in_stock", "In stock"
    ISSUED = "issued", "Issued"
    IN_REPAIR = "in_repair", "In repair"
    LOST = "lost", "Lost"
    STOLEN = "stolen", "Stolen"
    RETIRED = "retired", "Retired"


class Ownership(models.TextChoices):
    CORPORATE = "corporate", "Corporate"
    LEASED = "leased", "Leased"
    PERSONAL = "personal", "Personal (BYOD)"


class Compliance(models.TextChoices):
    UNKNOWN = "unknown", "Not evaluated"
    COMPLIANT = "compliant", "Compliant"
    NON_COMPLIANT = "non_compliant", "Non-compliant"


class Device(TowersModel):
    """One phone or tablet: what it is, whose it is, who carries it, and what its MDM last said about it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", help_text="Owner.")
    supplier = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Mobile supplier."
    )
    ci = models.OneToOneField(ConfigurationItem, null=True, blank=True, on_delete=models.PROTECT, related_name="device")
    imei = models.CharField(max_length=15, blank=True, db_index=True)
    serial = models.CharField(max_length=60, blank=True, db_index=True)
    mdm_id = models.CharField(max_length=100, blank=True, db_index=True, help_text="The MDM's own device id.")
    name = models.CharField(max_length=200, blank=True, help_text="The MDM's device name.")
    make = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True)
    platform = models.CharField(max_length=10, choices=Platform.choices, default=Platform.OTHER)
    os_version = models.CharField(max_length=40, blank=True)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, default=Ownership.CORPORATE)
    status = models.CharField(max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.IN_STOCK)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices")
    holds_police_data = models.BooleanField(default=True)
    encrypted = models.BooleanField(null=True, blank=True)
    passcode = models.BooleanField(null=True, blank=True)
    jailbroken = models.BooleanField(null=True, blank=True)
    last_check_in = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    purchased_on = models.DateField(null=True, blank=True)
    end_of_support = models.DateField(null=True, blank=True, help_text="The model's end of security updates.")
    compliance = models.CharField(max_length=14, choices=Compliance.choices, default=Compliance.UNKNOWN)
    compliance_reasons = models.JSONField(default=list, blank=True)
    compliance_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "imei"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["compliance", "status"]),
            models.Index(fields=["team", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.make} {self.model} {self.imei or self.serial}".strip()


class SimCard(TowersModel):
    """A SIM and its line: the network operator runs the line, and bars it when the device is lost."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        BARRED = "barred", "Barred"
        CANCELLED = "cancelled", "Cancelled"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", help_text="Owner.")
    operator = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    iccid = models.CharField(max_length=22, unique=True)
    msisdn = models.CharField(max_length=20, blank=True, db_index=True)
    tariff = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="sims")
    barred_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["iccid"]

    def __str__(self) -> str:
        return self.msisdn or self.iccid


class Accessory(TowersModel):
    """A case, charger, cradle or body-worn mount issued with a device or to a person."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=60)
    serial = models.CharField(max_length=60, blank=True)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="accessories")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.IN_STOCK)

    class Meta:
        ordering = ["kind", "serial"]
        verbose_name_plural = "accessories"

    def __str__(self) -> str:
        return f"{self.kind} {self.serial}".strip()


class ComplianceRule(TowersModel):
    """One rule the fleet is held to, evaluated on every import; a breach can raise a ticket to the supplier."""

    class Kind(models.TextChoices):
        OS_FLOOR = "os_floor", "OS version at least"
        ENCRYPTION = "encryption", "Storage encrypted"
        PASSCODE = "passcode", "Passcode set"
        CHECK_IN_AGE = "check_in_age", "Checked in within (days)"
        JAILBREAK = "jailbreak", "Not jailbroken or rooted"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    platform = models.CharField(max_length=10, choices=Platform.choices, blank=True, help_text="Blank: every one.")
    value = models.CharField(max_length=40, blank=True, help_text="The OS floor (e.g. 17.4) or the days.")
    raises_ticket = models.BooleanField(default=False)
    ticket_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeviceEvent(models.Model):
    """A device's own history: imported, issued, swapped, sent for repair, reported lost, wiped, retired …"""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=30)
    actor_label = models.CharField(max_length=200)
    status = models.CharField(max_length=10, blank=True, help_text="The device's status after it.")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket_id = models.UUIDField(null=True, blank=True, help_text="The ticket it raised or came from.")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["device", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.device_id} {self.at:%Y-%m-%d}"


class MdmImport(TowersModel):
    """One run of an MDM export through the import: what was read, what it would or did change, row by row."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # A large file runs in the worker: what it needs to run as the person who sent it.
    supplier = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    support_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    upload = models.FileField(upload_to="mobile/imports/%Y/%m/", blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acting_for = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The sender's."
    )
    error = models.TextField(blank=True)
    filename = models.CharField(max_length=255)
    source_format = models.CharField(max_length=20, help_text="intune-csv, intune-json, csv, json …")
    mapping = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Rows processed so far (progress).")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    non_compliant = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=list, blank=True)
    started_by = models.CharField(max_length=200)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"


# The lifecycle's models live beside these; imported here so Django finds them with the app's models.
from towers.mobile.models_lifecycle import (  # noqa: E402
    DeviceTask,
    LossKind,
    LossReport,
    MobileSettings,
    TaskPurpose,
    WipeEvidence,
    WipeMethod,
)

__all__ = [
    "Accessory", "Compliance", "ComplianceRule", "Device", "DeviceEvent", "DeviceStatus", "DeviceTask", "LossKind",
    "LossReport", "MdmImport", "MobileSettings", "Ownership", "Platform", "SimCard", "TaskPurpose", "WipeEvidence",
    "WipeMethod",
]  # fmt: skip
