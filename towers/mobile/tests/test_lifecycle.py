"""A device's lifecycle: issue, swap through a courier step, repair, refresh by age or support, retirement."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from towers.cmdb.models import Lifecycle
from towers.core import events
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.mobile.models import DeviceStatus, DeviceTask, MobileSettings, SimCard, TaskPurpose, WipeEvidence
from towers.mobile.selectors_lifecycle import months_before, refresh_due, refresh_reasons
from towers.mobile.services import lifecycle
from towers.mobile.services.devices import device_register, sim_register
from towers.mobile.services.loss import device_report_loss
from towers.mobile.tests.factories import iccid, imei, route_losses
from towers.organisations.tests.factories import OrganisationFactory, actor_of
from towers.servicedesk.models import DeskSettings, State
from towers.servicedesk.services.tickets import ticket_transition
from towers.servicedesk.tests.factories import build_desk

pytestmark = pytest.mark.django_db
_n = iter(range(8000, 9000))


@pytest.fixture
def desk(fleet):
    build_desk(fleet.estate)
    return route_losses(fleet)


def register(fleet, **fields):
    n = next(_n)
    fields = {"imei": imei(n), "name": f"NP-{n}", "make": "Samsung", "model": "XCover6"} | fields
    owner = fields.pop("organisation", fleet.owner)
    return device_register(actor=fleet.actor, organisation=owner, support_team=fleet.team, **fields)


def issued(fleet):
    device = register(fleet, person=fleet.officer, status=DeviceStatus.ISSUED)
    sim_register(
        actor=fleet.actor, organisation=fleet.owner, iccid=iccid(next(_n)), msisdn="+447700900777",
        operator=fleet.operator, device=device,
    )  # fmt: skip
    return device


def resolve(fleet, task, code="fixed", notes=""):
    ticket_transition(
        actor=fleet.supplier_actor, ticket=task.ticket, state=State.RESOLVED, resolution_code=code,
        resolution_notes=notes,
    )  # fmt: skip
    events.deliver_all_pending()


def kinds(device):
    return list(device.events.order_by("id").values_list("kind", flat=True))


def test_issue_a_stock_device_and_reissue_it(fleet, desk):
    device = register(fleet)
    lifecycle.device_issue(actor=fleet.actor, device=device, person=fleet.officer, note="New starter kit")
    device.refresh_from_db()
    assert device.status == DeviceStatus.ISSUED and device.person == fleet.officer
    assert device.ci.attributes["assigned_to"] == "pc.officer"
    event = device.events.get(kind="issued")
    assert event.note == "New starter kit" and event.person == fleet.officer
    assert AuditEntry.objects.filter(action="mobile.device.issued", object_id=str(device.id)).exists()
    lifecycle.device_issue(actor=fleet.actor, device=device, team=fleet.team)
    device.refresh_from_db()
    assert device.person is None and device.team == fleet.team
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_issue(actor=fleet.actor, device=device, team=fleet.team)
    assert "already issued" in err.value.fields["person"][0]


def test_issue_refuses_a_device_in_repair_and_needs_someone(fleet, desk):
    device = register(fleet, status=DeviceStatus.IN_REPAIR)
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_issue(actor=fleet.actor, device=device, person=fleet.officer)
    assert "device" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_issue(actor=fleet.actor, device=register(fleet))
    assert "person" in err.value.fields


def test_a_faulty_device_is_swapped_when_the_courier_is_done(fleet, desk):
    old, spare = issued(fleet), register(fleet)
    task = lifecycle.device_swap(actor=fleet.actor, device=old, replacement=spare, reason="fault", note="No audio")
    assert task.purpose == TaskPurpose.COURIER and task.ticket.team == fleet.team
    assert task.ticket.title == f"Deliver {spare.name} to {fleet.officer.get_full_name()}, collect {old.name}"
    assert task.replacement == spare and task.data["reason"] == "fault"
    assert AuditEntry.objects.filter(action="mobile.device.swap_requested").count() == 1
    old.refresh_from_db()
    spare.refresh_from_db()
    assert (old.status, spare.status) == (DeviceStatus.ISSUED, DeviceStatus.IN_STOCK)  # nothing moves yet

    resolve(fleet, task, notes="Delivered at the front desk")

    old.refresh_from_db()
    spare.refresh_from_db()
    assert spare.status == DeviceStatus.ISSUED and spare.person == fleet.officer
    assert SimCard.objects.get(msisdn="+447700900777").device == spare
    assert old.status == DeviceStatus.IN_REPAIR and old.person is None
    repair = DeviceTask.objects.get(device=old, purpose=TaskPurpose.REPAIR)
    assert repair.ticket.parent == task.ticket and repair.ticket.team == fleet.team and repair.finished_at is None
    assert "swapped_out" in kinds(old) and "repair_raised" in kinds(old)
    assert {"reserved", "swapped_in", "sim_attached"} <= set(kinds(spare))
    assert spare.events.get(kind="swapped_in").ticket_id == task.ticket.id
    assert DeviceTask.objects.get(pk=task.pk).outcome == "done"


def test_a_refresh_swap_returns_the_old_device_to_stock(fleet, desk):
    old, spare = issued(fleet), register(fleet)
    task = lifecycle.device_swap(actor=fleet.actor, device=old, replacement=spare, reason="refresh")
    resolve(fleet, task)
    old.refresh_from_db()
    assert old.status == DeviceStatus.IN_STOCK and old.person is None and old.team is None
    assert not DeviceTask.objects.filter(device=old, purpose=TaskPurpose.REPAIR).exists()


def test_a_cancelled_courier_moves_nothing(fleet, desk):
    old, spare = issued(fleet), register(fleet)
    task = lifecycle.device_swap(actor=fleet.actor, device=old, replacement=spare, reason="damage")
    ticket_transition(actor=fleet.supplier_actor, ticket=task.ticket, state=State.CANCELLED)
    events.deliver_all_pending()
    old.refresh_from_db()
    spare.refresh_from_db()
    assert (old.status, spare.status) == (DeviceStatus.ISSUED, DeviceStatus.IN_STOCK)
    assert SimCard.objects.get(msisdn="+447700900777").device == old
    assert "courier_cancelled" in kinds(old)
    # The spare is free again for another swap.
    assert lifecycle.device_swap(actor=fleet.actor, device=old, replacement=spare, reason="damage").pk != task.pk


def test_swap_refusals_name_the_field(fleet, desk):
    old, spare = issued(fleet), register(fleet)
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_swap(actor=fleet.actor, device=old, replacement=spare, reason="boredom")
    assert "reason" in err.value.fields
    other_owner = register(fleet)
    other_owner.organisation = OrganisationFactory()
    other_owner.save()
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_swap(actor=fleet.actor, device=old, replacement=other_owner, reason="fault")
    assert "replacement" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_swap(actor=fleet.actor, device=old, replacement=issued(fleet), reason="fault")
    assert "not in stock" in err.value.fields["replacement"][0]
    task = lifecycle.device_swap(actor=fleet.actor, device=old, replacement=spare, reason="fault")
    second = issued(fleet)
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_swap(actor=fleet.actor, device=second, replacement=spare, reason="fault")
    assert task.ticket.reference in err.value.fields["replacement"][0]  # promised to the first swap
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_issue(actor=fleet.actor, device=spare, person=fleet.officer)
    assert "promised" in err.value.fields["device"][0]
    assert DeviceTask.objects.filter(purpose=TaskPurpose.COURIER).count() == 1


def test_repair_then_back_to_stock_when_its_ticket_is_resolved(fleet, desk):
    device = issued(fleet)
    task = lifecycle.device_send_to_repair(actor=fleet.actor, device=device, fault="Cracked screen")
    device.refresh_from_db()
    assert device.status == DeviceStatus.IN_REPAIR and task.ticket.team == fleet.team
    assert "Cracked screen" in task.ticket.title
    resolve(fleet, task)
    device.refresh_from_db()
    assert device.status == DeviceStatus.IN_STOCK and device.person is None
    assert device.events.get(kind="repaired").ticket_id == task.ticket.id


def test_a_repair_resolved_beyond_repair_keeps_the_device_for_retirement(fleet, desk):
    DeskSettings.objects.update(resolution_codes=["fixed", "beyond_repair"])
    device = issued(fleet)
    task = lifecycle.device_send_to_repair(actor=fleet.actor, device=device, fault="Water damage")
    resolve(fleet, task, code="beyond_repair")
    device.refresh_from_db()
    assert device.status == DeviceStatus.IN_REPAIR
    assert "beyond_repair" in kinds(device)
    assert DeviceTask.objects.get(pk=task.pk).data["outcome"] == "beyond_repair"


def test_repair_return_resolves_the_step_and_moves_the_device_at_once(fleet, desk):
    device = issued(fleet)
    task = lifecycle.device_send_to_repair(actor=fleet.actor, device=device, fault="Battery swells")
    lifecycle.device_repair_return(actor=fleet.actor, device=device, outcome="beyond_repair", note="Board fried")
    device.refresh_from_db()
    task.refresh_from_db()
    assert device.status == DeviceStatus.IN_REPAIR and "beyond_repair" in kinds(device)
    assert task.ticket.state == State.RESOLVED and task.outcome == "done"
    events.deliver_all_pending()
    assert kinds(device).count("beyond_repair") == 1  # the handler finds it already applied
    assert AuditEntry.objects.filter(action="mobile.device.repair_returned").exists()
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_repair_return(actor=fleet.actor, device=register(fleet), outcome="repaired")
    assert "device" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_repair_return(actor=fleet.actor, device=device, outcome="melted")
    assert "outcome" in err.value.fields


def test_send_to_repair_needs_a_fault(fleet, desk):
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_send_to_repair(actor=fleet.actor, device=issued(fleet), fault="  ")
    assert "fault" in err.value.fields


def test_refresh_due_by_age_or_support_with_each_owners_thresholds(fleet, desk):
    today = date(2026, 6, 30)
    MobileSettings.objects.filter(organisation=fleet.owner).update(refresh_after_months=24, support_warning_days=30)
    old = register(fleet, purchased_on=date(2024, 6, 1))  # 25 months: due for this owner (24)
    young = register(fleet, purchased_on=date(2025, 1, 1))
    ending = register(fleet, end_of_support=today + timedelta(days=10))
    ended = register(fleet, end_of_support=today - timedelta(days=1), status=DeviceStatus.ISSUED, person=fleet.officer)
    later = register(fleet, end_of_support=today + timedelta(days=60))
    retired = register(fleet, purchased_on=date(2020, 1, 1), status=DeviceStatus.RETIRED)
    elsewhere = OrganisationFactory()  # no settings: the default 36 months
    other = [
        register(fleet, organisation=elsewhere, purchased_on=date(2024, 6, 1)),
        register(fleet, organisation=elsewhere, purchased_on=date(2023, 6, 1)),
    ]
    due = {d.pk: refresh_reasons(d) for d in refresh_due(actor=fleet.actor, today=today)}
    assert set(due) == {old.pk, ending.pk, ended.pk, other[1].pk}
    assert young.pk not in due and later.pk not in due and retired.pk not in due
    assert due[old.pk] == ["bought 01 Jun 2024, over 24 months ago"]
    assert due[other[1].pk] == ["bought 01 Jun 2023, over 36 months ago"]
    assert "end 10 Jul 2026" in due[ending.pk][0] and "ended 29 Jun 2026" in due[ended.pk][0]


def test_refresh_tasks_are_raised_once_and_recorded_when_done(fleet, desk):
    today = timezone.localdate()
    due = register(fleet, purchased_on=today - timedelta(days=4 * 365))
    fresh = register(fleet, purchased_on=today)
    raised = lifecycle.devices_refresh_raise(actor=fleet.actor, devices=[due, fresh])
    assert raised == 1
    assert lifecycle.devices_refresh_raise(actor=fleet.actor, devices=[due, fresh]) == 0
    task = DeviceTask.objects.get(purpose=TaskPurpose.REFRESH)
    assert task.device == due and task.ticket.team == fleet.team and "months ago" in task.ticket.description
    resolve(fleet, task, notes="Replaced with an iPhone 16")
    event = due.events.get(kind="refreshed")
    assert event.note == "Replaced with an iPhone 16" and event.ticket_id == task.ticket.id
    assert AuditEntry.objects.filter(action="mobile.device.refresh_raised").count() == 1


def test_retire_with_certified_erasure_and_its_certificate_document(fleet, desk):
    device = register(fleet)
    sim = SimCard.objects.create(organisation=fleet.owner, iccid=iccid(next(_n)), device=device)
    doc = SimpleUploadedFile("cert.pdf", b"%PDF-1.4 certificate", content_type="application/pdf")
    evidence = lifecycle.device_retire(
        actor=fleet.actor, device=device, method="certified_erasure", performed_at=timezone.now(),
        performed_by="Erasure Ltd", document=doc,
    )  # fmt: skip
    device.refresh_from_db()
    assert device.status == DeviceStatus.RETIRED and device.ci.lifecycle == Lifecycle.RETIRED
    assert evidence.sha256 == hashlib.sha256(b"%PDF-1.4 certificate").hexdigest()
    assert evidence.document.read() == b"%PDF-1.4 certificate"
    sim.refresh_from_db()
    assert sim.device is None
    event = device.events.get(kind="retired")
    assert event.data["evidence"] == str(evidence.pk)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"mobile.wipe_evidence.recorded", "mobile.device.retired", "mobile.device.retirement_evidence"} <= actions


def test_retire_refusals_name_the_field(fleet, desk):
    device = issued(fleet)
    now = timezone.now()
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_retire(actor=fleet.actor, device=device, method="factory_reset", performed_at=now)
    assert "returned first" in err.value.fields["device"][0]
    stock = register(fleet)
    cases = [
        ({}, "method"),
        ({"method": "shredded"}, "method"),
        ({"method": "factory_reset", "performed_by": "Eng"}, "performed_at"),
        ({"method": "factory_reset", "performed_at": now + timedelta(days=1), "performed_by": "Eng"}, "performed_at"),
        ({"method": "factory_reset", "performed_at": now}, "performed_by"),
        ({"method": "destruction", "performed_at": now, "performed_by": "Shred Co"}, "certificate"),
    ]
    for fields, field in cases:
        with pytest.raises(ValidationFailed) as err:
            lifecycle.device_retire(actor=fleet.actor, device=stock, **fields)
        assert field in err.value.fields, fields
    repair = lifecycle.device_send_to_repair(actor=fleet.actor, device=stock, fault="Dead")
    with pytest.raises(ValidationFailed) as err:
        lifecycle.device_retire(
            actor=fleet.actor, device=stock, method="factory_reset", performed_at=now, performed_by="Eng"
        )
    assert repair.ticket.reference in err.value.fields["device"][0]
    stock.refresh_from_db()
    assert stock.status == DeviceStatus.IN_REPAIR and not WipeEvidence.objects.exists()


def test_a_lost_device_retires_on_its_wipe_tasks_evidence(fleet, desk):
    device = register(fleet, person=fleet.officer, status=DeviceStatus.ISSUED)
    report = device_report_loss(actor=actor_of(fleet.officer), device=device, kind="lost")
    wipe = DeviceTask.objects.get(loss=report, purpose=TaskPurpose.WIPE)
    resolve(fleet, wipe)
    evidence = lifecycle.device_retire(actor=fleet.actor, device=device)
    assert evidence.task == wipe.ticket and WipeEvidence.objects.count() == 1
    device.refresh_from_db()
    assert device.status == DeviceStatus.RETIRED


def test_a_resolver_may_manage_but_not_retire_and_other_suppliers_see_nothing(fleet, desk):
    from towers.core.roles import Role
    from towers.organisations.tests.factories import TeamMembershipFactory, person_with_roles

    resolver = person_with_roles(fleet.supplier, Role.RESOLVER, username="mobile.engineer")
    TeamMembershipFactory(team=fleet.team, person=resolver)
    device = register(fleet)
    lifecycle.device_send_to_repair(actor=actor_of(resolver), device=device, fault="Dead")
    stock = register(fleet)
    with pytest.raises(Forbidden):
        lifecycle.device_retire(
            actor=actor_of(resolver), device=stock, method="factory_reset", performed_at=timezone.now(),
            performed_by="Eng",
        )  # fmt: skip
    stranger = actor_of(fleet.estate.applications_admin)
    for call in (
        lambda: lifecycle.device_issue(actor=stranger, device=stock, person=fleet.officer),
        lambda: lifecycle.device_send_to_repair(actor=stranger, device=stock, fault="x"),
        lambda: lifecycle.devices_refresh_raise(actor=stranger, devices=[stock]),
        lambda: lifecycle.device_retire(actor=stranger, device=stock, method="factory_reset"),
    ):
        with pytest.raises(NotFound):
            call()
    stock.refresh_from_db()
    assert stock.status == DeviceStatus.IN_STOCK and not refresh_due(actor=stranger, today=date(2099, 1, 1)).exists()


def test_months_before_clamps_to_the_month_end():
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 36) == date(2023, 1, 15)


def test_the_mobile_suppliers_service_manager_retires_a_returned_device(fleet, desk):
    device = register(fleet)
    sim = SimCard.objects.create(organisation=fleet.owner, iccid=iccid(next(_n)), device=device)
    lifecycle.device_retire(
        actor=fleet.supplier_actor, device=device, method="factory_reset", performed_at=timezone.now(),
        performed_by="Mobile bench",
    )  # fmt: skip
    device.refresh_from_db()
    sim.refresh_from_db()
    assert device.status == DeviceStatus.RETIRED and device.ci.lifecycle == Lifecycle.RETIRED and sim.device is None
    entry = AuditEntry.objects.get(action="mobile.device.retirement_evidence")
    assert entry.actor_label == fleet.supplier_actor.label
