"""What suppliers promised: contracts and their charges, the service catalogue, calendars and service levels."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Tower

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class Calendar(TowersModel):
    """When the clock runs: opening hours (versioned by date), England and Wales bank holidays, closures."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200, unique=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="calendars")
    always_open = models.BooleanField(default=False, help_text="24x7: open every hour of every day.")
    bank_holidays = models.BooleanField(default=True, help_text="Closed on England and Wales bank holidays.")
    timezone = models.CharField(max_length=60, default="Europe/London")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CalendarHours(TowersModel):
    """One opening window on one weekday, in force from `effective_from` until a later set of hours."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    effective_from = models.DateField()
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)], help_text="0 = Monday")
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["calendar", "effective_from", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.calendar}: day {self.weekday} {self.start:%H:%M}–{self.end:%H:%M} from {self.effective_from}"


class CalendarClosure(TowersModel):
    """A closure the authority adds beyond bank holidays (a site move, a force-wide shutdown)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["calendar", "starts_at"]

    def __str__(self) -> str:
        return f"{self.calendar}: closed {self.starts_at:%d %b %Y %H:%M} – {self.ends_at:%d %b %Y %H:%M}"


class ServiceCategory(models.TextChoices):
    SERVICE_DESK = "service_desk", "Service desk"
    SERVICE_INTEGRATION = "service_integration", "Service integration"
    HOSTING = "hosting", "Data-centre hosting"
    SECURITY_OPERATIONS = "security_operations", "Security operations"
    NETWORK = "network", "Network"
    END_USER = "end_user", "End-user services"
    MOBILE = "mobile", "Mobile services"
    APPLICATION_SUPPORT = "application_support", "Application support"
    OTHER = "other", "Other"


class Service(TowersModel):
    """A service in the catalogue, owned by the supplier accountable for it."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=30, choices=ServiceCategory.choices, default=ServiceCategory.OTHER)
    description = models.TextField(blank=True)
    tower = models.ForeignKey(Tower, null=True, blank=True, on_delete=models.PROTECT, related_name="services")
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceOffering(TowersModel):
    """What a service offers to whom, e.g. "Service desk — 24x7 telephone" delivered by one supplier."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offerings")
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="offerings")

    class Meta:
        ordering = ["service__name", "name"]

    def __str__(self) -> str:
        return f"{self.service} — {self.name}"


class CreditRegimeKind(models.TextChoices):
    NONE = "none", "No service credits"
    CCS = "ccs", "CCS: measure − actual % of charges"
    MSC = "msc", "MSC: KPI bands → service points"


class Contract(TowersModel):
    """A supplier's run-and-maintain contract with the authority: term, charges and credit regime."""

    class Period(models.TextChoices):
        MONTHLY = "monthly", "Calendar month"

    reference = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="contracts")
    tower = models.ForeignKey(Tower, null=True, blank=True, on_delete=models.PROTECT, related_name="contracts")
    starts_on = models.DateField()
    ends_on = models.DateField()
    service_period = models.CharField(max_length=10, choices=Period.choices, default=Period.MONTHLY)
    period_charge = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Charges per service period, unless a period has its own."
    )
    credit_regime = models.CharField(max_length=10, choices=CreditRegimeKind.choices, default=CreditRegimeKind.NONE)
    credit_cap_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(10), validators=PERCENT)
    # MSC: what one service point is worth, in pounds or as a % of the period's charges.
    point_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    point_value_is_percent = models.BooleanField(default=False)
    # The delivery score: [{"name", "weight", "excellent", "good", "higher_is_better"}] and the rules for change work.
    delivery_kpis = models.JSONField(default=list, blank=True)
    eligibility_rules = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["supplier__name", "reference"]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"


class ContractCharge(TowersModel):
    """The charges of one service period where they differ from the contract's usual charge."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="charges")
    period = models.DateField(help_text="The first day of the period.")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["contract", "period"]
        constraints = [models.UniqueConstraint(fields=["contract", "period"], name="one_charge_per_period")]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.period:%b %Y}: £{self.amount}"


class ServiceLevelKind(models.TextChoices):
    SLA = "sla", "SLA (to the authority)"
    OLA = "ola", "OLA (between teams or organisations)"
    UC = "uc", "UC (with a third party)"


class Metric(models.TextChoices):
    RESPONSE = "response", "Response time"
    RESOLUTION = "resolution", "Resolution time"
    AVAILABILITY = "availability", "Availability %"
    KPI = "kpi", "Custom KPI"


class ServiceLevel(TowersModel):
    """One promise: e.g. "P2 incidents on application support resolved within 8 business hours, 95% of the time"."""

    code = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=5, choices=ServiceLevelKind.choices)
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="service_levels"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="service_levels")
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="service_levels_provided")
    customer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="service_levels_received")
    metric = models.CharField(max_length=15, choices=Metric.choices)
    priority = models.CharField(max_length=10, blank=True, help_text="P1–P4 for time metrics; blank otherwise.")
    target = models.DurationField(null=True, blank=True, help_text="Business time allowed (response, resolution).")
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pause_states = models.JSONField(default=list, blank=True)
    performance_measure = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=PERCENT,
        help_text="% of records that must meet the target, or the availability % or KPI value to reach.",
    )
    threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="Service level threshold: below it is a critical service level failure.",
    )
    higher_is_better = models.BooleanField(default=True)
    # MSC: [[lower_bound_percent, points], …] from best to worst band.
    point_bands = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    # When a level takes over from, or hands over to, another (a supplier transition): the work it measures is
    # the work in force between them, so an ended level still measures what it measured before it ended.
    starts_at = models.DateTimeField(null=True, blank=True, help_text="In force from (blank: from the start).")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="No longer in force from (with is_active off).")

    class Meta:
        ordering = ["service__name", "kind", "metric", "priority"]

    def __str__(self) -> str:
        return self.name
