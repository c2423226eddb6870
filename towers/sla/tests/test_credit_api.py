import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from towers.contracts.tests.factories import ContractFactory, ServiceLevelFactory
from towers.organisations.tests.factories import CommercialGrantFactory
from towers.organisations.tests.test_api import bearer
from towers.sla.tests.factories import ServiceLevelResultFactory

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


def _contract_with_results(estate):
    contract = ContractFactory(supplier=estate.applications, credit_regime="ccs", period_charge=Decimal("250000.00"))
    level = ServiceLevelFactory(
        code="apps-availability",
        contract=contract,
        provider=estate.applications,
        customer=estate.authority,
        metric="availability",
        target=None,
        performance_measure=Decimal("99.5"),
        threshold=Decimal("97"),
    )
    ServiceLevelResultFactory(service_level=level, period=MARCH, actual=Decimal("98.2"))
    return contract


def test_the_authority_calculates_a_statement_and_exports_it_as_csv(client, estate):
    contract = _contract_with_results(estate)
    auth = bearer(estate.authority_admin, estate.authority)
    response = client.post(
        f"/api/v1/contracts/{contract.id}/credits",
        data={"period": "2026-03-01"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    statement = response.json()
    # (99.5 − 98.2) = 1.3 points × £250,000 = £3,250.00
    assert statement["total"] == "3250.00" and statement["lines"][0]["kind"] == "credit"
    assert client.get(f"/api/v1/contracts/{contract.id}/credits/2026-03-01", **auth).json()["total"] == "3250.00"
    exported = client.get(f"/api/v1/contracts/{contract.id}/credits/2026-03-01/csv", **auth)
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["kind"], r["amount"]) for r in rows] == [("credit", "3250.00"), ("total", "3250.00")]
    assert "98.20" in rows[0]["explanation"] or "98.2" in rows[0]["explanation"]


def test_the_supplier_sees_its_own_statement_but_cannot_calculate_it(client, estate):
    contract = _contract_with_results(estate)
    client.post(
        f"/api/v1/contracts/{contract.id}/credits",
        data={"period": "2026-03-01"},
        content_type="application/json",
        **bearer(estate.authority_admin, estate.authority),
    )
    supplier = bearer(estate.applications_admin, estate.applications)
    assert client.get(f"/api/v1/contracts/{contract.id}/credits/2026-03-01", **supplier).status_code == 200
    refused = client.post(
        f"/api/v1/contracts/{contract.id}/credits",
        data={"period": "2026-03-01"},
        content_type="application/json",
        **supplier,
    )
    assert refused.status_code == 403


def test_the_integrator_needs_a_grant_to_see_another_suppliers_credits(client, estate):
    contract = _contract_with_results(estate)
    client.post(
        f"/api/v1/contracts/{contract.id}/credits",
        data={"period": "2026-03-01"},
        content_type="application/json",
        **bearer(estate.authority_admin, estate.authority),
    )
    integrator = bearer(estate.integrator_admin, estate.integrator)
    url = f"/api/v1/contracts/{contract.id}/credits/2026-03-01"
    assert client.get(url, **integrator).status_code == 404
    assert client.get(f"{url}/csv", **integrator).status_code == 404
    CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications)
    assert client.get(url, **integrator).status_code == 200


def test_a_period_without_results_reports_them_as_not_measured(client, estate):
    contract = _contract_with_results(estate)
    response = client.post(
        f"/api/v1/contracts/{contract.id}/credits",
        data={"period": "2026-04-01"},
        content_type="application/json",
        **bearer(estate.authority_admin, estate.authority),
    )
    assert response.status_code == 200
    assert [line["kind"] for line in response.json()["lines"]] == ["not_measured"]
