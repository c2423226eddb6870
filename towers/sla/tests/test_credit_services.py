from datetime import date
from decimal import Decimal

import pytest

from towers.contracts.tests.factories import ContractChargeFactory, ContractFactory, ServiceLevelFactory
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of
from towers.sla.models import CreditRun
from towers.sla.services.credits import credits_calculate, delivery_assess
from towers.sla.services.results import result_report

pytestmark = pytest.mark.django_db
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def _ccs_contract(estate):
    contract = ContractFactory(supplier=estate.integrator, credit_regime="ccs", period_charge=Decimal("250000.00"))
    levels = [
        ServiceLevelFactory(
            code="sd-answer",
            contract=contract,
            provider=estate.integrator,
            customer=estate.authority,
            metric="kpi",
            target=None,
            performance_measure=Decimal("95"),
            threshold=Decimal("85"),
        ),
        ServiceLevelFactory(
            code="dc-availability",
            contract=contract,
            provider=estate.integrator,
            customer=estate.authority,
            metric="availability",
            target=None,
            performance_measure=Decimal("99.5"),
            threshold=Decimal("97"),
        ),
    ]
    return contract, levels


def test_ccs_credits_are_calculated_from_results_and_written_to_the_ledger(estate):
    contract, (answer, availability) = _ccs_contract(estate)
    admin = actor_of(estate.authority_admin)
    result_report(actor=admin, level=answer, period=MARCH, actual=Decimal("95.5"))
    result_report(actor=admin, level=availability, period=MARCH, actual=Decimal("98.2"))
    run = credits_calculate(actor=admin, contract=contract, period=MARCH)
    # Availability missed by 99.5 − 98.2 = 1.3 points → 1.3% × £250,000 = £3,250.00; answering met.
    assert run.total == Decimal("3250.00")
    kinds = {line.service_level.code: line.kind for line in run.lines.all()}
    assert kinds == {"sd-answer": "met", "dc-availability": "credit"}
    assert AuditEntry.objects.filter(action="credits.calculated").count() == 1


def test_a_charge_override_for_the_period_is_used(estate):
    contract, (answer, availability) = _ccs_contract(estate)
    ContractChargeFactory(contract=contract, period=MARCH, amount=Decimal("300000.00"))
    admin = actor_of(estate.authority_admin)
    result_report(actor=admin, level=answer, period=MARCH, actual=Decimal("94"))
    result_report(actor=admin, level=availability, period=MARCH, actual=Decimal("99.5"))
    # Answering missed by 1 point → 1% × £300,000 = £3,000.00.
    assert credits_calculate(actor=admin, contract=contract, period=MARCH).total == Decimal("3000.00")


def test_a_critical_failure_is_flagged_and_a_recalculation_supersedes_the_old_run(estate):
    contract, (answer, availability) = _ccs_contract(estate)
    admin = actor_of(estate.authority_admin)
    result_report(actor=admin, level=answer, period=MARCH, actual=Decimal("95"))
    result_report(actor=admin, level=availability, period=MARCH, actual=Decimal("96"))
    first = credits_calculate(actor=admin, contract=contract, period=MARCH)
    assert first.critical_failures == 1 and first.total == Decimal("0.00")
    result_report(actor=admin, level=availability, period=MARCH, actual=Decimal("99"))  # corrected figure
    second = credits_calculate(actor=admin, contract=contract, period=MARCH)
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert second.total == Decimal("1250.00")  # (99.5 − 99) = 0.5% × £250,000
    assert CreditRun.objects.filter(contract=contract).count() == 2


def test_msc_points_double_on_a_repeat_failure_across_months(estate):
    contract = ContractFactory(
        supplier=estate.applications,
        credit_regime="msc",
        point_value=Decimal("1000.00"),
        credit_cap_percent=Decimal("10"),
    )
    kpi = ServiceLevelFactory(
        code="first-time-fix",
        contract=contract,
        provider=estate.applications,
        customer=estate.authority,
        metric="kpi",
        target=None,
        performance_measure=Decimal("90"),
        threshold=None,
        point_bands=[["85", 1], ["80", 3], ["0", 5]],
    )
    admin = actor_of(estate.authority_admin)
    result_report(actor=admin, level=kpi, period=MARCH, actual=Decimal("86"))
    result_report(actor=admin, level=kpi, period=APRIL, actual=Decimal("86"))
    # March: 86% is in the 85 band → 1 point × £1,000. April repeats the failure → 1 × 2 = 2 points → £2,000.
    assert credits_calculate(actor=admin, contract=contract, period=MARCH).total == Decimal("1000.00")
    april = credits_calculate(actor=admin, contract=contract, period=APRIL)
    assert april.total == Decimal("2000.00")
    assert april.lines.get(service_level=kpi).points == 2


def test_only_the_authority_calculates_credits(estate):
    contract, _levels = _ccs_contract(estate)
    with pytest.raises(Forbidden):
        credits_calculate(actor=actor_of(estate.integrator_admin), contract=contract, period=MARCH)
    other = ContractFactory(supplier=estate.applications)
    with pytest.raises(NotFound):
        credits_calculate(actor=actor_of(estate.integrator_admin), contract=other, period=MARCH)


def test_a_missing_result_is_named(estate):
    contract, (answer, _availability) = _ccs_contract(estate)
    admin = actor_of(estate.authority_admin)
    result_report(actor=admin, level=answer, period=MARCH, actual=Decimal("96"))
    run = credits_calculate(actor=admin, contract=contract, period=MARCH)
    assert {line.kind for line in run.lines.all()} == {"met", "not_measured"}
    with pytest.raises(ValidationFailed, match="period"):
        credits_calculate(actor=admin, contract=contract, period=date(2026, 3, 15))


def test_the_delivery_score_gives_a_verdict_with_reasons(estate):
    contract, (answer, availability) = _ccs_contract(estate)
    contract.delivery_kpis = [
        {"name": "Answering", "service_level": "sd-answer", "weight": 1, "excellent": 97, "good": 95},
        {"name": "Availability", "service_level": "dc-availability", "weight": 2, "excellent": 99.9, "good": 99.5},
    ]
    contract.eligibility_rules = {"min_score": 85, "lookback_periods": 3, "max_credit_percent": 1}
    contract.save()
    admin = actor_of(estate.authority_admin)
    result_report(actor=admin, level=answer, period=MARCH, actual=Decimal("98"))
    result_report(actor=admin, level=availability, period=MARCH, actual=Decimal("99.95"))
    credits_calculate(actor=admin, contract=contract, period=MARCH)
    assessment = delivery_assess(actor=admin, contract=contract, period=MARCH)
    assert assessment.eligible and assessment.score == Decimal("100.0")
    result_report(actor=admin, level=availability, period=APRIL, actual=Decimal("96"))  # critical failure
    result_report(actor=admin, level=answer, period=APRIL, actual=Decimal("98"))
    credits_calculate(actor=admin, contract=contract, period=APRIL)
    april = delivery_assess(actor=admin, contract=contract, period=APRIL)
    assert not april.eligible
    unmet = [r["text"] for r in april.reasons if not r["met"]]
    assert any("critical" in text.lower() for text in unmet)
