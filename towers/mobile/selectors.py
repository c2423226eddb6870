"""Reads of the fleet, already restricted to the actor: devices, SIMs, accessories, rules and non-compliance."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from towers.core.actor import Actor
from towers.mobile.access import fleet_get, fleet_visible
from towers.mobile.models import Accessory, Compliance, ComplianceRule, Device, DeviceEvent, SimCard

DEVICE_RELATED = ("organisation", "supplier", "person", "team__organisation", "ci")


@dataclass(frozen=True)
class DeviceFilters:
    """Every field optional; `q` searches IMEI, serial, name and the number of any SIM in the device."""

    status: str = ""
    platform: str = ""
    model: str = ""
    compliance: str = ""
    team: UUID | str | None = None
    person: UUID | str | None = None
    q: str = ""

    def apply(self, devices: QuerySet[Device]) -> QuerySet[Device]:
        exact = {
            "status": self.status,
            "platform": self.platform,
            "model": self.model,
            "compliance": self.compliance,
            "team_id": self.team,
            "person_id": self.person,
        }
        devices = devices.filter(**{field: value for field, value in exact.items() if value})
        text = self.q.strip()
        if text:
            by_number = SimCard.objects.filter(device=OuterRef("pk"), msisdn__icontains=text)
            devices = devices.filter(
                Q(imei__icontains=text) | Q(serial__icontains=text) | Q(name__icontains=text) | Exists(by_number)
            )
        return devices


def device_list(*, actor: Actor, filters: DeviceFilters | None = None) -> QuerySet[Device]:
    devices = fleet_visible(actor, Device.objects).select_related(*DEVICE_RELATED)
    return (filters or DeviceFilters()).apply(devices)


def device_get(*, actor: Actor, id: UUID | str) -> Device:
    """One device with its SIMs, accessories and history (visible ones only), or NotFound."""
    queryset = Device.objects.select_related(*DEVICE_RELATED).prefetch_related(
        Prefetch("sims", queryset=fleet_visible(actor, SimCard.objects).select_related("operator")),
        Prefetch("accessories", queryset=fleet_visible(actor, Accessory.objects)),
        Prefetch(
            "events", queryset=fleet_visible(actor, DeviceEvent.objects).select_related("person").order_by("-at", "-id")
        ),
    )
    return fleet_get(actor, queryset, pk=id)


def non_compliant_list(*, actor: Actor, filters: DeviceFilters | None = None) -> QuerySet[Device]:
    return device_list(actor=actor, filters=filters).filter(compliance=Compliance.NON_COMPLIANT)


def sim_list(*, actor: Actor, device: Device | None = None, q: str = "") -> QuerySet[SimCard]:
    sims = fleet_visible(actor, SimCard.objects).select_related("operator", "device")
    if device is not None:
        sims = sims.filter(device=device)
    if q.strip():
        sims = sims.filter(Q(iccid__icontains=q.strip()) | Q(msisdn__icontains=q.strip()))
    return sims


def sims_for(*, actor: Actor, device: Device) -> QuerySet[SimCard]:
    return sim_list(actor=actor, device=device)


def sim_get(*, actor: Actor, id: UUID | str) -> SimCard:
    return fleet_get(actor, SimCard.objects.select_related("operator", "device"), pk=id)


def rule_list(*, actor: Actor, active: bool | None = None) -> QuerySet[ComplianceRule]:
    rules = fleet_visible(actor, ComplianceRule.objects).select_related("organisation", "ticket_team")
    return rules if active is None else rules.filter(active=active)


def rule_get(*, actor: Actor, id: UUID | str) -> ComplianceRule:
    return fleet_get(actor, ComplianceRule.objects.select_related("organisation", "ticket_team"), pk=id)


def accessory_list(*, actor: Actor, device: UUID | None = None, q: str = "") -> QuerySet[Accessory]:
    accessories = fleet_visible(actor, Accessory.objects).select_related("device", "person").order_by("kind", "serial")
    if device is not None:
        accessories = accessories.filter(device_id=device)
    if q.strip():
        accessories = accessories.filter(Q(kind__icontains=q.strip()) | Q(serial__icontains=q.strip()))
    return accessories
