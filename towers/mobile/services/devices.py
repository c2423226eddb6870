"""Registering and issuing devices, SIMs and accessories; each device is a CI of class mobile_device kept in step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from towers.cmdb.services.items import ci_create, ci_update
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.mobile.models import Accessory, Device, DeviceEvent, DeviceStatus, SimCard
from towers.mobile.policies import MANAGE_FLEET
from towers.organisations.models import Organisation, Person, Team

DEVICE_FIELDS = [
    "imei", "serial", "mdm_id", "name", "make", "model", "platform", "os_version", "ownership", "status",
    "person", "team", "supplier", "holds_police_data", "purchased_on", "end_of_support",
]  # fmt: skip
# What the MDM reports; set here only when a device is registered by hand with what is known of it.
FACT_FIELDS = ["encrypted", "passcode", "jailbroken", "last_check_in", "enrolled_at"]
SIM_FIELDS = ["iccid", "msisdn", "tariff", "status", "operator", "device"]


def only_fields(given: Iterable[str], allowed: Iterable[str], problem: str = "cannot be changed here") -> None:
    """Refuse, naming each, the fields a caller may not set through this service."""
    unknown = set(given) - set(allowed)
    if unknown:
        raise ValidationFailed({name: [problem] for name in sorted(unknown)})


def luhn_digit(body: str) -> str:
    """The Luhn check digit completing `body` (digits only)."""
    total = 0
    for i, char in enumerate(reversed(body)):
        digit = int(char) * (2 if i % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str(-total % 10)


def _luhn_number(field: str, value: str, lengths: tuple[int, ...], what: str) -> str:
    digits = "".join(value.split()).replace("-", "")
    if not digits.isdigit() or len(digits) not in lengths:
        raise ValidationFailed.one(field, f"an {what} is {' or '.join(map(str, lengths))} digits, not {value!r}")
    if luhn_digit(digits[:-1]) != digits[-1]:
        raise ValidationFailed.one(field, f"{digits} is not a valid {what}: its check digit is wrong")
    return digits


def check_imei(value: str) -> str:
    """The IMEI without spaces or dashes; 15 digits with a Luhn check digit."""
    return _luhn_number("imei", value, (15,), "IMEI")


def check_iccid(value: str) -> str:
    """The ICCID without spaces; 19 or 20 digits with a Luhn check digit."""
    return _luhn_number("iccid", value, (19, 20), "ICCID")


def _ci_attributes(device: Device) -> dict[str, Any]:
    """The CI's view of the device; None (removed from the CI) where the device has nothing."""
    model = f"{device.make} {device.model}".strip()
    assigned = device.person.username if device.person else ""
    attributes = {"imei": device.imei, "serial": device.serial, "model": model, "assigned_to": assigned}
    return {k: v or None for k, v in attributes.items()}


def _ci_name(device: Device) -> str:
    return device.name or str(device)


def history(device: Device, actor: Actor, kind: str, **fields: Any) -> DeviceEvent:
    """One row of the device's own history, with its status after the step."""
    return DeviceEvent.objects.create(device=device, kind=kind, actor_label=actor.label, status=device.status, **fields)


def device_register(
    *, actor: Actor, organisation: Organisation, support_team: Team | None = None, **fields: Any
) -> Device:
    """Record a device and its CI (owned by `organisation`, supported by `support_team`, the supplier's team)."""
    only_fields(fields, DEVICE_FIELDS + FACT_FIELDS, "is not a device field")
    if fields.get("imei"):
        fields["imei"] = check_imei(fields["imei"])
    if not fields.get("imei") and not fields.get("serial"):
        raise ValidationFailed.one("imei", "a device needs an IMEI or a serial number")
    if support_team is not None and "supplier" not in fields:
        fields["supplier"] = support_team.organisation
    device = Device(organisation=organisation, **fields)
    ensure_can(actor, MANAGE_FLEET, device)
    validate(device, exclude=["ci"])
    with transaction.atomic():
        device.ci = ci_create(
            actor=actor,
            ci_class="mobile_device",
            name=_ci_name(device),
            attributes={k: v for k, v in _ci_attributes(device).items() if v},
            owner=organisation,
            support_team=support_team,
        )
        device.save(force_insert=True)
        history(device, actor, "registered", person=device.person)
        audit.record(actor, "mobile.device.registered", device, after=audit.snapshot(device, DEVICE_FIELDS))
        events.emit("mobile.device.registered", key=str(device.id), device_id=str(device.id))
    return device


def device_update(
    *,
    actor: Actor,
    device: Device,
    changes: dict[str, Any],
    expected_version: int | None = None,
    kind: str = "updated",
    note: str = "",
    ticket_id: Any = None,
    data: dict[str, Any] | None = None,
) -> Device:
    """Change a device's fields; its CI's name and attributes follow. `kind`, `note`, `ticket_id` and `data`
    describe the step on the device's history row."""
    ensure_can(actor, MANAGE_FLEET, device)
    only_fields(changes, DEVICE_FIELDS)
    if changes.get("imei"):
        changes = {**changes, "imei": check_imei(changes["imei"])}
    with transaction.atomic():
        before, after = apply_changes(device, changes, expected_version=expected_version)
        if not after:
            return device
        validate(device, exclude=["ci"])
        if device.ci is not None:
            ci_update(actor=actor, ci=device.ci, changes={"name": _ci_name(device)}, attributes=_ci_attributes(device))
        step = {"changed": sorted(after), **(data or {})}
        history(device, actor, kind, person=device.person, note=note, ticket_id=ticket_id, data=step)
        audit.record(actor, f"mobile.device.{kind}", device, before=before, after=after)
        events.emit(f"mobile.device.{kind}", key=str(device.id), device_id=str(device.id))
    return device


def device_assign(
    *, actor: Actor, device: Device, person: Person | None = None, team: Team | None = None, note: str = ""
) -> Device:
    """Issue the device to a person and/or team: status issued, and the CI shows who has it."""
    if person is None and team is None:
        raise ValidationFailed.one("person", "issue the device to a person, a team or both")
    if device.status in (DeviceStatus.LOST, DeviceStatus.STOLEN, DeviceStatus.RETIRED):
        raise ValidationFailed.one("status", f"a {device.get_status_display().lower()} device cannot be issued")
    changes = {"person": person, "team": team, "status": DeviceStatus.ISSUED}
    return device_update(actor=actor, device=device, changes=changes, kind="issued", note=note)


def sim_register(*, actor: Actor, organisation: Organisation, iccid: str, **fields: Any) -> SimCard:
    """Record a SIM and its line (the operator is the network organisation that runs it)."""
    only_fields(fields, SIM_FIELDS, "is not a SIM field")
    sim = SimCard(organisation=organisation, iccid=check_iccid(iccid), **fields)
    ensure_can(actor, MANAGE_FLEET, sim)
    validate(sim)
    with transaction.atomic():
        sim.save(force_insert=True)
        audit.record(actor, "mobile.sim.registered", sim, after=audit.snapshot(sim, SIM_FIELDS))
        if sim.device is not None:
            _sim_attached(actor, sim.device, sim)
    return sim


def sim_attach(*, actor: Actor, sim: SimCard, device: Device | None) -> SimCard:
    """Put the SIM in `device` (None: take it out); the device's CI carries the line's number."""
    ensure_can(actor, MANAGE_FLEET, sim)
    if device is not None:
        ensure_can(actor, MANAGE_FLEET, device)
    with transaction.atomic():
        previous = sim.device
        before, after = apply_changes(sim, {"device": device})
        if after:
            audit.record(actor, "mobile.sim.attached", sim, before=before, after=after)
            if previous is not None:
                _sim_attached(actor, previous, None)
            if device is not None:
                _sim_attached(actor, device, sim)
    return sim


def _sim_attached(actor: Actor, device: Device, sim: SimCard | None) -> None:
    history(device, actor, "sim_attached" if sim else "sim_removed", note=str(sim or ""))
    if device.ci is not None:
        ci_update(actor=actor, ci=device.ci, changes={}, attributes={"msisdn": sim.msisdn if sim else None})


def accessory_register(*, actor: Actor, organisation: Organisation, kind: str, **fields: Any) -> Accessory:
    """Record a case, charger, cradle or mount, issued with a device or to a person or held in stock."""
    accessory = Accessory(organisation=organisation, kind=kind.strip(), **fields)
    ensure_can(actor, MANAGE_FLEET, accessory)
    validate(accessory)
    with transaction.atomic():
        accessory.save(force_insert=True)
        after = audit.snapshot(accessory, ["kind", "serial", "device", "person", "status"])
        audit.record(actor, "mobile.accessory.registered", accessory, after=after)
    return accessory
