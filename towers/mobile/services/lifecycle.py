"""A device's life after registration: issue, swap (a courier delivers the replacement and collects the old one),
repair, refresh by age or end of support, and retirement with evidence that its data was destroyed.

Swaps, repairs and refreshes are steps: a task ticket goes to the owner's logistics or repair team, and the device
moves when that ticket is done, wherever it was done (`on_done` effects below, called from the handler). Retiring
is for the owner's or the supplier's administrators and service managers (CONFIGURE_FLEET), not every resolver:
it cannot be undone and it signs off the data's destruction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from towers.cmdb.models import Lifecycle
from towers.cmdb.services.items import ci_update
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can, permitted
from towers.mobile.models import (
    Device,
    DeviceStatus,
    DeviceTask,
    MobileSettings,
    SimCard,
    TaskPurpose,
    WipeEvidence,
    WipeMethod,
)
from towers.mobile.policies import CONFIGURE_FLEET, MANAGE_FLEET
from towers.mobile.selectors_lifecycle import refresh_due, refresh_reasons
from towers.mobile.services.devices import device_update, history, sim_attach
from towers.mobile.services.tasks import (
    DONE_STATES,
    LIFECYCLE,
    device_task_finished,
    device_task_raise,
    on_done,
    settings_for,
)
from towers.organisations.models import Person, Team
from towers.servicedesk.models import State, Ticket
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.tickets import ticket_transition

SWAP_REASONS = ("fault", "damage", "refresh", "upgrade")
TO_REPAIR = ("fault", "damage")  # the old device of these swaps goes for repair; of the others, back to stock
REPAIR_OUTCOMES = ("repaired", "beyond_repair")
NEEDS_CERTIFICATE = (WipeMethod.CERTIFIED_ERASURE, WipeMethod.DESTRUCTION)
MISSING = (DeviceStatus.LOST, DeviceStatus.STOLEN)
MAX_DOCUMENT = 20 * 1024 * 1024
EVIDENCE_FIELDS = ["device", "method", "performed_at", "performed_by", "certificate", "sha256", "task"]


def _who(device: Device) -> str:
    if device.person is not None:
        return device.person.get_full_name() or device.person.username
    return device.team.name if device.team is not None else "nobody"


def _label(device: Device) -> str:
    return device.name or str(device)


def _move(
    actor: Actor,
    device: Device,
    changes: dict[str, Any],
    kind: str,
    *,
    note: str = "",
    ticket: Ticket | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Change the device through device_update (CI, audit, event, one history row carrying the step's note and
    ticket); a step that changes nothing is still written to the history."""
    version, ticket_id = device.version, ticket.id if ticket is not None else None
    device_update(actor=actor, device=device, changes=changes, kind=kind, note=note, ticket_id=ticket_id, data=data)
    if device.version == version:
        history(device, actor, kind, note=note, ticket_id=ticket_id, data=data or {})


def _open_tasks(device: Device) -> QuerySet[DeviceTask]:
    """Open steps of the device, or steps that promise it as another device's replacement."""
    return DeviceTask.objects.filter(Q(device=device) | Q(replacement=device), finished_at__isnull=True)


def _reserved(device: Device) -> DeviceTask | None:
    return (
        DeviceTask.objects.filter(replacement=device, finished_at__isnull=True, purpose=TaskPurpose.COURIER)
        .select_related("ticket")
        .first()
    )


def device_issue(
    *, actor: Actor, device: Device, person: Person | None = None, team: Team | None = None, note: str = ""
) -> Device:
    """Issue an in-stock device (or re-issue an issued one) to a person and/or team."""
    ensure_can(actor, MANAGE_FLEET, device)
    if person is None and team is None:
        raise ValidationFailed.one("person", "issue the device to a person, a team or both")
    if device.status not in (DeviceStatus.IN_STOCK, DeviceStatus.ISSUED):
        raise ValidationFailed.one("device", f"a device {device.get_status_display().lower()} cannot be issued")
    if device.status == DeviceStatus.ISSUED and (device.person, device.team) == (person, team):
        raise ValidationFailed.one("person", f"{_label(device)} is already issued to {_who(device)}")
    reserved = _reserved(device)
    if reserved is not None:
        raise ValidationFailed.one("device", f"{_label(device)} is promised to a swap ({reserved.ticket.reference})")
    changes = {"person": person, "team": team, "status": DeviceStatus.ISSUED}
    with transaction.atomic():
        _move(actor, device, changes, "issued", note=note.strip())
    return device


def device_swap(*, actor: Actor, device: Device, replacement: Device, reason: str, note: str = "") -> DeviceTask:
    """Raise the courier step that delivers `replacement` to whoever has `device` and collects `device`."""
    ensure_can(actor, MANAGE_FLEET, device)
    ensure_can(actor, MANAGE_FLEET, replacement)
    if reason not in SWAP_REASONS:
        raise ValidationFailed.one("reason", f"choose one of {', '.join(SWAP_REASONS)}")
    if device.status != DeviceStatus.ISSUED or (device.person_id is None and device.team_id is None):
        raise ValidationFailed.one("device", f"only an issued device is swapped; {_label(device)} is {device.status}")
    if _open_tasks(device).filter(purpose=TaskPurpose.COURIER).exists():
        raise ValidationFailed.one("device", f"{_label(device)} already has a swap under way")
    if replacement.pk == device.pk or replacement.organisation_id != device.organisation_id:
        raise ValidationFailed.one("replacement", "choose another device of the same owner")
    if replacement.status != DeviceStatus.IN_STOCK:
        raise ValidationFailed.one("replacement", f"{_label(replacement)} is not in stock ({replacement.status})")
    reserved = _reserved(replacement)
    if reserved is not None:
        raise ValidationFailed.one("replacement", f"{_label(replacement)} is promised to {reserved.ticket.reference}")
    settings = settings_for(device.organisation)
    title = f"Deliver {_label(replacement)} to {_who(device)}, collect {_label(device)}"
    description = "\n".join(
        line
        for line in (
            f"Swap for {reason}: deliver {replacement} (IMEI {replacement.imei or '—'}) and collect {device}.",
            "Collected devices that are faulty or damaged go for repair; the others back to stock.",
            note.strip(),
        )
        if line
    )
    with transaction.atomic():
        task = device_task_raise(
            device=device,
            purpose=TaskPurpose.COURIER,
            title=title,
            description=description,
            team=settings.logistics_team,
            service=settings.lifecycle_service,
            replacement=replacement,
            data={"reason": reason, "note": note.strip()},
        )
        history(replacement, actor, "reserved", ticket_id=task.ticket_id, note=f"Replaces {_label(device)}")
        after = {"replacement": str(replacement.pk), "reason": reason, "task": task.ticket.reference}
        audit.record(actor, "mobile.device.swap_requested", device, after=after)
        events.emit("mobile.device.swap_requested", key=str(device.pk), device_id=str(device.pk), reason=reason)
    return task


@on_done(TaskPurpose.COURIER)
def _delivered(task: DeviceTask, ticket: Ticket) -> None:
    """The replacement is with the person: it takes over their lines; the old device goes to repair or stock."""
    old, new = task.device, task.replacement
    reason = str(task.data.get("reason", ""))
    if new is None or new.status != DeviceStatus.IN_STOCK or old.status != DeviceStatus.ISSUED:
        note = "The swap's devices changed meanwhile: check them and move them by hand."
        history(old, LIFECYCLE, "swap_not_applied", ticket_id=ticket.id, note=f"{ticket.reference}: {note}")
        return
    handover = {"person": old.person, "team": old.team, "status": DeviceStatus.ISSUED}
    _move(LIFECYCLE, new, handover, "swapped_in", note=f"Replaces {_label(old)} ({reason})", ticket=ticket)
    for sim in old.sims.filter(status=SimCard.Status.ACTIVE):
        sim_attach(actor=LIFECYCLE, sim=sim, device=new)
    status = DeviceStatus.IN_REPAIR if reason in TO_REPAIR else DeviceStatus.IN_STOCK
    collected = {"status": status, "person": None, "team": None}
    _move(LIFECYCLE, old, collected, "swapped_out", note=f"Replaced by {_label(new)} ({reason})", ticket=ticket)
    if reason in TO_REPAIR:
        fault = f"{reason.capitalize()} reported at the swap ({ticket.reference}). {task.data.get('note', '')}"
        _raise_repair(old, fault.strip(), settings_for(old.organisation), parent=ticket)


def _raise_repair(device: Device, fault: str, settings: MobileSettings, parent: Ticket | None = None) -> DeviceTask:
    return device_task_raise(
        device=device,
        purpose=TaskPurpose.REPAIR,
        title=f"Repair {_label(device)}: {fault[:120]}",
        description=f"Repair {device} (IMEI {device.imei or '—'}, serial {device.serial or '—'}). Fault: {fault}",
        team=settings.repair_team,
        service=settings.lifecycle_service,
        parent=parent,
        data={"fault": fault},
    )


def device_send_to_repair(*, actor: Actor, device: Device, fault: str, note: str = "") -> DeviceTask:
    """The device goes in for repair (status in_repair) and a repair step goes to the owner's repair team."""
    ensure_can(actor, MANAGE_FLEET, device)
    if not fault.strip():
        raise ValidationFailed.one("fault", "say what is wrong with the device")
    if device.status not in (DeviceStatus.IN_STOCK, DeviceStatus.ISSUED):
        raise ValidationFailed.one("device", f"a device {device.get_status_display().lower()} cannot go for repair")
    if _open_tasks(device).exists():
        raise ValidationFailed.one("device", f"{_label(device)} has a step under way: finish or cancel it first")
    with transaction.atomic():
        _move(actor, device, {"status": DeviceStatus.IN_REPAIR}, "sent_to_repair", note=fault.strip())
        task = _raise_repair(device, f"{fault.strip()} {note.strip()}".strip(), settings_for(device.organisation))
    return task


@on_done(TaskPurpose.REPAIR)
def _repaired(task: DeviceTask, ticket: Ticket) -> None:
    outcome = task.data.get("outcome") or ("beyond_repair" if ticket.resolution_code == "beyond_repair" else "")
    _repair_outcome(LIFECYCLE, task.device, str(outcome or "repaired"), ticket=ticket, task=task)


def _repair_outcome(
    actor: Actor, device: Device, outcome: str, *, ticket: Ticket | None, task: DeviceTask | None, note: str = ""
) -> None:
    if task is not None and task.data.get("outcome") != outcome:
        task.data = {**task.data, "outcome": outcome}
        task.save(update_fields=["data"])
    if device.status != DeviceStatus.IN_REPAIR:  # lost or retired meanwhile: only the record
        history(device, actor, "repair_done", ticket_id=ticket.id if ticket else None, note=outcome)
        return
    reference = f" ({ticket.reference})" if ticket else ""
    if outcome == "beyond_repair":
        # It stays in repair, kept for retirement with its data-wipe evidence.
        text = f"Beyond economic repair{reference}: retire it with its data-wipe evidence. {note}".strip()
        history(device, actor, "beyond_repair", ticket_id=ticket.id if ticket else None, note=text)
        audit.record(actor, "mobile.device.beyond_repair", device, after={"outcome": outcome})
        events.emit("mobile.device.beyond_repair", key=str(device.pk), device_id=str(device.pk))
        return
    back = {"status": DeviceStatus.IN_STOCK, "person": None, "team": None}
    _move(actor, device, back, "repaired", note=f"Repaired{reference}. {note}".strip(), ticket=ticket)


def _resolution_code(outcome: str) -> str:
    codes = desk_settings().resolution_codes or []
    wanted = "beyond_repair" if outcome == "beyond_repair" else "fixed"
    if not codes or wanted in codes:
        return wanted
    return "fixed" if "fixed" in codes else codes[0]


def device_repair_return(*, actor: Actor, device: Device, outcome: str = "repaired", note: str = "") -> Device:
    """Record the repair's outcome now: its open repair step is resolved, and the device follows at once."""
    ensure_can(actor, MANAGE_FLEET, device)
    if outcome not in REPAIR_OUTCOMES:
        raise ValidationFailed.one("outcome", f"choose one of {', '.join(REPAIR_OUTCOMES)}")
    if device.status != DeviceStatus.IN_REPAIR:
        raise ValidationFailed.one("device", f"{_label(device)} is not in repair")
    task = device.tasks.filter(purpose=TaskPurpose.REPAIR, finished_at__isnull=True).select_related("ticket").first()
    with transaction.atomic():
        applied = False
        if task is not None:
            task.data = {**task.data, "outcome": outcome}
            task.save(update_fields=["data"])
            if task.ticket.is_open:
                words = "Returned repaired" if outcome == "repaired" else "Beyond economic repair"
                ticket_transition(
                    actor=LIFECYCLE,
                    ticket=task.ticket,
                    state=State.RESOLVED,
                    resolution_code=_resolution_code(outcome),
                    resolution_notes=f"{words} ({actor.label}). {note}".strip(),
                )
            # Applied now rather than when the outbox is delivered; the handler then finds it finished.
            applied = task.ticket.state in DONE_STATES and device_task_finished(task=task, ticket=task.ticket)
        if not applied:
            _repair_outcome(actor, device, outcome, ticket=None, task=None, note=note.strip())
        audit.record(actor, "mobile.device.repair_returned", device, after={"outcome": outcome, "note": note})
        events.emit("mobile.device.repair_returned", key=str(device.pk), device_id=str(device.pk), outcome=outcome)
    device.refresh_from_db()
    return device


def devices_refresh_raise(*, actor: Actor, devices: Iterable[Device] | None = None, today: date | None = None) -> int:
    """Raise a refresh step for each of `devices` (None: every due one the actor manages) that is due and has none
    open; how many were raised."""
    today = today or timezone.localdate()
    if devices is None:
        wanted = list(permitted(actor, MANAGE_FLEET, refresh_due(actor=actor, today=today)))
    else:
        wanted = list(devices)
        for device in wanted:
            ensure_can(actor, MANAGE_FLEET, device)
    listed = refresh_due(actor=actor, today=today, ids=[d.pk for d in wanted])
    due = [d for d in listed if not getattr(d, "refresh_open", False)]
    settings: dict[Any, MobileSettings] = {}
    with transaction.atomic():
        for device in due:
            routing = settings.setdefault(device.organisation_id, settings_for(device.organisation))
            reasons = refresh_reasons(device)
            task = device_task_raise(
                device=device,
                purpose=TaskPurpose.REFRESH,
                title=f"Refresh {_label(device)} ({_who(device)})",
                description=f"{device} is due a refresh: {'; '.join(reasons)}.",
                team=routing.logistics_team,
                service=routing.lifecycle_service,
                data={"reasons": reasons},
            )
            audit.record(actor, "mobile.device.refresh_raised", device, after={"task": task.ticket.reference})
            events.emit("mobile.device.refresh_raised", key=str(device.pk), device_id=str(device.pk))
    return len(due)


@on_done(TaskPurpose.REFRESH)
def _refreshed(task: DeviceTask, ticket: Ticket) -> None:
    note = ticket.resolution_notes or ticket.reference
    history(task.device, LIFECYCLE, "refreshed", ticket_id=ticket.id, note=note, data=dict(task.data))


def _document(document: File | None) -> tuple[str, bytes] | None:
    if document is None:
        return None
    name = PurePath(str(document.name or "certificate").replace("\\", "/")).name or "certificate"
    data = document.read()
    if len(data) > MAX_DOCUMENT:
        raise ValidationFailed.one("document", f"{name} is {len(data):,} bytes; the limit is 20 MB")
    if not data:
        raise ValidationFailed.one("document", f"{name} is empty")
    return name[:200], data


def _check_evidence(method: str, performed_at: datetime | None, performed_by: str, certificate: str) -> None:
    if method not in WipeMethod.values:
        raise ValidationFailed.one("method", f"choose one of {', '.join(WipeMethod.values)}")
    if performed_at is None:
        raise ValidationFailed.one("performed_at", "say when the data was destroyed")
    if performed_at > timezone.now():
        raise ValidationFailed.one("performed_at", "cannot be in the future")
    if not performed_by.strip():
        raise ValidationFailed.one("performed_by", "name the engineer or the erasure company")


def device_retire(
    *,
    actor: Actor,
    device: Device,
    method: str = "",
    performed_at: datetime | None = None,
    performed_by: str = "",
    certificate: str = "",
    document: File | None = None,
    note: str = "",
) -> WipeEvidence:
    """Retire a returned device on evidence that its data is destroyed; its CI retires and its SIMs come out.

    A lost or stolen device may instead rest on the evidence its completed remote-wipe step left (no `method`).
    """
    ensure_can(actor, CONFIGURE_FLEET, device)
    if device.status == DeviceStatus.RETIRED:
        raise ValidationFailed.one("device", f"{_label(device)} is already retired")
    if device.status == DeviceStatus.ISSUED:
        raise ValidationFailed.one("device", f"{_label(device)} is issued to {_who(device)}: have it returned first")
    busy = _open_tasks(device).select_related("ticket").first()
    if busy is not None:
        step = f"{busy.get_purpose_display().lower()} step {busy.ticket.reference}"
        raise ValidationFailed.one("device", f"{_label(device)} has an open {step}: finish or cancel it first")
    evidence = None
    if not method and device.status in MISSING:
        evidence = device.wipe_evidence.filter(task__isnull=False).order_by("-performed_at").first()
    if evidence is None:
        if not method:
            raise ValidationFailed.one("method", "give the evidence that the device's data was destroyed")
        _check_evidence(method, performed_at, performed_by, certificate)
        if method in NEEDS_CERTIFICATE and not certificate.strip() and document is None:
            raise ValidationFailed.one("certificate", "this method needs the certificate's reference or the document")
    upload = _document(document) if evidence is None else None
    with transaction.atomic():
        if evidence is None:
            assert performed_at is not None
            evidence = WipeEvidence(
                device=device,
                method=method,
                performed_at=performed_at,
                performed_by=performed_by.strip(),
                certificate=certificate.strip(),
                recorded_by=actor.label,
            )
            if upload is not None:
                evidence.sha256 = hashlib.sha256(upload[1]).hexdigest()
                evidence.document.save(upload[0], ContentFile(upload[1]), save=False)
            evidence.save(force_insert=True)
            audit.record(
                actor, "mobile.wipe_evidence.recorded", evidence, after=audit.snapshot(evidence, EVIDENCE_FIELDS)
            )
        # The SIMs come out as part of the retirement the actor may make, even where the line's owner is not theirs.
        for sim in device.sims.all():
            sim_attach(actor=LIFECYCLE, sim=sim, device=None)
        retired = {"status": DeviceStatus.RETIRED, "person": None, "team": None}
        text = f"{evidence.get_method_display()} on {evidence.performed_at:%d %b %Y}. {note}".strip()
        _move(actor, device, retired, "retired", note=text, data={"evidence": str(evidence.pk)})
        if device.ci is not None:
            ci_update(actor=actor, ci=device.ci, changes={"lifecycle": Lifecycle.RETIRED})
        audit.record(actor, "mobile.device.retirement_evidence", device, after={"evidence": str(evidence.pk)})
    return evidence
