"""REST routes of mobile services (thin): lost and stolen devices, and an owner's mobile settings."""

from typing import Any
from uuid import UUID

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version, set_etag
from towers.core.errors import NotFound
from towers.core.permissions import get_visible
from towers.mobile.access import fleet_visible
from towers.mobile.models import DeviceTask, LossReport, MobileSettings
from towers.mobile.schemas_loss import FoundIn, LossIn, LossOut, LossQuery, MobileSettingsOut, MobileSettingsPatch
from towers.mobile.selectors_loss import device_for_loss, loss_get, loss_list
from towers.mobile.services.loss import device_found, device_report_loss
from towers.mobile.services.settings import mobile_settings_update
from towers.organisations.models import Organisation
from towers.organisations.selectors import organisation_get, team_get

router = Router(tags=["Mobile"])
TASKS = Prefetch(
    "tasks", queryset=DeviceTask.objects.select_related("ticket__team").order_by("id"), to_attr="task_list"
)


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _loss(request: HttpRequest, id: UUID) -> LossReport:
    return loss_get(_actor(request), id, prefetch=TASKS)


@router.get("/mobile/losses", response=list[LossOut], summary="Devices reported lost or stolen")
@paginate(Page)
def losses(request: HttpRequest, filters: Query[LossQuery]) -> Any:
    return loss_list(_actor(request), open_only=filters.open, device=filters.device).prefetch_related(TASKS)


@router.get("/mobile/losses/{id}", response=LossOut)
def loss(request: HttpRequest, id: UUID) -> Any:
    return _loss(request, id)


@router.post(
    "/mobile/devices/{id}/loss",
    response={201: LossOut},
    summary="Report a device lost or stolen: raises the incident, the wipe and line-bar tasks and the SOC case",
)
def report_loss(request: HttpRequest, id: UUID, body: LossIn) -> Any:
    actor = _actor(request)
    device = device_for_loss(actor, id)
    report = device_report_loss(actor=actor, device=device, channel="api", **body.dict())
    return Status(201, _loss(request, report.pk))


@router.post("/mobile/devices/{id}/found", response=LossOut, summary="A missing device is back")
def found(request: HttpRequest, id: UUID, body: FoundIn) -> Any:
    actor = _actor(request)
    device = device_for_loss(actor, id)
    report = device.losses.filter(found_at__isnull=True).first()
    device_found(actor=actor, device=device, note=body.note)
    return _loss(request, report.pk) if report else None  # device_found refuses when there is none


def _settings(actor: Any, organisation: UUID) -> MobileSettings:
    owner = organisation_get(actor=actor, id=organisation)
    found = fleet_visible(actor, MobileSettings.objects).filter(organisation=owner).first()
    if found is None and (MobileSettings.objects.filter(organisation=owner).exists() or not _is_own(actor, owner)):
        raise NotFound("No such mobile settings.")
    return found or MobileSettings(organisation=owner)


def _is_own(actor: Any, owner: Organisation) -> bool:
    return bool(actor.scope.everything or actor.organisation_id == owner.pk)


def _settings_out(settings: MobileSettings) -> MobileSettings:
    settings.line_team_ids = [t.pk for t in settings.line_teams.all()] if settings.pk else []  # type: ignore[attr-defined]
    if settings._state.adding:
        settings.version = 0
    return settings


@router.get("/mobile/settings/{organisation}", response=MobileSettingsOut, summary="An owner's mobile settings")
def settings_get(request: HttpRequest, response: HttpResponse, organisation: UUID) -> Any:
    settings = _settings(_actor(request), organisation)
    if settings.pk and not settings._state.adding:
        set_etag(response, settings)
    return _settings_out(settings)


@router.patch("/mobile/settings/{organisation}", response=MobileSettingsOut)
def settings_update(request: HttpRequest, response: HttpResponse, organisation: UUID, body: MobileSettingsPatch) -> Any:
    actor = _actor(request)
    given = body.dict(exclude_unset=True)
    teams = {"wipe_team", "logistics_team", "repair_team"}
    services = {"incident_service", "wipe_service", "line_service", "lifecycle_service"}
    changes: dict[str, Any] = {}
    for name, value in given.items():
        if name in teams:
            changes[name] = team_get(actor=actor, id=value) if value else None
        elif name in services:
            changes[name] = service_get(actor=actor, id=value) if value else None
        elif name == "security_organisation":
            changes[name] = organisation_get(actor=actor, id=value) if value else None
        elif name != "line_teams":
            changes[name] = value
    line_teams = [team_get(actor=actor, id=i) for i in given["line_teams"]] if "line_teams" in given else None
    settings = mobile_settings_update(
        actor=actor,
        organisation=organisation_get(actor=actor, id=organisation),
        changes=changes,
        line_teams=line_teams,
        expected_version=expected_version(request),
    )
    settings = get_visible(actor, MobileSettings.objects, pk=settings.pk)
    set_etag(response, settings)
    return _settings_out(settings)
