"""Measurement against the promises: clock facts per record, monthly results, the credit ledger, delivery scores."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from towers.contracts.models import Contract, ServiceLevel
from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class ClockMeasurement(TowersModel):
    """One record's clock against one time-based service level: when it ran, paused and stopped."""

    service_level = models.ForeignKey(ServiceLevel, on_delete=models.PROTECT, related_name="measurements")
    record_ref = models.CharField(max_length=40, help_text="The ticket's human reference, e.g. INC0001234.")
    priority = models.CharField(max_length=10)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    pauses = models.JSONField(default=list, blank=True, help_text='[["start ISO", "end ISO"], …]')
    elapsed_seconds = models.FloatField(default=0)
    breached = models.BooleanField(default=False)

    class Meta:
        ordering = ["service_level", "started_at"]
        indexes = [models.Index(fields=["service_level", "stopped_at"])]
        constraints = [models.UniqueConstraint(fields=["service_level", "record_ref"], name="one_clock_per_record")]

    def __str__(self) -> str:
        return f"{self.record_ref} against {self.service_level}"


class ServiceLevelResult(TowersModel):
    """How a service level did in one period: computed from clocks, or reported (availability, KPIs)."""

    class Source(models.TextChoices):
        COMPUTED = "computed", "Computed from records"
        REPORTED = "reported", "Reported"

    service_level = models.ForeignKey(ServiceLevel, on_delete=models.PROTECT, related_name="results")
    period = models.DateField(help_text="The first day of the period.")
    actual = models.DecimalField(max_digits=7, decimal_places=3)
    measured = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    evidence = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["service_level", "-period"]
        constraints = [models.UniqueConstraint(fields=["service_level", "period"], name="one_result_per_period")]

    def __str__(self) -> str:
        return f"{self.service_level} {self.period:%b %Y}: {self.actual}%"


class CreditRun(TowersModel):
    """One calculation of a contract's service credits for a period; a re-run supersedes, never erases."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="credit_runs")
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="credit_runs")
    period = models.DateField()
    regime = models.CharField(max_length=10)
    charges = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    cap_reduction = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    critical_failures = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)
    summary = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["contract", "-period", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period"], condition=models.Q(is_current=True), name="one_current_run_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} credits {self.period:%b %Y}: £{self.total}"


class CreditLine(TowersModel):
    """One line of the ledger, with every figure used to reach it."""

    run = models.ForeignKey(CreditRun, on_delete=models.CASCADE, related_name="lines")
    service_level = models.ForeignKey(ServiceLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    points = models.IntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    evidence = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["run", "kind", "service_level__name"]

    def __str__(self) -> str:
        return f"{self.kind}: £{self.amount}"


class DeliveryAssessment(TowersModel):
    """A supplier's delivery score for a period, and whether it has earned change work, with the reasons."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="assessments")
    supplier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assessments")
    period = models.DateField()
    score = models.DecimalField(max_digits=5, decimal_places=1)
    eligible = models.BooleanField()
    kpi_scores = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    reasons = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["contract", "-period", "-created_at"]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.period:%b %Y}: {self.score}"
