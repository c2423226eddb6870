"""Changes, major incidents, security cases, mobile compliance and commercials in the pack."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time

from towers.contracts.tests.factories import ContractFactory
from towers.mobile.models import Compliance, Device, DeviceEvent, DeviceStatus
from towers.mobile.tests.factories import build_fleet
from towers.organisations.tests.factories import actor_of, sign_in
from towers.organisations.tests.test_api import bearer
from towers.reporting.selectors_pack import build_pack
from towers.reporting.tests.test_pack_desk import figure
from towers.servicedesk.services.change_approvals import approval_decide, change_submit_for_approval
from towers.servicedesk.services.change_delivery import change_complete, change_implement, incident_link_caused_by
from towers.servicedesk.services.major import major_declare, major_resolve
from towers.servicedesk.tests.factories_changes import build_cab, normal_change
from towers.sla.tests.factories import CreditRunFactory, DeliveryAssessmentFactory
from towers.soc.services.cases import case_open, case_transition
from towers.soc.tests.factories import build_soc

MARCH = date(2026, 3, 1)
AFTER = "2026-04-02 09:00:00+00:00"


def pack_for(person, supplier=None, organisation=None):
    with freeze_time(AFTER):
        return build_pack(actor=actor_of(person, organisation), month=MARCH, supplier=supplier)


def emergency_change(desk, cab, outcome, notes=""):
    agent = desk.actor(desk.agent)
    change = normal_change(desk, change_type="emergency")
    approvals = {a.approver: a for a in change_submit_for_approval(actor=agent, change=change)}
    approval_decide(actor=desk.actor(cab.lead_two), approval=approvals[cab.lead_two], approve=True)
    change.refresh_from_db()
    change_implement(actor=agent, change=change)
    return change_complete(actor=agent, change=change, outcome=outcome, notes=notes)


def followed(client, person, url):
    """The page a figure links to, as `person` (the month is in the URL: no clock to freeze)."""
    sign_in(client, person)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"]


def test_change_success_rate_and_the_incidents_changes_caused(client, desk):
    cab = build_cab(desk)
    with freeze_time("2026-03-05 09:00:00+00:00"):
        emergency_change(desk, cab, "successful")
        failed = emergency_change(desk, cab, "failed", notes="The patch broke log-in")
        incident = desk.raise_incident(title="Log-in broken after patch")
        incident_link_caused_by(actor=desk.actor(desk.agent), incident=incident, change=failed)
    pack = pack_for(desk.estate.authority_admin)
    assert figure(pack, "changes", "Changes completed").value == 2
    assert figure(pack, "changes", "Change success rate").value == Decimal("50.0")
    assert figure(pack, "changes", "Changes failed or backed out").value == 1
    assert figure(pack, "changes", "Incidents caused by changes").value == 1
    admin = desk.estate.authority_admin
    completed = followed(client, admin, figure(pack, "changes", "Changes completed").link)
    assert completed.paginator.count == 2
    unsuccessful = followed(client, admin, figure(pack, "changes", "Changes failed or backed out").link)
    assert [c.reference for c in unsuccessful] == [failed.reference]
    caused = followed(client, admin, figure(pack, "changes", "Incidents caused by changes").link)
    assert [t.reference for t in caused] == [incident.reference]
    assert client.get("/reviews/2026-03/changes/?outcome=sideways").status_code == 400
    auth = bearer(admin, desk.estate.authority)
    body = client.get("/api/v1/reviews/2026-03/changes?outcome=unsuccessful", **auth).json()
    assert [(i["reference"], i["outcome"]) for i in body["items"]] == [(failed.reference, "failed")]
    assert client.get("/api/v1/reviews/2026-03/changes?outcome=sideways", **auth).status_code == 422
    apps = bearer(desk.estate.applications_admin, desk.estate.applications)
    assert client.get("/api/v1/reviews/2026-03/changes?supplier=network", **apps).status_code == 404


def test_major_incidents_of_the_month_with_their_duration(desk):
    agent = desk.actor(desk.agent)
    with freeze_time("2026-03-06 09:00:00+00:00") as clock:
        ticket = desk.raise_incident(title="Control room radio down", impact=1, urgency=1)
        major = major_declare(actor=agent, ticket=ticket, bridge="Bridge 1")
        clock.tick(timedelta(hours=3))
        major_resolve(actor=agent, major=major, summary="Radio restored")
    pack = pack_for(desk.estate.authority_admin)
    (listed,) = pack.major_incidents
    assert (listed.reference, listed.opened, listed.duration_hours) == (
        ticket.reference,
        date(2026, 3, 6),
        Decimal("3.0"),
    )
    assert listed.link == f"/major-incidents/{major.pk}/"
    assert figure(pack, "major", "Major incidents declared").value == 1
    assert figure(pack, "major", "Open at month end").value == 0


def test_security_cases_mttd_and_mttr_for_readers_of_the_soc_only(client, desk):
    soc = build_soc(desk)
    with freeze_time("2026-03-07 09:00:00+00:00") as clock:
        case = case_open(
            actor=soc.actor,
            organisation=desk.estate.integrator,
            title="Phishing wave",
            detected_at=datetime(2026, 3, 7, 7, tzinfo=UTC),
        )
        clock.tick(timedelta(hours=5))
        case_transition(actor=soc.actor, case=case, status="resolved")
    for pack in (pack_for(desk.estate.authority_admin), pack_for(soc.analyst)):
        assert figure(pack, "security", "Security cases opened").value == 1
        assert figure(pack, "security", "MTTD (mean)").value == Decimal("2.0")
        assert figure(pack, "security", "MTTR (mean)").value == Decimal("5.0")
    apps = pack_for(desk.estate.applications_admin, desk.estate.applications)
    assert "security" not in {s.key for s in apps.sections}
    assert "No security cases for this supplier." in apps.notes
    admin = pack_for(desk.estate.authority_admin)
    for label in ("Security cases opened", "Security cases resolved"):
        listed = followed(client, desk.estate.authority_admin, figure(admin, "security", label).link)
        assert [c.reference for c in listed] == [case.reference], label
    sign_in(client, desk.estate.applications_admin)
    assert case.reference not in client.get("/reviews/2026-03/security/?supplier=apps").content.decode()
    assert client.get("/reviews/2026-03/security/?supplier=network").status_code == 404
    auth = bearer(desk.estate.authority_admin, desk.estate.authority)
    resolved = client.get("/api/v1/reviews/2026-03/security-cases?resolved=true", **auth).json()["items"]
    assert [(c["reference"], c["status"]) for c in resolved] == [(case.reference, "resolved")]
    own = client.get(
        "/api/v1/reviews/2026-03/security-cases?supplier=apps",
        **bearer(desk.estate.applications_admin, desk.estate.applications),
    ).json()
    assert own["count"] == 0  # the integrator's SOC case, on no incident the applications supplier is party to


def test_mobile_compliance_of_the_fleet_the_supplier_runs(estate):
    fleet = build_fleet(estate)
    with freeze_time("2026-03-10 09:00:00+00:00"):
        for compliance in (Compliance.COMPLIANT, Compliance.COMPLIANT, Compliance.COMPLIANT, Compliance.NON_COMPLIANT):
            fleet.device(status=DeviceStatus.ISSUED, compliance=compliance)
        fleet.device(status=DeviceStatus.RETIRED, compliance=Compliance.NON_COMPLIANT)  # not in service
    pack = pack_for(fleet.manager, estate.integrator)
    assert figure(pack, "mobile", "Devices in service").value == 4
    assert figure(pack, "mobile", "Non-compliant").value == 1
    assert figure(pack, "mobile", "Non-compliant").link == "/mobile/devices/?compliance=non_compliant"
    assert figure(pack, "mobile", "Compliance").value == Decimal("75.0")
    assert "mobile" not in {s.key for s in pack_for(estate.applications_admin, estate.applications).sections}


def _changed(device, at, **data):
    DeviceEvent.objects.create(
        device=device, at=at, kind="compliance_changed", actor_label="MDM", status=device.status, data=data
    )


def test_a_past_months_fleet_is_counted_as_it_stood_at_the_months_end(estate):
    """Read back from the devices' history: what changed since March does not change March's pack."""
    fleet = build_fleet(estate)
    april, may = datetime(2026, 4, 12, tzinfo=UTC), datetime(2026, 5, 3, tzinfo=UTC)
    with freeze_time("2026-02-10 09:00:00+00:00"):
        steady = fleet.device(status=DeviceStatus.ISSUED, compliance=Compliance.COMPLIANT)
        lapsed = fleet.device(status=DeviceStatus.ISSUED, compliance=Compliance.NON_COMPLIANT)  # since April
        mended = fleet.device(status=DeviceStatus.ISSUED, compliance=Compliance.COMPLIANT)  # non-compliant in March
        retired = fleet.device(status=DeviceStatus.RETIRED, compliance=Compliance.COMPLIANT)  # retired in April
    _changed(lapsed, april, **{"from": Compliance.COMPLIANT, "compliance": Compliance.NON_COMPLIANT})
    _changed(mended, datetime(2026, 3, 20, tzinfo=UTC), **{"from": "compliant", "compliance": "non_compliant"})
    _changed(mended, may, **{"from": Compliance.NON_COMPLIANT, "compliance": Compliance.COMPLIANT})
    DeviceEvent.objects.create(
        device=retired, at=datetime(2026, 2, 10, tzinfo=UTC), kind="issued", actor_label="x", status="issued"
    )
    DeviceEvent.objects.create(device=retired, at=april, kind="retired", actor_label="x", status="retired")
    with freeze_time(april):
        fleet.device(status=DeviceStatus.ISSUED, compliance=Compliance.NON_COMPLIANT)  # registered after March
    with freeze_time("2026-06-01 09:00:00+00:00"):
        pack = build_pack(actor=actor_of(fleet.manager, estate.integrator), month=MARCH, supplier=estate.integrator)
    assert figure(pack, "mobile", "Devices in service").value == 4  # steady, lapsed, mended and the retired one
    assert figure(pack, "mobile", "Non-compliant").value == 1  # mended, which was then
    assert figure(pack, "mobile", "Compliant").value == 3
    assert "at the month's end" in next(s.note for s in pack.sections if s.key == "mobile")
    # The fleet as it is now would say otherwise: two non-compliant in service (lapsed, and April's new one).
    now = Device.objects.filter(status=DeviceStatus.ISSUED, compliance=Compliance.NON_COMPLIANT)
    assert now.count() == 2 and steady.pk not in {d.pk for d in now}


@pytest.fixture
def apps_commercials(estate):
    contract = ContractFactory(supplier=estate.applications, reference="apps-rm")
    CreditRunFactory(contract=contract, total=Decimal("1250.00"), cap_reduction=Decimal("0"))
    DeliveryAssessmentFactory(contract=contract, score=Decimal("82.5"), eligible=False)
    return contract


def test_credits_and_delivery_score_shown_to_those_who_may_see_commercials(estate, apps_commercials):
    for pack in (pack_for(estate.authority_admin), pack_for(estate.applications_admin, estate.applications)):
        (line,) = pack.commercial
        assert (line.contract, line.credit_amount, line.delivery_score) == (
            "apps-rm",
            Decimal("1250.00"),
            Decimal("82.5"),
        )
        assert line.eligible_for_change_work is False and not line.credit_cap_reached
        assert line.link == f"/contracts/{apps_commercials.pk}/credits/"


def test_the_integrator_sees_no_supplier_commercials_without_a_grant(estate, apps_commercials):
    from towers.organisations.tests.factories import CommercialGrantFactory

    assert pack_for(estate.integrator_admin).commercial == ()
    assert pack_for(estate.integrator_admin, estate.applications).commercial == ()
    CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications)
    assert [line.contract for line in pack_for(estate.integrator_admin).commercial] == ["apps-rm"]
