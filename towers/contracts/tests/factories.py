"""Factories for every contracts model."""

from datetime import date, time, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from towers.contracts.models import (
    Calendar,
    CalendarClosure,
    CalendarHours,
    Contract,
    ContractCharge,
    Service,
    ServiceLevel,
    ServiceOffering,
)
from towers.organisations.tests.factories import OrganisationFactory


class CalendarFactory(DjangoModelFactory):
    class Meta:
        model = Calendar

    code = factory.Sequence(lambda n: f"calendar-{n}")
    name = factory.Sequence(lambda n: f"Calendar {n}")
    owner = factory.SubFactory(OrganisationFactory)


class CalendarHoursFactory(DjangoModelFactory):
    class Meta:
        model = CalendarHours

    calendar = factory.SubFactory(CalendarFactory)
    effective_from = date(2020, 1, 1)
    weekday = 0
    start = time(8)
    end = time(18)


class CalendarClosureFactory(DjangoModelFactory):
    class Meta:
        model = CalendarClosure

    calendar = factory.SubFactory(CalendarFactory)
    starts_at = factory.Faker("date_time_this_year", tzinfo=__import__("datetime").UTC)
    ends_at = factory.LazyAttribute(lambda c: c.starts_at + timedelta(hours=4))
    reason = "Site move"


def office_hours_calendar(owner, code="office-hours", start=time(8), end=time(18)) -> Calendar:
    calendar = CalendarFactory(owner=owner, code=code, name=f"Office hours {code}")
    for weekday in range(5):
        CalendarHoursFactory(calendar=calendar, weekday=weekday, start=start, end=end)
    return calendar


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    owner = factory.SubFactory(OrganisationFactory)
    category = "application_support"


class ServiceOfferingFactory(DjangoModelFactory):
    class Meta:
        model = ServiceOffering

    service = factory.SubFactory(ServiceFactory)
    code = factory.Sequence(lambda n: f"offering-{n}")
    name = factory.Sequence(lambda n: f"Offering {n}")
    supplier = factory.LazyAttribute(lambda o: o.service.owner)


class ContractFactory(DjangoModelFactory):
    class Meta:
        model = Contract

    reference = factory.Sequence(lambda n: f"CON-{n:04d}")
    title = factory.Sequence(lambda n: f"Contract {n}")
    supplier = factory.SubFactory(OrganisationFactory)
    starts_on = date(2025, 4, 1)
    ends_on = date(2030, 3, 31)
    period_charge = Decimal("250000.00")
    credit_regime = "ccs"
    credit_cap_percent = Decimal("10.00")


class ContractChargeFactory(DjangoModelFactory):
    class Meta:
        model = ContractCharge

    contract = factory.SubFactory(ContractFactory)
    period = date(2026, 3, 1)
    amount = Decimal("260000.00")


class ServiceLevelFactory(DjangoModelFactory):
    class Meta:
        model = ServiceLevel

    code = factory.Sequence(lambda n: f"sl-{n}")
    name = factory.Sequence(lambda n: f"Service level {n}")
    kind = "sla"
    service = factory.SubFactory(ServiceFactory)
    provider = factory.LazyAttribute(lambda s: s.service.owner)
    customer = factory.SubFactory(OrganisationFactory)
    metric = "resolution"
    priority = "P2"
    target = timedelta(hours=8)
    calendar = factory.SubFactory(CalendarFactory)
    pause_states = factory.LazyFunction(lambda: ["pending_requester"])
    performance_measure = Decimal("95.00")
    threshold = Decimal("90.00")
