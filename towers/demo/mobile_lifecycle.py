"""The demo fleet's lifecycle, through the real services: devices in for repair (some back), swaps with their
courier steps (the older ones delivered), devices retired with erasure certificates, and the oldest phones due a
refresh with their refresh steps raised. Meridian's mobile service manager acts; its engineers do the steps.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from towers.core.actor import Actor, Channel
from towers.mobile.models import Device, DeviceStatus, DeviceTask
from towers.mobile.services.devices import device_update
from towers.mobile.services.lifecycle import (
    device_retire,
    device_send_to_repair,
    device_swap,
    devices_refresh_raise,
)
from towers.mobile.services.tasks import device_task_finished
from towers.organisations.models import Organisation, Person
from towers.organisations.selectors import actor_for
from towers.servicedesk.models import State
from towers.servicedesk.services.tickets import ticket_transition

COUNTS = {"small": (6, 4, 8, 6), "large": (40, 30, 60, 50)}  # repairs, swaps, retirements, refreshes
FAULTS = ["Cracked screen", "Will not charge", "Speaker crackles on calls", "Camera fails to focus", "Battery swells"]


def _actor(username: str, organisation: Organisation) -> Actor:
    return actor_for(Person.objects.get(username=username), organisation=organisation, channel=Channel.WEB)


def _done(task: DeviceTask, engineer: Actor, notes: str) -> None:
    """An engineer resolves the step; the worker's part (the device follows) is done here too."""
    ticket_transition(
        actor=engineer, ticket=task.ticket, state=State.RESOLVED, resolution_code="fixed", resolution_notes=notes
    )
    task.ticket.refresh_from_db()
    device_task_finished(task=task, ticket=task.ticket)


def _stock(authority: Organisation) -> list[Device]:
    spare = Device.objects.filter(organisation=authority, status=DeviceStatus.IN_STOCK)
    busy = DeviceTask.objects.filter(Q(device=OuterRef("pk")) | Q(replacement=OuterRef("pk")), finished_at=None)
    return list(spare.exclude(Exists(busy)).order_by("name"))


def seed_lifecycle(size: str, authority: Organisation) -> int:
    """Repairs, swaps, retirements and refreshes; how many steps were raised."""
    repairs, swaps, retirements, refreshes = COUNTS[size]
    meridian = Organisation.objects.get(code="meridian")
    manager, engineer = _actor("int.admin", meridian), _actor("mer-mobile.1", meridian)
    stock = _stock(authority)
    raised = 0
    for n, device in enumerate(stock[:repairs]):
        task = device_send_to_repair(actor=manager, device=device, fault=FAULTS[n % len(FAULTS)])
        raised += 1
        if n % 2 == 0:
            _done(task, engineer, "Part replaced by the repair centre; tested and returned to stock.")
    spares = iter(_stock(authority))  # what is left in stock, the repaired ones back among it
    issued = Device.objects.filter(organisation=authority, status=DeviceStatus.ISSUED, person__isnull=False)
    swapped = issued.exclude(person__username="officer").order_by("-name")[:swaps]
    for n, (device, replacement) in enumerate(zip(swapped, spares, strict=False)):
        reason = "fault" if n % 2 == 0 else "upgrade"
        task = device_swap(actor=manager, device=device, replacement=replacement, reason=reason)
        raised += 1
        if n < swaps // 2:
            _done(task, engineer, "Delivered to the officer at the station; old device collected.")
    for n, device in enumerate(list(spares)[:retirements]):
        device_retire(
            actor=manager,
            device=device,
            method="certified_erasure",
            performed_at=timezone.now() - timedelta(days=3 + n),
            performed_by="Northgate Secure Erasure Ltd",
            certificate=f"NSE-2026-{1180 + n:05d}",
        )
    # The oldest phones: bought four years ago, or a model whose security updates end next month.
    old = Device.objects.filter(organisation=authority, status=DeviceStatus.ISSUED).order_by("imei")[:refreshes]
    bought, support_ends = timezone.localdate() - timedelta(days=4 * 365), timezone.localdate() + timedelta(days=30)
    owner = _actor("admin", authority)  # the force's asset records: purchase dates and support ends
    for n, device in enumerate(old):
        change = {"purchased_on": bought} if n % 2 == 0 else {"end_of_support": support_ends}
        device_update(actor=owner, device=device, changes=change, kind="updated")
    raised += devices_refresh_raise(actor=manager, devices=list(old))
    return raised
