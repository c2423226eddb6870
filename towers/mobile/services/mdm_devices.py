"""The Device side of an MDM import: one batch of rows, their CIs known, written with a handful of queries.

Called by towers.mobile.services.mdm_import inside its batch transaction; never on its own (it checks nothing).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.permissions import visible_to
from towers.mobile.mdm_formats import MdmRow
from towers.mobile.models import Device, DeviceEvent, DeviceStatus, MdmImport, SimCard
from towers.organisations.models import Organisation, Person, Team

DEVICE_FIELDS = (
    *("imei", "serial", "mdm_id", "name", "make", "model", "platform", "os_version", "ownership"),
    *("encrypted", "passcode", "jailbroken", "last_check_in", "enrolled_at"),
)
# What people recorded about these outranks what the MDM last saw.
KEPT = {DeviceStatus.LOST, DeviceStatus.STOLEN, DeviceStatus.RETIRED}


class DeviceWriter:
    """Collects the row-level report and the imported devices across the batches of one run."""

    def __init__(
        self,
        actor: Actor,
        organisation: Organisation,
        supplier: Organisation | None,
        run: MdmImport,
        support_team: Team | None = None,
    ):
        self.actor, self.organisation, self.supplier, self.run = actor, organisation, supplier, run
        self.support_team = support_team
        self._operators: dict[str, Organisation | None] = {}
        self.report: list[dict[str, Any]] = []
        self.devices: list[Device] = []

    def write(self, rows: list[MdmRow], cis: dict[int, tuple[UUID, str]]) -> None:
        now = timezone.now()
        existing = self._existing(rows, cis)
        people = self._people(rows)
        new, changed, fields, taken = [], [], {"updated_at", "version"}, set()
        placed: dict[int, Device] = {}
        for row in rows:
            entry = _entry(row)
            self.report.append(entry)
            if row.line not in cis:
                continue
            ci, ci_outcome = cis[row.line]
            entry["ci"] = str(ci)
            device = _match(row, ci, existing)
            if device is not None and (device.organisation_id != self.organisation.pk or device.pk in taken):
                why = "the device is recorded for another organisation" if device.pk not in taken else "twice"
                entry.update(outcome="rejected", problems={"device": [why]})
                continue
            person = _person(row, people)
            if _user(row) and person is None:
                entry["notes"].append(f"no person you can see is {_user(row)}: the holder is left as it was")
            if device is None:
                device = self._new(row, ci, person, now)
                new.append(device)
                entry["outcome"] = "created"
            else:
                entry["changes"] = changes = self._update(device, row, ci, person)
                if changes:
                    device.updated_at, device.version = now, device.version + 1
                    fields.update(changes)
                    changed.append(device)
                entry["outcome"] = "updated" if changes or ci_outcome == "updated" else "unchanged"
            taken.add(device.pk)
            entry["device"] = str(device.pk)
            placed[row.line] = device
            self.devices.append(device)
        Device.objects.bulk_create(new)
        if changed:
            Device.objects.bulk_update(changed, sorted(fields))
        DeviceEvent.objects.bulk_create(
            DeviceEvent(device=d, kind="imported", actor_label=self.actor.label, status=d.status, person=d.person,
                        note=f"{self.run.filename}", data={"import": str(self.run.pk)}) for d in new
        )  # fmt: skip
        self._sims(rows, placed)

    def _existing(self, rows: list[MdmRow], cis: dict[int, tuple[UUID, str]]) -> dict[tuple[str, Any], Device]:
        imeis = [r.values["imei"] for r in rows if r.values.get("imei")]
        serials = [r.values["serial"] for r in rows if r.values.get("serial")]
        mine = Q(organisation=self.organisation) & (Q(imei__in=imeis) | Q(serial__in=serials))
        found: dict[tuple[str, Any], Device] = {}
        for device in Device.objects.filter(Q(ci_id__in=[ci for ci, _ in cis.values()]) | mine):
            found[("ci", device.ci_id)] = device
            found.setdefault(("imei", device.imei), device)
            found.setdefault(("serial", device.serial), device)
        return found

    def _people(self, rows: list[MdmRow]) -> dict[str, Person]:
        wanted = {v for r in rows for v in (r.values.get("user_upn"), r.values.get("user_email")) if v}
        if not wanted:
            return {}
        people = visible_to(self.actor, Person.objects).annotate(
            lower_email=Lower("email"), lower_name=Lower("username")
        )
        found: dict[str, Person] = {}
        for person in people.filter(Q(lower_email__in=wanted) | Q(lower_name__in=wanted)):
            found[person.lower_email] = found[person.lower_name] = person
        return found

    def _new(self, row: MdmRow, ci: UUID, person: Person | None, now: Any) -> Device:
        values = {name: row.values[name] for name in DEVICE_FIELDS if name in row.values}
        status = DeviceStatus.ISSUED if person else DeviceStatus.IN_STOCK
        return Device(organisation=self.organisation, supplier=self.supplier, ci_id=ci, person=person, status=status,
                      created_at=now, updated_at=now, **values)  # fmt: skip

    def _update(self, device: Device, row: MdmRow, ci: UUID, person: Person | None) -> list[str]:
        wanted: dict[str, Any] = {name: row.values[name] for name in DEVICE_FIELDS if name in row.values}
        wanted["ci_id"] = ci
        if person is not None:
            wanted["person_id"] = person.pk
            if device.status == DeviceStatus.IN_STOCK:
                wanted["status"] = DeviceStatus.ISSUED
        if self.supplier is not None and device.supplier_id is None:
            wanted["supplier_id"] = self.supplier.pk
        changes = [name for name, value in wanted.items() if getattr(device, name) != value]
        for name in changes:
            setattr(device, name, wanted[name])
        return [name.removesuffix("_id") for name in changes]

    def _sims(self, rows: list[MdmRow], placed: dict[int, Device]) -> None:
        """The SIM in each device, by ICCID: created, or moved to the device the MDM now sees it in."""
        wanted = {r.values["iccid"]: r for r in rows if r.values.get("iccid") and r.line in placed}
        if not wanted:
            return
        existing = {s.iccid: s for s in SimCard.objects.filter(iccid__in=list(wanted))}
        new, changed = [], []
        for iccid, row in wanted.items():
            device, msisdn = placed[row.line], row.values.get("msisdn", "")
            sim = existing.get(iccid)
            if sim is None:
                operator = self._operator(row.values.get("carrier", ""))
                new.append(
                    SimCard(
                        organisation=self.organisation, iccid=iccid, msisdn=msisdn, device=device, operator=operator
                    )
                )
            elif sim.organisation_id == self.organisation.pk and (sim.device_id, sim.msisdn) != (device.pk, msisdn):
                sim.device, sim.msisdn, sim.updated_at = device, msisdn or sim.msisdn, timezone.now()
                changed.append(sim)
        SimCard.objects.bulk_create(new)
        SimCard.objects.bulk_update(changed, ["device", "msisdn", "updated_at"])

    def _operator(self, carrier: str) -> Organisation | None:
        """The network operator the MDM names ("Airwave" for Airwave Mobile Operator), among visible organisations."""
        key = carrier.strip().lower()
        if key and key not in self._operators:
            visible = visible_to(self.actor, Organisation.objects)
            self._operators[key] = (
                visible.filter(Q(code__iexact=key) | Q(name__iexact=key)).first()
                or visible.filter(name__istartswith=key).order_by("name").first()
            )
        return self._operators.get(key)


def _entry(row: MdmRow) -> dict[str, Any]:
    values = row.values
    return {
        "line": row.line,
        **{name: values.get(name, "") for name in ("imei", "serial", "mdm_id", "name")},
        "outcome": "rejected" if row.problems else "unchanged",
        "problems": row.problems,
        "notes": [],
        "changes": [],
        "ci": None,
        "device": None,
    }


def _match(row: MdmRow, ci: UUID, existing: dict[tuple[str, Any], Device]) -> Device | None:
    for key in (("ci", ci), ("imei", row.values.get("imei")), ("serial", row.values.get("serial"))):
        if key[1] and key in existing:
            return existing[key]
    return None


def _user(row: MdmRow) -> str:
    return str(row.values.get("user_upn") or row.values.get("user_email") or "")


def _person(row: MdmRow, people: dict[str, Person]) -> Person | None:
    return people.get(row.values.get("user_upn", "")) or people.get(row.values.get("user_email", ""))
