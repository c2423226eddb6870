"""What the reporting app stores: exit data packs (the packs themselves are files under MEDIA_ROOT)."""

from django.db import models

from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Person, Tower


class ExitPack(TowersModel):
    """Everything recorded about an outgoing supplier's services, as one ZIP of JSON and CSV with checksums.

    It is built by the worker within the visibility of whoever asked for it, so the requester and the
    organisation acting for them are kept to rebuild that view when the job runs.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="exit_packs")
    requested_by_label = models.CharField(max_length=200)
    requested_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requester_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job = models.CharField(max_length=100, blank=True, help_text="The system job that asked for it (CLI), if any.")
    channel = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Tickets opened and periods measured within these dates; blank: from the start, or until now.
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    file = models.FileField(upload_to="exit-packs/%Y/", blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows per part: {tickets: n, cis: n, …}.")
    manifest = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["supplier", "created_at"])]

    def __str__(self) -> str:
        return f"Exit pack of {self.supplier} ({self.get_status_display()})"


class PackSubscription(TowersModel):
    """A person's monthly service review pack (a supplier's, a tower's, or the estate's when neither), emailed on
    the subscription's day of the month as the formats it names."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pack_subscriptions")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", help_text="The organisation they read it for."
    )
    supplier = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tower = models.ForeignKey(
        Tower, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="A tower's pack."
    )
    formats = models.JSONField(default=list, help_text="pdf and/or xlsx")
    day_of_month = models.PositiveSmallIntegerField(default=3)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["person__username", "created_at"]

    def __str__(self) -> str:
        return f"{self.person} — {self.supplier or self.tower or 'the estate'}"


class PackDelivery(models.Model):
    """One month's pack sent to one subscription (or refused, with why): never twice."""

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(PackSubscription, on_delete=models.CASCADE, related_name="deliveries")
    month = models.DateField()
    status = models.CharField(max_length=10, help_text="sending, sent or refused")
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="one_pack_a_month")]

    def __str__(self) -> str:
        return f"{self.subscription} {self.month:%Y-%m} {self.status}"
