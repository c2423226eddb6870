from decimal import Decimal

import pytest

from towers.contracts.models import Contract, ServiceLevel
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.models import AuditEntry
from towers.integration.models_partners import PartnerIntegration
from towers.organisations.models import Organisation, Team
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.tests.factories import build_desk
from towers.transition.services.onboard import supplier_onboard
from towers.transition.tests.factories import onboarding_plan

pytestmark = pytest.mark.django_db

MODELS = (Organisation, Team, Contract, ServiceLevel, PartnerIntegration, AuditEntry)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _plan_with_a_level() -> dict:
    level = {
        "code": "next-crime-ola-p1",
        "name": "Next: P1 response",
        "kind": "ola",
        "service": "crime",
        "customer": "integrator",
        "metric": "response",
        "priority": "P1",
        "target": "0:15:00",
        "calendar": "24x7",
        "performance_measure": "95",
    }
    return onboarding_plan(service_levels=[level])


def test_dry_run_reports_every_item_and_creates_nothing(estate):
    build_desk(estate)
    before = _counts()
    report = supplier_onboard(actor=actor_of(estate.authority_admin), plan=_plan_with_a_level(), dry_run=True)
    assert report.ok and report.dry_run
    kinds = [item["kind"] for item in report.created]
    assert kinds == ["organisation", "team", "team", "contract", "service level", "partner integration"]
    assert _counts() == before


def test_apply_creates_the_supplier_through_the_services_and_audits_each_item(estate):
    build_desk(estate)
    report = supplier_onboard(actor=actor_of(estate.authority_admin), plan=_plan_with_a_level(), dry_run=False)
    assert report.ok and not report.dry_run
    org = Organisation.objects.get(code="apps-next")
    assert org.tower == estate.applications_tower
    assert set(org.teams.values_list("code", flat=True)) == {"next-support", "next-dev"}
    assert Contract.objects.get(reference="next-apps-2026").period_charge == Decimal("100000.00")
    level = ServiceLevel.objects.get(code="next-crime-ola-p1")
    assert level.provider == org and level.customer == estate.integrator
    tool = PartnerIntegration.objects.get(organisation=org)
    assert list(tool.teams.values_list("code", flat=True)) == ["next-support"]
    actions = set(AuditEntry.objects.filter(person_id=estate.authority_admin.id).values_list("action", flat=True))
    assert {
        "organisation.created",
        "team.created",
        "contract.created",
        "service_level.created",
        "integration.partner.created",
    } <= actions


def test_a_bad_plan_names_each_wrong_field_and_apply_creates_nothing(estate):
    build_desk(estate)
    plan = _plan_with_a_level()
    plan["teams"][1].pop("code")
    plan["contracts"][0]["ends_on"] = "someday"
    plan["service_levels"][0]["target"] = "soon"
    plan["integrations"][0]["teams"] = ["nobody"]
    before = _counts()
    report = supplier_onboard(actor=actor_of(estate.authority_admin), plan=plan, dry_run=True)
    assert {"teams[1].code", "contracts[0].ends_on", "service_levels[0].target", "integrations[0].teams"} <= set(
        report.problems
    )
    with pytest.raises(ValidationFailed) as failed:
        supplier_onboard(actor=actor_of(estate.authority_admin), plan=plan, dry_run=False)
    assert "contracts[0].ends_on" in failed.value.fields
    assert _counts() == before


def test_a_plan_refused_by_a_service_names_the_field(estate):
    build_desk(estate)
    plan = onboarding_plan(organisation={"code": "apps", "name": "Clash", "tower": "applications"})
    report = supplier_onboard(actor=actor_of(estate.authority_admin), plan=plan, dry_run=True)
    assert "organisation.code" in report.problems


def test_only_the_authority_onboards_a_supplier(estate):
    before = _counts()
    with pytest.raises(Forbidden):
        supplier_onboard(actor=actor_of(estate.integrator_admin), plan=onboarding_plan(), dry_run=False)
    assert _counts() == before
