"""REST routes of mobile services (thin): moving a SIM between devices, and accessories."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page
from towers.mobile import selectors
from towers.mobile.schemas_fleet import SimOut
from towers.mobile.schemas_inventory import AccessoryIn, AccessoryListOut, SimAttachIn
from towers.mobile.services import devices
from towers.organisations.selectors import organisation_get, person_get

router = Router(tags=["Mobile"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.post("/mobile/sims/{id}/attach", response=SimOut, summary="Put the SIM in a device, or take it out")
def sim_attach(request: HttpRequest, id: UUID, body: SimAttachIn) -> Any:
    actor = _actor(request)
    sim = selectors.sim_get(actor=actor, id=id)
    device = selectors.device_get(actor=actor, id=body.device) if body.device else None
    devices.sim_attach(actor=actor, sim=sim, device=device)
    return selectors.sim_get(actor=actor, id=id)


@router.get("/mobile/accessories", response=list[AccessoryListOut])
@paginate(Page)
def accessory_list(request: HttpRequest, device: UUID | None = None, q: str = "") -> Any:
    return selectors.accessory_list(actor=_actor(request), device=device, q=q)


@router.post("/mobile/accessories", response={201: AccessoryListOut})
def accessory_register(request: HttpRequest, body: AccessoryIn) -> Any:
    actor = _actor(request)
    accessory = devices.accessory_register(
        actor=actor,
        organisation=organisation_get(actor=actor, id=body.organisation),
        kind=body.kind,
        serial=body.serial,
        status=body.status,
        device=selectors.device_get(actor=actor, id=body.device) if body.device else None,
        person=person_get(actor=actor, id=body.person) if body.person else None,
    )
    return Status(201, selectors.accessory_list(actor=actor).get(pk=accessory.pk))
