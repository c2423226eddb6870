"""Factories for every sla model."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from towers.contracts.tests.factories import ContractFactory, ServiceLevelFactory
from towers.sla.models import ClockMeasurement, CreditLine, CreditRun, DeliveryAssessment, ServiceLevelResult


class ClockMeasurementFactory(DjangoModelFactory):
    class Meta:
        model = ClockMeasurement

    service_level = factory.SubFactory(ServiceLevelFactory)
    record_ref = factory.Sequence(lambda n: f"INC{n:07d}")
    priority = "P2"
    started_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    stopped_at = factory.LazyAttribute(lambda m: m.started_at + timedelta(hours=3))


class ServiceLevelResultFactory(DjangoModelFactory):
    class Meta:
        model = ServiceLevelResult

    service_level = factory.SubFactory(ServiceLevelFactory)
    period = date(2026, 3, 1)
    actual = Decimal("96.000")
    source = ServiceLevelResult.Source.REPORTED


class CreditRunFactory(DjangoModelFactory):
    class Meta:
        model = CreditRun

    contract = factory.SubFactory(ContractFactory)
    supplier = factory.LazyAttribute(lambda r: r.contract.supplier)
    period = date(2026, 3, 1)
    regime = "ccs"
    charges = Decimal("250000.00")
    total = Decimal("0.00")


class CreditLineFactory(DjangoModelFactory):
    class Meta:
        model = CreditLine

    run = factory.SubFactory(CreditRunFactory)
    kind = "met"


class DeliveryAssessmentFactory(DjangoModelFactory):
    class Meta:
        model = DeliveryAssessment

    contract = factory.SubFactory(ContractFactory)
    supplier = factory.LazyAttribute(lambda a: a.contract.supplier)
    period = date(2026, 3, 1)
    score = Decimal("90.0")
    eligible = True
    kpi_scores = factory.LazyFunction(dict)
    reasons = factory.LazyFunction(list)
