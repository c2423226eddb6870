from datetime import timedelta

import pytest

from towers.contracts.models import Contract, ServiceLevel
from towers.contracts.tests.factories import (
    ContractFactory,
    ServiceFactory,
    ServiceLevelFactory,
    office_hours_calendar,
)
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import CommercialGrantFactory
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db


def test_the_authority_records_a_contract_with_its_charges(client, estate):
    auth = bearer(estate.authority_admin, estate.authority)
    body = {
        "reference": "APP-2025",
        "title": "Applications tower",
        "supplier": str(estate.applications.id),
        "tower": str(estate.applications_tower.id),
        "starts_on": "2025-04-01",
        "ends_on": "2030-03-31",
        "period_charge": "310000.00",
        "credit_regime": "msc",
        "point_value": "1500.00",
    }
    created = client.post("/api/v1/contracts", data=body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    contract = Contract.objects.get(reference="APP-2025")
    put = client.put(
        f"/api/v1/contracts/{contract.id}/charges",
        data={"period": "2026-03-01", "amount": "325000.00"},
        content_type="application/json",
        **auth,
    )
    assert put.status_code == 200
    assert client.get(f"/api/v1/contracts/{contract.id}/charges", **auth).json() == [
        {"period": "2026-03-01", "amount": "325000.00"}
    ]
    assert {e.action for e in AuditEntry.objects.all()} == {"contract.created", "contract.charge_set"}


def test_a_contract_ending_before_it_starts_is_refused_naming_the_field(client, estate):
    auth = bearer(estate.authority_admin, estate.authority)
    body = {
        "reference": "BAD",
        "title": "Bad",
        "supplier": str(estate.applications.id),
        "starts_on": "2026-04-01",
        "ends_on": "2026-03-31",
        "period_charge": "1.00",
    }
    response = client.post("/api/v1/contracts", data=body, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "ends_on" in response.json()["error"]["fields"]


def test_a_supplier_cannot_change_its_own_contract(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    auth = bearer(estate.applications_admin, estate.applications)
    assert client.get(f"/api/v1/contracts/{contract.id}", **auth).status_code == 200
    response = client.patch(
        f"/api/v1/contracts/{contract.id}", data={"title": "Ours now"}, content_type="application/json", **auth
    )
    assert response.status_code == 403


def test_the_integrator_sees_another_suppliers_contract_only_while_granted(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    auth = bearer(estate.integrator_admin, estate.integrator)
    assert client.get(f"/api/v1/contracts/{contract.id}", **auth).status_code == 404
    assert client.get("/api/v1/contracts", **auth).json()["count"] == 0
    CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications)
    assert client.get(f"/api/v1/contracts/{contract.id}", **auth).status_code == 200
    assert client.get("/api/v1/contracts", **auth).json()["count"] == 1


def test_the_integrator_sees_the_service_levels_of_the_towers_it_integrates(client, estate):
    level = ServiceLevelFactory(service=ServiceFactory(owner=estate.applications), customer=estate.authority)
    auth = bearer(estate.integrator_agent, estate.integrator)
    assert client.get(f"/api/v1/service-levels/{level.id}", **auth).status_code == 200


def test_service_levels_are_created_with_targets_and_validated(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    service = ServiceFactory(owner=estate.applications)
    calendar = office_hours_calendar(estate.authority)
    auth = bearer(estate.authority_admin, estate.authority)
    body = {
        "code": "app-p2-res",
        "name": "P2 resolution",
        "kind": "sla",
        "contract": str(contract.id),
        "service": str(service.id),
        "provider": str(estate.applications.id),
        "customer": str(estate.authority.id),
        "metric": "resolution",
        "priority": "P2",
        "target": "PT8H",
        "calendar": str(calendar.id),
        "pause_states": ["pending_requester"],
        "performance_measure": "95.00",
        "threshold": "90.00",
    }
    created = client.post("/api/v1/service-levels", data=body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    assert ServiceLevel.objects.get(code="app-p2-res").target == timedelta(hours=8)
    no_target = {**body, "code": "app-p2-res-2", "target": None}
    refused = client.post("/api/v1/service-levels", data=no_target, content_type="application/json", **auth)
    assert refused.status_code == 422 and "target" in refused.json()["error"]["fields"]


def test_calendar_hours_are_versioned_from_a_date(client, estate):
    calendar = office_hours_calendar(estate.authority)
    auth = bearer(estate.authority_admin, estate.authority)
    response = client.put(
        f"/api/v1/calendars/{calendar.id}/hours",
        data={"effective_from": "2026-06-01", "windows": [[d, "07:00", "19:00"] for d in range(6)]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    versions = {(h["effective_from"], h["start"]) for h in response.json()["hours"]}
    assert versions == {("2020-01-01", "08:00:00"), ("2026-06-01", "07:00:00")}


def test_a_charge_period_must_be_a_month_start(client, estate):
    contract = ContractFactory(supplier=estate.applications)
    auth = bearer(estate.authority_admin, estate.authority)
    response = client.put(
        f"/api/v1/contracts/{contract.id}/charges",
        data={"period": "2026-03-15", "amount": "1.00"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422 and "period" in response.json()["error"]["fields"]
