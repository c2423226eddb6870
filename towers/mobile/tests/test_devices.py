"""Registering and issuing devices, SIMs and accessories: validation, the CI kept in step, history and audit."""

import pytest

from towers.cmdb.models import ConfigurationItem
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.models import AuditEntry
from towers.mobile.models import DeviceEvent, DeviceStatus
from towers.mobile.services.devices import (
    accessory_register,
    check_iccid,
    check_imei,
    device_assign,
    device_register,
    device_update,
    sim_attach,
    sim_register,
)
from towers.mobile.tests.factories import Fleet, iccid, imei
from towers.organisations.tests.factories import actor_of

IMEI = "356938035643809"  # a published example with a correct check digit


def register(fleet: Fleet, **fields: object):
    fields = {"imei": IMEI, "make": "Samsung", "model": "Galaxy XCover7", "platform": "android"} | fields
    return device_register(actor=fleet.actor, organisation=fleet.owner, support_team=fleet.team, **fields)


@pytest.mark.parametrize("value", ["356938035643809", "35-693803-564380-9", "35 6938 0356 4380 9"])
def test_imeis_with_a_good_check_digit_are_accepted_without_separators(value: str) -> None:
    assert check_imei(value) == "356938035643809"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("356938035643808", "check digit"), ("35693803564380", "15 digits"), ("35693803564380X", "15 digits")],
)
def test_bad_imeis_are_refused_naming_the_field(value: str, problem: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_imei(value)
    assert list(caught.value.fields) == ["imei"] and problem in caught.value.fields["imei"][0]


def test_iccids_are_19_or_20_digits_with_a_luhn_check_digit() -> None:
    assert check_iccid(iccid(7)) == iccid(7)
    assert check_iccid("8944110068256270054") == "8944110068256270054"
    with pytest.raises(ValidationFailed) as caught:
        check_iccid(iccid(7)[:-1] + str((int(iccid(7)[-1]) + 1) % 10))
    assert "iccid" in caught.value.fields
    with pytest.raises(ValidationFailed):
        check_iccid("894411006825627")


def test_registering_a_device_records_its_ci_owned_by_the_owner_and_supported_by_the_supplier(fleet: Fleet) -> None:
    device = register(fleet, serial="R58N12345")
    ci = ConfigurationItem.objects.get(pk=device.ci_id)
    assert (ci.ci_class, ci.owner, ci.support_team) == ("mobile_device", fleet.owner, fleet.team)
    assert ci.attributes == {"imei": IMEI, "serial": "R58N12345", "model": "Samsung Galaxy XCover7"}
    assert device.supplier == fleet.supplier
    assert AuditEntry.objects.filter(action="mobile.device.registered", object_id=str(device.id)).exists()
    assert DeviceEvent.objects.filter(device=device, kind="registered").exists()


def test_a_device_needs_an_imei_or_a_serial(fleet: Fleet) -> None:
    with pytest.raises(ValidationFailed) as caught:
        register(fleet, imei="")
    assert "imei" in caught.value.fields


def test_the_same_imei_cannot_make_a_second_ci(fleet: Fleet) -> None:
    register(fleet)
    with pytest.raises(ValidationFailed):
        register(fleet)


def test_issuing_a_device_sets_person_team_status_history_and_the_cis_assigned_to(fleet: Fleet) -> None:
    device = register(fleet)
    device_assign(actor=fleet.actor, device=device, person=fleet.officer, team=fleet.estate.integrator_team)
    device.refresh_from_db()
    assert (device.status, device.person, device.team) == (
        DeviceStatus.ISSUED,
        fleet.officer,
        fleet.estate.integrator_team,
    )
    assert device.ci is not None and device.ci.attributes["assigned_to"] == fleet.officer.username
    issued = DeviceEvent.objects.get(device=device, kind="issued")
    assert issued.person == fleet.officer and issued.status == DeviceStatus.ISSUED
    assert AuditEntry.objects.filter(action="mobile.device.issued").count() == 1


def test_a_lost_device_cannot_be_issued(fleet: Fleet) -> None:
    device = register(fleet)
    device_update(actor=fleet.actor, device=device, changes={"status": DeviceStatus.LOST})
    with pytest.raises(ValidationFailed) as caught:
        device_assign(actor=fleet.actor, device=device, person=fleet.officer)
    assert "status" in caught.value.fields


def test_updating_a_device_keeps_its_ci_in_step(fleet: Fleet) -> None:
    device = register(fleet)
    device_update(actor=fleet.actor, device=device, changes={"model": "Galaxy XCover8", "name": "PC1234-PHONE"})
    ci = ConfigurationItem.objects.get(pk=device.ci_id)
    assert (ci.name, ci.attributes["model"]) == ("PC1234-PHONE", "Samsung Galaxy XCover8")


def test_a_sim_put_in_a_device_puts_its_number_on_the_ci_and_taking_it_out_removes_it(fleet: Fleet) -> None:
    device = register(fleet)
    sim = sim_register(actor=fleet.actor, organisation=fleet.owner, iccid=iccid(1), msisdn="+447700900123")
    sim_attach(actor=fleet.actor, sim=sim, device=device)
    device.ci.refresh_from_db()
    assert device.ci.attributes["msisdn"] == "+447700900123"
    sim_attach(actor=fleet.actor, sim=sim, device=None)
    device.ci.refresh_from_db()
    assert "msisdn" not in device.ci.attributes
    kinds = list(DeviceEvent.objects.filter(device=device).values_list("kind", flat=True))
    assert kinds == ["registered", "sim_attached", "sim_removed"]


def test_accessories_are_recorded_and_audited(fleet: Fleet) -> None:
    accessory = accessory_register(actor=fleet.actor, organisation=fleet.owner, kind="Vehicle cradle", serial="C-1")
    assert AuditEntry.objects.filter(action="mobile.accessory.registered", object_id=str(accessory.id)).exists()


def test_another_suppliers_admin_cannot_register_into_the_authoritys_fleet(fleet: Fleet) -> None:
    network = actor_of(fleet.estate.network_admin, fleet.estate.network)
    with pytest.raises(Forbidden):
        device_register(actor=network, organisation=fleet.owner, imei=imei(1))
    with pytest.raises(Forbidden):
        sim_register(actor=network, organisation=fleet.owner, iccid=iccid(2))


def test_the_mobile_supplier_manages_the_fleet_it_runs(fleet: Fleet) -> None:
    device = fleet.device()
    device_update(actor=fleet.supplier_actor, device=device, changes={"status": DeviceStatus.IN_REPAIR})
