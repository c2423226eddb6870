"""REST routes of mobile services (thin): the lifecycle part — issue, swap, repair, refresh and retirement."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Status, UploadedFile
from ninja.pagination import paginate

from towers.core.api import Page, set_etag
from towers.mobile import selectors
from towers.mobile.models import Device
from towers.mobile.schemas_fleet import DeviceDetailOut
from towers.mobile.schemas_lifecycle import (
    DeviceIssueIn,
    DeviceRepairIn,
    DeviceRepairReturnIn,
    DeviceRetireIn,
    DeviceSwapIn,
    DeviceTaskOut,
    RefreshDueOut,
    RefreshRaisedOut,
    RefreshRaiseIn,
    WipeEvidenceOut,
)
from towers.mobile.selectors_lifecycle import device_tasks, refresh_due, wipe_evidence_list
from towers.mobile.services import lifecycle
from towers.organisations.selectors import person_get, team_get

router = Router(tags=["Mobile"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _device(request: HttpRequest, id: UUID) -> Device:
    return selectors.device_get(actor=_actor(request), id=id)


def _detail(request: HttpRequest, response: HttpResponse, device: Device) -> Device:
    device = selectors.device_get(actor=_actor(request), id=device.pk)
    set_etag(response, device)
    return device


@router.post("/mobile/devices/{id}/issue", response=DeviceDetailOut, summary="Issue an in-stock device")
def device_issue(request: HttpRequest, response: HttpResponse, id: UUID, body: DeviceIssueIn) -> Any:
    actor, device = _actor(request), _device(request, id)
    device = lifecycle.device_issue(
        actor=actor,
        device=device,
        person=person_get(actor=actor, id=body.person) if body.person else None,
        team=team_get(actor=actor, id=body.team) if body.team else None,
        note=body.note,
    )
    return _detail(request, response, device)


@router.post(
    "/mobile/devices/{id}/swap",
    response={201: DeviceTaskOut},
    summary="Swap for an in-stock device: raises the courier step; the devices move when it is done",
)
def device_swap(request: HttpRequest, id: UUID, body: DeviceSwapIn) -> Any:
    actor, device = _actor(request), _device(request, id)
    replacement = selectors.device_get(actor=actor, id=body.replacement)
    task = lifecycle.device_swap(
        actor=actor, device=device, replacement=replacement, reason=body.reason, note=body.note
    )
    return Status(201, task)


@router.post("/mobile/devices/{id}/repair", response={201: DeviceTaskOut}, summary="Send for repair")
def device_repair(request: HttpRequest, id: UUID, body: DeviceRepairIn) -> Any:
    device = _device(request, id)
    return Status(
        201, lifecycle.device_send_to_repair(actor=_actor(request), device=device, fault=body.fault, note=body.note)
    )


@router.post(
    "/mobile/devices/{id}/repair-return",
    response=DeviceDetailOut,
    summary="Back from repair (to stock), or beyond repair (kept for retirement)",
)
def device_repair_return(request: HttpRequest, response: HttpResponse, id: UUID, body: DeviceRepairReturnIn) -> Any:
    device = _device(request, id)
    device = lifecycle.device_repair_return(actor=_actor(request), device=device, outcome=body.outcome, note=body.note)
    return _detail(request, response, device)


@router.post(
    "/mobile/devices/{id}/retire",
    response=WipeEvidenceOut,
    summary="Retire a returned device on its data-wipe evidence (a lost one may rest on its wipe step's)",
)
def device_retire(request: HttpRequest, id: UUID, body: DeviceRetireIn) -> Any:
    device = _device(request, id)
    return lifecycle.device_retire(actor=_actor(request), device=device, **body.dict())


@router.post(
    "/mobile/devices/{id}/retire/file",
    response=WipeEvidenceOut,
    summary="Retire with the erasure or destruction certificate as a file (multipart)",
)
def device_retire_file(
    request: HttpRequest,
    id: UUID,
    document: File[UploadedFile | None] = None,
    method: Form[str] = "",
    performed_at: Form[datetime | None] = None,
    performed_by: Form[str] = "",
    certificate: Form[str] = "",
    note: Form[str] = "",
) -> Any:
    # Every field is optional here so that an unseen device is a 404 before its form is judged.
    device = _device(request, id)
    return lifecycle.device_retire(
        actor=_actor(request), device=device, method=method, performed_at=performed_at,
        performed_by=performed_by, certificate=certificate, document=document, note=note,
    )  # fmt: skip


@router.get("/mobile/devices/{id}/tasks", response=list[DeviceTaskOut], summary="The device's steps, newest first")
def device_task_list(request: HttpRequest, id: UUID) -> Any:
    return device_tasks(actor=_actor(request), device=_device(request, id))


@router.get("/mobile/devices/{id}/wipe-evidence", response=list[WipeEvidenceOut])
def device_wipe_evidence(request: HttpRequest, id: UUID) -> Any:
    return wipe_evidence_list(actor=_actor(request), device=_device(request, id))


@router.get("/mobile/refresh-due", response=list[RefreshDueOut], summary="Devices due a refresh, with the reasons")
@paginate(Page)
def refresh_due_list(request: HttpRequest, today: date | None = None) -> Any:
    return refresh_due(actor=_actor(request), today=today or timezone.localdate())


@router.post("/mobile/refresh-due/raise", response=RefreshRaisedOut, summary="Raise refresh steps for due devices")
def refresh_raise(request: HttpRequest, body: RefreshRaiseIn) -> Any:
    actor = _actor(request)
    devices = [selectors.device_get(actor=actor, id=pk) for pk in body.devices] if body.devices else None
    return {"raised": lifecycle.devices_refresh_raise(actor=actor, devices=devices)}
