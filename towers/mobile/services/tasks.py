"""Tickets raised for a device's steps (wipe, bar a line, courier, repair, refresh) and what their end does.

A step is an ordinary fulfilment task on the service desk, so it sits in the acting team's queue with the
clock of its service's levels, crosses to another supplier by hand-off, and is worked like any other ticket.
When it is resolved or cancelled (wherever that happened) the handler calls `device_task_finished`, and the
step's purpose decides what the device or its SIM does next.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.mobile.models import Device, DeviceTask, LossReport, MobileSettings, SimCard
from towers.mobile.services.devices import history
from towers.organisations.models import Organisation, Team
from towers.servicedesk.models import State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.services.tickets import ticket_create
from towers.servicedesk.services.timeline import record_event

LIFECYCLE = Actor.system("mobile-lifecycle")
DONE_STATES = (State.RESOLVED, State.CLOSED)
# purpose -> what the device (or SIM) does when the step is done; filled by the services that raise each step.
_on_done: dict[str, Callable[[DeviceTask, Ticket], None]] = {}


def on_done(purpose: str) -> Callable[[Callable[[DeviceTask, Ticket], None]], Callable[[DeviceTask, Ticket], None]]:
    def register(effect: Callable[[DeviceTask, Ticket], None]) -> Callable[[DeviceTask, Ticket], None]:
        _on_done[purpose] = effect
        return effect

    return register


def settings_for(organisation: Organisation | None) -> MobileSettings:
    """The owner's mobile settings; unsaved defaults (no teams, nothing routed) where it has none."""
    found = MobileSettings.objects.filter(organisation=organisation).first() if organisation else None
    return found or MobileSettings(organisation=organisation)


def device_task_raise(
    *,
    device: Device,
    purpose: str,
    title: str,
    description: str,
    team: Team | None,
    service: Service | None,
    parent: Ticket | None = None,
    impact: int = 3,
    urgency: int = 3,
    sim: SimCard | None = None,
    loss: LossReport | None = None,
    replacement: Device | None = None,
    data: dict[str, object] | None = None,
) -> DeviceTask:
    """Raise the step's ticket to `team` (routed by the desk's rules when None) and link it to the device."""
    with transaction.atomic():
        ticket = ticket_create(
            actor=LIFECYCLE,
            kind=TicketKind.TASK,
            title=title,
            description=description,
            impact=impact,
            urgency=urgency,
            service=service,
            cis=[device.ci] if device.ci else [],
            team=team,
            parent=parent,
        )
        task = DeviceTask.objects.create(
            device=device, ticket=ticket, purpose=purpose, sim=sim, loss=loss, replacement=replacement, data=data or {}
        )
        history(device, LIFECYCLE, f"{purpose}_raised", ticket_id=ticket.id, note=f"{ticket.reference} {title}")
        if parent is not None:
            holder = f" for {ticket.team.name} ({ticket.team.organisation.name})" if ticket.team else ""
            record_event(
                parent,
                TicketEvent.Kind.LINK,
                LIFECYCLE,
                body=f"Task {ticket.reference} “{title}” raised{holder}.",
                public=True,
                data={"task": str(ticket.id), "purpose": purpose},
            )
    return task


def device_task_finished(*, task: DeviceTask, ticket: Ticket) -> bool:
    """Apply the end of a step's ticket once: done (resolved or closed) or cancelled. False if not finished."""
    if task.finished_at is not None or ticket.state not in (*DONE_STATES, State.CANCELLED):
        return False
    with transaction.atomic():
        task = DeviceTask.objects.select_for_update(of=("self",)).select_related("device", "sim").get(pk=task.pk)
        if task.finished_at is not None:
            return False
        task.finished_at = timezone.now()
        task.outcome = "cancelled" if ticket.state == State.CANCELLED else "done"
        task.save(update_fields=["finished_at", "outcome"])
        if task.outcome == "done" and task.purpose in _on_done:
            _on_done[task.purpose](task, ticket)
        elif task.outcome == "cancelled":
            history(task.device, LIFECYCLE, f"{task.purpose}_cancelled", ticket_id=ticket.id, note=ticket.reference)
        audit.record(LIFECYCLE, f"mobile.task.{task.outcome}", task.device, after={"task": ticket.reference})
        events.emit(
            f"mobile.task.{task.outcome}", key=str(task.device_id), device_id=str(task.device_id), purpose=task.purpose
        )
    return True
