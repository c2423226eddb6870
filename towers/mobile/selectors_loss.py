"""Reads for lost and stolen devices, each within the actor's visibility."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Prefetch, QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.mobile.access import fleet_get, fleet_visible
from towers.mobile.models import Device, LossReport
from towers.servicedesk.access import is_requester_only


def my_devices(actor: Actor) -> QuerySet[Device]:
    """The devices issued to the actor themselves (what the portal shows them)."""
    if actor.person_id is None:
        return Device.objects.none()
    devices = visible_to(actor, Device.objects).filter(person_id=actor.person_id)
    return devices.select_related("organisation").prefetch_related("sims").order_by("name", "id")


def my_device_get(actor: Actor, id: UUID) -> Device:
    return get_visible(actor, my_devices(actor), pk=id)


def loss_list(actor: Actor, *, open_only: bool = False, device: UUID | None = None) -> QuerySet[LossReport]:
    """Losses the actor may read: an officer, only those of the devices issued to them."""
    if is_requester_only(actor):
        losses = visible_to(actor, LossReport.objects).filter(device__in=my_devices(actor))
    else:
        losses = fleet_visible(actor, LossReport.objects)
    losses = losses.select_related("device", "person", "incident", "security_case")
    if open_only:
        losses = losses.filter(found_at__isnull=True)
    if device is not None:
        losses = losses.filter(device_id=device)
    return losses.order_by("-created_at", "-id")


def loss_get(actor: Actor, id: UUID, *, prefetch: Prefetch | None = None) -> LossReport:
    losses = loss_list(actor)
    return get_visible(actor, losses.prefetch_related(prefetch) if prefetch else losses, pk=id)


def open_loss(device: Device) -> LossReport | None:
    """The device's report not yet closed by finding it."""
    return device.losses.filter(found_at__isnull=True).select_related("incident").first()


def device_for_loss(actor: Actor, id: UUID) -> Device:
    """The device a loss is reported for: an officer's own, or any the desk and the fleet's people may read."""
    return my_device_get(actor, id) if is_requester_only(actor) else fleet_get(actor, Device.objects, pk=id)
