"""Reporting a device lost or stolen: the incident, the SOC case, the wipe and bar tasks, and what follows."""

import pytest

from towers.core import events
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.mobile.models import DeviceStatus, DeviceTask, LossReport, SimCard, TaskPurpose, WipeEvidence
from towers.mobile.services.loss import device_found, device_report_loss
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.models import HandOff, State, TicketClock, TicketKind
from towers.servicedesk.services.handoffs import handoff_accept
from towers.servicedesk.services.tickets import ticket_transition
from towers.soc.models import Observable, SecurityCase

pytestmark = pytest.mark.django_db


def _report(fleet, device, **kwargs):
    fields = {"kind": "stolen", "location": "Market Street", "crime_reference": "NP/123/26"} | kwargs
    return device_report_loss(actor=actor_of(fleet.officer), device=device, **fields)


def test_an_officer_reports_their_stolen_device_and_everything_is_raised(fleet, lost):
    report = _report(fleet, lost)

    lost.refresh_from_db()
    assert lost.status == DeviceStatus.STOLEN
    assert report.status_before == DeviceStatus.ISSUED and not report.on_behalf
    incident = report.incident
    assert incident.kind == TicketKind.INCIDENT and incident.priority == "P2"
    assert incident.requester == fleet.officer
    assert list(incident.cis.all()) == [lost.ci]
    assert "NP/123/26" in incident.description and "Market Street" in incident.description

    wipe = DeviceTask.objects.get(device=lost, purpose=TaskPurpose.WIPE).ticket
    assert wipe.kind == TicketKind.TASK and wipe.parent == incident
    assert wipe.team == fleet.team  # the mobile supplier's queue
    clock = TicketClock.objects.get(ticket=wipe)
    assert clock.service_level.code == "wipe-1h"  # the wipe's own service level

    bar = DeviceTask.objects.get(device=lost, purpose=TaskPurpose.BAR_LINE)
    assert bar.sim.msisdn == "+447700900123"
    offer = HandOff.objects.get(ticket=bar.ticket)
    assert offer.to_team == fleet.estate.network_team  # offered to the network operator

    case = SecurityCase.objects.get(incident=incident)
    assert report.security_case == case and case.organisation == fleet.supplier and case.severity == "high"
    assert set(Observable.objects.filter(case=case).values_list("value", flat=True)) == {"NP-7001", "pc.officer"}
    assert wipe.reference in case.tasks.values_list("title", flat=True)[0]

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"mobile.device.loss_reported", "mobile.device.stolen", "soc.case.opened", "ticket.created"} <= actions
    kinds = list(lost.events.values_list("kind", flat=True))
    assert "stolen" in kinds and "wipe_raised" in kinds and "bar_line_raised" in kinds


def test_the_wipe_and_the_bar_are_recorded_when_their_tasks_are_done(fleet, lost):
    report = _report(fleet, lost, kind="lost")
    wipe = DeviceTask.objects.get(loss=report, purpose=TaskPurpose.WIPE).ticket
    ticket_transition(
        actor=fleet.supplier_actor, ticket=wipe, state=State.RESOLVED, resolution_code="fixed",
        resolution_notes="Wiped and locked through Intune at 10:02.",
    )  # fmt: skip
    bar = DeviceTask.objects.get(loss=report, purpose=TaskPurpose.BAR_LINE).ticket
    net = actor_of(fleet.estate.network_resolver)
    handoff_accept(actor=net, handoff=HandOff.objects.get(ticket=bar))
    bar.refresh_from_db()
    ticket_transition(actor=net, ticket=bar, state=State.RESOLVED, resolution_code="fixed")

    events.deliver_all_pending()

    evidence = WipeEvidence.objects.get(device=lost)
    assert evidence.task == wipe and evidence.method == "remote_wipe" and evidence.certificate == wipe.reference
    assert AuditEntry.objects.filter(action="mobile.device.wiped", object_id=str(lost.pk)).exists()
    sim = SimCard.objects.get(device=lost)
    assert sim.status == SimCard.Status.BARRED and sim.barred_at is not None
    assert {"wiped", "line_barred"} <= set(lost.events.values_list("kind", flat=True))
    assert not DeviceTask.objects.filter(loss=report, finished_at__isnull=True).exists()
    assert events.deliver_all_pending() == 0 and WipeEvidence.objects.count() == 1  # applied once


def test_the_desk_reports_for_the_officer(fleet, lost):
    agent = actor_of(fleet.estate.integrator_agent)
    report = device_report_loss(actor=agent, device=lost, kind="lost", channel="phone")
    assert report.on_behalf and report.incident.requester == fleet.officer
    assert report.incident.channel == "phone"


def test_an_officer_cannot_report_someone_elses_device(fleet, lost):
    other = fleet.device(person=None, status=DeviceStatus.IN_STOCK)
    with pytest.raises(Forbidden):
        device_report_loss(actor=actor_of(fleet.officer), device=other, kind="lost")
    assert not LossReport.objects.exists()


def test_another_supplier_cannot_see_the_device_to_report_it(fleet, lost):
    with pytest.raises(NotFound):
        device_report_loss(actor=actor_of(fleet.estate.applications_admin), device=lost, kind="lost")
    lost.refresh_from_db()
    assert lost.status == DeviceStatus.ISSUED


def test_a_device_already_missing_is_not_reported_twice(fleet, lost):
    report = _report(fleet, lost)
    with pytest.raises(ValidationFailed) as err:
        _report(fleet, lost, kind="lost")
    assert report.incident.reference in str(err.value.fields["device"])
    assert LossReport.objects.count() == 1


def test_no_case_without_police_data_and_a_note_without_a_soc(fleet, lost):
    lost.holds_police_data = False
    lost.save()
    assert _report(fleet, lost).security_case is None
    assert not SecurityCase.objects.exists()


def test_without_a_soc_the_incident_says_to_tell_it(fleet, lost):
    from towers.mobile.models import MobileSettings

    MobileSettings.objects.filter(organisation=fleet.owner).update(security_organisation=None)
    report = _report(fleet, lost)
    assert report.security_case is None
    assert "no SOC is set" in report.incident.events.filter(kind="comment").get().body


def test_a_found_device_goes_back_and_its_open_steps_are_cancelled(fleet, lost):
    report = _report(fleet, lost, kind="lost")
    device_found(actor=actor_of(fleet.officer), device=lost, note="It was in the patrol car.")
    lost.refresh_from_db()
    report.refresh_from_db()
    assert lost.status == DeviceStatus.ISSUED and report.found_at is not None
    assert set(DeviceTask.objects.filter(loss=report).values_list("ticket__state", flat=True)) == {State.CANCELLED}
    events.deliver_all_pending()
    assert set(DeviceTask.objects.filter(loss=report).values_list("outcome", flat=True)) == {"cancelled"}
    assert not WipeEvidence.objects.exists()
    assert "patrol car" in report.incident.events.filter(kind="comment").last().body
    with pytest.raises(ValidationFailed):
        device_found(actor=actor_of(fleet.officer), device=lost)


def test_anyone_reports_their_own_device_whatever_their_roles(fleet, lost):
    from towers.core.roles import Role
    from towers.organisations.tests.factories import person_with_roles

    buyer = person_with_roles(fleet.owner, Role.CONTRACT_MANAGER, username="contracts.person")
    lost.person = buyer
    lost.save()
    report = device_report_loss(actor=actor_of(buyer), device=lost, kind="lost")
    assert report.incident.requester == buyer and not report.on_behalf
