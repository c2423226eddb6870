"""Reads of results, the credit ledger and delivery assessments, each restricted to the actor."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.db.models import QuerySet

from towers.contracts.models import Contract
from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.core.permissions import visible_to
from towers.sla.models import CreditRun, DeliveryAssessment, ServiceLevelResult


def result_list(
    *, actor: Actor, service_level: UUID | None = None, period: date | None = None
) -> QuerySet[ServiceLevelResult]:
    qs = visible_to(actor, ServiceLevelResult.objects).select_related("service_level__service")
    if service_level:
        qs = qs.filter(service_level_id=service_level)
    if period:
        qs = qs.filter(period=period)
    return qs.order_by("-period", "service_level__code")


def credit_run_current(*, actor: Actor, contract: Contract, period: date) -> CreditRun:
    """The contract's current credit calculation for the period, with its lines."""
    run = (
        visible_to(actor, CreditRun.objects)
        .filter(contract=contract, period=period, is_current=True)
        .prefetch_related("lines__service_level")
        .first()
    )
    if run is None:
        raise NotFound(f"No service credits have been calculated for {period:%B %Y}.")
    return run


def credit_run_list(*, actor: Actor, contract: Contract) -> QuerySet[CreditRun]:
    return visible_to(actor, CreditRun.objects).filter(contract=contract, is_current=True).order_by("-period")


def delivery_current(*, actor: Actor, contract: Contract, period: date | None = None) -> DeliveryAssessment:
    qs = visible_to(actor, DeliveryAssessment.objects).filter(contract=contract, is_current=True)
    if period:
        qs = qs.filter(period=period)
    assessment = qs.order_by("-period").first()
    if assessment is None:
        raise NotFound("No delivery assessment yet.")
    return assessment
