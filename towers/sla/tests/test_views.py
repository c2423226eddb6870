from datetime import date, timedelta
from decimal import Decimal

import pytest

from towers.contracts.tests.factories import ContractFactory, ServiceLevelFactory, office_hours_calendar
from towers.organisations.tests.factories import sign_in
from towers.sla.models import CreditRun, ServiceLevelResult
from towers.sla.tests.factories import ClockMeasurementFactory, ServiceLevelResultFactory

pytestmark = pytest.mark.django_db


def _contract(estate):
    contract = ContractFactory(
        supplier=estate.applications,
        credit_regime="ccs",
        period_charge=Decimal("250000.00"),
        delivery_kpis=[
            {"name": "Availability", "service_level": "apps-av", "weight": 1, "excellent": 99.9, "good": 99.5}
        ],
    )
    level = ServiceLevelFactory(
        code="apps-av",
        contract=contract,
        provider=estate.applications,
        customer=estate.authority,
        metric="availability",
        target=None,
        performance_measure=Decimal("99.5"),
        threshold=Decimal("97"),
    )
    ServiceLevelResultFactory(service_level=level, period=date(2026, 3, 1), actual=Decimal("98.2"))
    return contract


def test_the_authority_calculates_credits_from_the_contract_page_and_sees_the_statement(client, estate):
    contract = _contract(estate)
    sign_in(client, estate.authority_admin)
    response = client.post(f"/contracts/{contract.pk}/credits/calculate/", {"period": "2026-03"})
    assert response.status_code == 302
    run = CreditRun.objects.get(contract=contract, is_current=True)
    assert run.total == Decimal("3250.00")
    page = client.get(f"/contracts/{contract.pk}/credits/?period=2026-03").content.decode()
    assert "£3,250.00" in page and "Not eligible for change work" in page
    assert "Download CSV" in page and "Calculate credits" in page


def test_the_supplier_reads_its_statement_but_cannot_calculate(client, estate):
    contract = _contract(estate)
    sign_in(client, estate.authority_admin)
    client.post(f"/contracts/{contract.pk}/credits/calculate/", {"period": "2026-03"})
    sign_in(client, estate.applications_admin)
    page = client.get(f"/contracts/{contract.pk}/credits/").content.decode()
    assert "£3,250.00" in page and "Calculate credits" not in page
    assert client.post(f"/contracts/{contract.pk}/credits/calculate/", {"period": "2026-03"}).status_code == 403


def test_another_supplier_gets_nothing(client, estate):
    contract = _contract(estate)
    sign_in(client, estate.network_admin)
    assert client.get(f"/contracts/{contract.pk}/credits/").status_code == 404


def test_attainment_is_computed_from_the_service_level_page(client, estate):
    level = ServiceLevelFactory(
        provider=estate.applications,
        customer=estate.authority,
        calendar=office_hours_calendar(estate.authority),
        target=timedelta(hours=8),
    )
    ClockMeasurementFactory(service_level=level)  # Mon 2 Mar 09:00–12:00 UTC: 3 business hours, met
    sign_in(client, estate.authority_admin)
    client.post(f"/service-levels/{level.pk}/results/compute/", {"period": "2026-03"})
    result = ServiceLevelResult.objects.get(service_level=level)
    assert (result.measured, result.met, result.actual) == (1, 1, Decimal("100.000"))
    assert "1 / 1" in client.get(f"/service-levels/{level.pk}/results/").content.decode()
