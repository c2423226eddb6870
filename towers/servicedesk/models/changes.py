"""Changes: standard templates, the change's plans and schedule, approvals (also used by requests) and freezes."""

from django.db import models

from towers.contracts.models import Service
from towers.core.models import TowersModel
from towers.organisations.models import Person, Team


class ChangeType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class ApprovalState(models.TextChoices):
    NOT_REQUESTED = "not_requested", "Not requested"
    REQUESTED = "requested", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ApprovalRule(models.TextChoices):
    """How a change's approvals add up (chosen when it is submitted, from its type and risk)."""

    ALL = "all", "Every approver"
    MAJORITY = "majority", "A majority of approvers"
    ANY = "any", "Any one approver"


class Outcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    PARTIAL = "partial", "Partially successful"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"


class ChangeTemplate(TowersModel):
    """A pre-approved standard change: raising one from it skips the CAB."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    implementation_plan = models.TextField()
    backout_plan = models.TextField()
    test_plan = models.TextField(blank=True)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.LOW)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChangeDetail(models.Model):
    ticket = models.OneToOneField(
        "servicedesk.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="change_detail"
    )
    change_type = models.CharField(max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL)
    template = models.ForeignKey(ChangeTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    risk_answers = models.JSONField(default=dict, blank=True)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    implementation_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    justification = models.TextField(blank=True, help_text="Why the change is needed, and what not doing it risks.")
    approval_state = models.CharField(max_length=15, choices=ApprovalState.choices, default=ApprovalState.NOT_REQUESTED)
    approval_rule = models.CharField(max_length=10, choices=ApprovalRule.choices, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(blank=True)
    review_notes = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["planned_start", "planned_end"], name="change_window")]

    def __str__(self) -> str:
        return f"{self.get_change_type_display()} change {self.ticket_id}"


class Approval(TowersModel):
    """One approval a change or request waits for: a CAB member's, a line manager's, a budget holder's."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    ticket = models.ForeignKey("servicedesk.Ticket", on_delete=models.CASCADE, related_name="approvals")
    role = models.CharField(max_length=30, help_text="cab, line_manager, budget_holder, …")
    step = models.PositiveSmallIntegerField(default=1)
    approver = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["ticket", "step", "created_at"]


class FreezeWindow(TowersModel):
    """A period when changes may not be made (to the listed services, or to everything when none are listed)."""

    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.name
