"""The commercial side of the demo estate: calendars, catalogue, contracts, service levels and six months of results.

Everything is written through the services by the demo job; ticket clocks are measured by the engine and
monthly attainment by the bulk calculator, then credits and delivery scores are calculated from them.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from towers.contracts.businesstime import BusinessCalendar
from towers.contracts.calendars import business_calendar_versions
from towers.contracts.models import Calendar, Contract, Service, ServiceLevel
from towers.contracts.services.catalogue import (
    calendar_create,
    calendar_set_hours,
    offering_create,
    service_create,
    service_level_create,
)
from towers.contracts.services.contracts import contract_create
from towers.core.actor import Actor
from towers.organisations.models import Organisation
from towers.sla.clock import EventKind, TimelineEvent
from towers.sla.services.clocks import attainment_compute, clocks_record
from towers.sla.services.credits import credits_calculate, delivery_assess
from towers.sla.services.results import result_report

LONDON = ZoneInfo("Europe/London")
MONTHS = [date(2026, month, 1) for month in range(5, 11)]  # May to October 2026
HOURS = timedelta(hours=1)

SERVICES = [
    # code, name, category, owner, tower, offerings [(code, name, supplier)]
    (
        "service-desk",
        "Service desk",
        "service_desk",
        "meridian",
        "infrastructure",
        [("sd-247", "24x7 telephone and portal", "meridian")],
    ),
    (
        "service-integration",
        "Service integration and management",
        "service_integration",
        "meridian",
        "infrastructure",
        [("siam", "Multi-supplier integration", "meridian")],
    ),
    (
        "hosting",
        "Data-centre hosting",
        "hosting",
        "meridian",
        "infrastructure",
        [("dc-primary", "Primary data centre", "hostwell")],
    ),
    (
        "soc",
        "Security operations",
        "security_operations",
        "meridian",
        "infrastructure",
        [("soc-247", "24x7 monitoring and response", "meridian"), ("siem", "SIEM platform", "sentinel")],
    ),
    ("network", "Network", "network", "meridian", "infrastructure", [("wan", "Wide-area network", "carrier-networks")]),
    (
        "end-user",
        "End-user services",
        "end_user",
        "meridian",
        "infrastructure",
        [("desktop", "Desktop and laptops", "meridian")],
    ),
    (
        "mobile",
        "Mobile services",
        "mobile",
        "meridian",
        "infrastructure",
        [("devices", "Officer devices", "meridian"), ("lines", "Mobile lines", "airwave-mobile")],
    ),
    (
        "application-support",
        "Application support",
        "application_support",
        "apex",
        "applications",
        [("crime", "Crime and intelligence systems", "apex"), ("erp", "ERP and HR", "apex")],
    ),
]

# code, name, kind, contract, service, provider, customer, metric, priority, target, calendar, measure, threshold,
# bands (MSC), quality (the share of records meeting target in the simulated months)
SERVICE_LEVELS: list[tuple[Any, ...]] = [
    (
        "mer-p1-res",
        "P1 incidents resolved in 4 hours",
        "sla",
        "MER",
        "service-desk",
        "meridian",
        "authority",
        "resolution",
        "P1",
        4 * HOURS,
        "24x7",
        "95",
        "85",
        [],
        0.96,
    ),
    (
        "mer-p2-res",
        "P2 incidents resolved in 8 hours",
        "sla",
        "MER",
        "service-desk",
        "meridian",
        "authority",
        "resolution",
        "P2",
        8 * HOURS,
        "24x7",
        "95",
        "85",
        [],
        0.94,
    ),
    (
        "mer-p3-res",
        "P3 incidents resolved in 2 business days",
        "sla",
        "MER",
        "end-user",
        "meridian",
        "authority",
        "resolution",
        "P3",
        20 * HOURS,
        "office-hours",
        "90",
        "80",
        [],
        0.93,
    ),
    (
        "mer-soc-p1-resp",
        "P1 security cases acknowledged in 15 minutes",
        "sla",
        "MER",
        "soc",
        "meridian",
        "authority",
        "response",
        "P1",
        HOURS / 4,
        "24x7",
        "95",
        "85",
        [],
        0.97,
    ),
    (
        "mer-soc-p2-resp",
        "P2 security cases acknowledged in 30 minutes",
        "sla",
        "MER",
        "soc",
        "meridian",
        "authority",
        "response",
        "P2",
        HOURS / 2,
        "24x7",
        "95",
        "85",
        [],
        0.95,
    ),
    (
        "mer-soc-p1-res",
        "P1 security cases resolved in 4 hours",
        "sla",
        "MER",
        "soc",
        "meridian",
        "authority",
        "resolution",
        "P1",
        4 * HOURS,
        "24x7",
        "95",
        "85",
        [],
        0.93,
    ),
    (
        "mer-soc-p2-res",
        "P2 security cases resolved in 8 hours",
        "sla",
        "MER",
        "soc",
        "meridian",
        "authority",
        "resolution",
        "P2",
        8 * HOURS,
        "24x7",
        "95",
        "85",
        [],
        0.95,
    ),
    (
        "mer-sd-answer",
        "Service desk calls answered in 30 seconds",
        "sla",
        "MER",
        "service-desk",
        "meridian",
        "authority",
        "kpi",
        "",
        None,
        None,
        "90",
        "80",
        [],
        None,
    ),
    (
        "mer-dc-availability",
        "Primary data centre availability",
        "sla",
        "MER",
        "hosting",
        "meridian",
        "authority",
        "availability",
        "",
        None,
        None,
        "99.9",
        "99.0",
        [],
        None,
    ),
    (
        "apex-p2-res",
        "P2 application incidents resolved in 8 business hours",
        "sla",
        "APX",
        "application-support",
        "apex",
        "authority",
        "resolution",
        "P2",
        8 * HOURS,
        "extended-hours",
        "95",
        None,
        [["92", 1], ["88", 3], ["0", 5]],
        0.95,
    ),
    (
        "apex-p3-res",
        "P3 application incidents resolved in 3 business days",
        "sla",
        "APX",
        "application-support",
        "apex",
        "authority",
        "resolution",
        "P3",
        36 * HOURS,
        "extended-hours",
        "90",
        None,
        [["85", 1], ["80", 3], ["0", 5]],
        0.9,
    ),
    (
        "apex-crime-availability",
        "Crime system availability",
        "sla",
        "APX",
        "application-support",
        "apex",
        "authority",
        "availability",
        "",
        None,
        None,
        "99.5",
        None,
        [["99.0", 2], ["98.0", 4], ["0", 8]],
        None,
    ),
    (
        "ola-apex-accept",
        "Hand-offs to Apex accepted in 30 minutes",
        "ola",
        None,
        "application-support",
        "apex",
        "meridian",
        "response",
        "P2",
        timedelta(minutes=30),
        "extended-hours",
        "95",
        None,
        [],
        0.97,
    ),
    (
        "uc-network-p2",
        "Network P2 faults fixed in 4 hours",
        "uc",
        None,
        "network",
        "carrier-networks",
        "meridian",
        "resolution",
        "P2",
        4 * HOURS,
        "24x7",
        "95",
        None,
        [],
        0.95,
    ),
]
REPORTED = {  # monthly figures the suppliers report (answer rates, availability), May→October
    "mer-sd-answer": ["93.1", "91.4", "88.2", "92.7", "94.0", "95.2"],
    "mer-dc-availability": ["99.95", "99.99", "99.82", "99.97", "99.91", "99.98"],
    "apex-crime-availability": ["99.71", "99.62", "98.74", "99.55", "99.80", "99.66"],
}
RECORDS_PER_MONTH = 24


def seed_contracts(actor: Actor, organisations: dict[str, Organisation]) -> None:
    """Calendars, catalogue, contracts and service levels, then six months of measured results and credits."""
    authority = organisations["northshire-police"]
    calendars = _calendars(actor, authority)
    services = _catalogue(actor, organisations)
    contracts = _contracts(actor, organisations)
    organisations = {**organisations, "authority": authority}
    levels = [_service_level(actor, row, contracts, services, organisations, calendars) for row in SERVICE_LEVELS]
    _history(actor, levels, contracts)


def _calendars(actor: Actor, authority: Organisation) -> dict[str, Calendar]:
    always = calendar_create(
        actor=actor,
        code="24x7",
        name="24x7",
        owner=authority,
        always_open=True,
        bank_holidays=False,
        description="Every hour of every day.",
    )
    office = calendar_create(
        actor=actor,
        code="office-hours",
        name="Office hours",
        owner=authority,
        description="Monday to Friday 08:00–18:00, closed on bank holidays.",
    )
    calendar_set_hours(
        actor=actor,
        calendar=office,
        effective_from=date(2025, 4, 1),
        windows=[(d, time(8), time(18)) for d in range(5)],
    )
    extended = calendar_create(
        actor=actor,
        code="extended-hours",
        name="Extended hours",
        owner=authority,
        description="Monday to Saturday 07:00–19:00, closed on bank holidays.",
    )
    calendar_set_hours(
        actor=actor,
        calendar=extended,
        effective_from=date(2025, 4, 1),
        windows=[(d, time(7), time(19)) for d in range(6)],
    )
    return {"24x7": always, "office-hours": office, "extended-hours": extended}


def _catalogue(actor: Actor, organisations: dict[str, Organisation]) -> dict[str, Service]:
    services = {}
    for code, name, category, owner, _tower, offerings in SERVICES:
        service = service_create(
            actor=actor,
            code=code,
            name=name,
            category=category,
            owner=organisations[owner],
            tower=organisations[owner].tower,
        )
        for offering_code, offering_name, supplier in offerings:
            offering_create(
                actor=actor, service=service, code=offering_code, name=offering_name, supplier=organisations[supplier]
            )
        services[code] = service
    return services


def _contracts(actor: Actor, organisations: dict[str, Organisation]) -> dict[str, Contract]:
    meridian = contract_create(
        actor=actor,
        reference="MER-INFRA-2025",
        title="Infrastructure tower and service integration",
        supplier=organisations["meridian"],
        tower=organisations["meridian"].tower,
        starts_on=date(2025, 4, 1),
        ends_on=date(2030, 3, 31),
        period_charge=Decimal("1450000.00"),
        credit_regime="ccs",
        credit_cap_percent=Decimal("10"),
        delivery_kpis=[
            {"name": "P2 resolution", "service_level": "mer-p2-res", "weight": 2, "excellent": 97, "good": 95},
            {"name": "Calls answered", "service_level": "mer-sd-answer", "weight": 1, "excellent": 95, "good": 90},
            {
                "name": "Hosting availability",
                "service_level": "mer-dc-availability",
                "weight": 2,
                "excellent": 99.95,
                "good": 99.9,
            },
        ],
        eligibility_rules={"min_score": 85, "lookback_periods": 3, "max_credit_percent": 2},
    )
    apex = contract_create(
        actor=actor,
        reference="APX-APPS-2025",
        title="Applications tower run and maintain",
        supplier=organisations["apex"],
        tower=organisations["apex"].tower,
        starts_on=date(2025, 4, 1),
        ends_on=date(2029, 3, 31),
        period_charge=Decimal("620000.00"),
        credit_regime="msc",
        credit_cap_percent=Decimal("12"),
        point_value=Decimal("2500.00"),
        delivery_kpis=[
            {"name": "P2 resolution", "service_level": "apex-p2-res", "weight": 2, "excellent": 97, "good": 95},
            {
                "name": "Crime system availability",
                "service_level": "apex-crime-availability",
                "weight": 1,
                "excellent": 99.8,
                "good": 99.5,
            },
        ],
        eligibility_rules={"min_score": 85, "lookback_periods": 3, "max_credit_percent": 2},
    )
    return {"MER": meridian, "APX": apex}


def _service_level(
    actor: Actor,
    row: tuple[Any, ...],
    contracts: dict[str, Contract],
    services: dict[str, Service],
    organisations: dict[str, Organisation],
    calendars: dict[str, Calendar],
) -> ServiceLevel:
    code, name, kind, contract, service, provider, customer, metric, priority, target, calendar, measure, threshold = (
        row[:13]
    )
    return service_level_create(
        actor=actor,
        code=code,
        name=name,
        kind=kind,
        contract=contracts.get(contract or ""),
        service=services[service],
        provider=organisations[provider],
        customer=organisations[customer],
        metric=metric,
        priority=priority,
        target=target,
        calendar=calendars.get(calendar or ""),
        pause_states=["pending_requester", "pending_supplier"] if target else [],
        performance_measure=Decimal(measure),
        threshold=Decimal(threshold) if threshold else None,
        point_bands=row[13],
    )


def _history(actor: Actor, levels: list[ServiceLevel], contracts: dict[str, Contract]) -> None:
    rng = random.Random(2026)  # noqa: S311  (demo data)
    quality = {row[0]: row[14] for row in SERVICE_LEVELS}
    for index, month in enumerate(MONTHS):
        for level in levels:
            if level.code in REPORTED:
                result_report(
                    actor=actor,
                    level=level,
                    period=month,
                    actual=Decimal(REPORTED[level.code][index]),
                    evidence={"source": "supplier monthly report"},
                )
                continue
            calendar = business_calendar_versions(level.calendar)[-1][1]  # type: ignore[arg-type]
            tickets = [_ticket(level, calendar, month, n, quality[level.code], rng) for n in range(RECORDS_PER_MONTH)]
            clocks_record(actor=actor, level=level, records=tickets)
            attainment_compute(actor=actor, level=level, period=month)
        for contract in contracts.values():
            credits_calculate(actor=actor, contract=contract, period=month)
            delivery_assess(actor=actor, contract=contract, period=month)


def _ticket(
    level: ServiceLevel, calendar: BusinessCalendar, month: date, n: int, quality: float, rng: random.Random
) -> tuple[str, list[TimelineEvent], datetime]:
    """A plausible ticket: logged in the day, sometimes paused, within target `quality` of the time."""
    assert level.target is not None
    created = datetime(
        month.year, month.month, rng.randint(1, 25), rng.randint(7, 17), rng.choice((0, 15, 30, 45)), tzinfo=LONDON
    )
    events = [TimelineEvent(created, EventKind.CREATED, priority=level.priority, organisation=level.provider.code)]
    target = level.target.total_seconds()
    used = target * (rng.uniform(0.2, 0.95) if rng.random() < quality else rng.uniform(1.05, 2.0))
    if level.metric == "resolution" and rng.random() < 0.25:
        before_pause = used * rng.uniform(0.2, 0.8)
        paused_at = calendar.add_business_seconds(created, before_pause)
        resumed_at = paused_at + timedelta(hours=rng.randint(1, 30))
        events += [
            TimelineEvent(paused_at, EventKind.STATE, state="pending_requester"),
            TimelineEvent(resumed_at, EventKind.STATE, state="in_progress"),
        ]
        stopped_at = calendar.add_business_seconds(resumed_at, used - before_pause)
    else:
        stopped_at = calendar.add_business_seconds(created, used)
    if level.metric == "response":
        events.append(TimelineEvent(stopped_at, EventKind.STATE, state="in_progress"))
    else:
        events.append(TimelineEvent(stopped_at, EventKind.RESOLVED))
    return f"INC{month:%y%m}{n:04d}-{level.code}", events, stopped_at + timedelta(days=1)
