"""REST routes of mobile services (thin): the fleet part — devices, SIMs, compliance rules, non-compliance."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import paginate

from towers.core.api import Page, expected_version, set_etag
from towers.mobile import selectors
from towers.mobile.models import Device
from towers.mobile.schemas_fleet import (
    ComplianceRuleIn,
    ComplianceRuleOut,
    ComplianceRulePatch,
    DeviceAssignIn,
    DeviceDetailOut,
    DeviceIn,
    DeviceOut,
    DevicePatch,
    DeviceQuery,
    SimIn,
    SimOut,
)
from towers.mobile.services import compliance, devices
from towers.organisations.models import Team
from towers.organisations.selectors import organisation_get, person_get, team_get

router = Router(tags=["Mobile"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _team(actor: Any, id: UUID | None) -> Team | None:
    return team_get(actor=actor, id=id) if id else None


def _detail(request: HttpRequest, response: HttpResponse, device: Device) -> Device:
    device = selectors.device_get(actor=_actor(request), id=device.pk)
    set_etag(response, device)
    return device


@router.get("/mobile/devices", response=list[DeviceOut], summary="The fleet, filtered")
@paginate(Page)
def device_list(request: HttpRequest, filters: Query[DeviceQuery]) -> Any:
    return selectors.device_list(actor=_actor(request), filters=filters.to_filters())


@router.get("/mobile/non-compliant", response=list[DeviceOut], summary="Devices breaching a rule, with the reasons")
@paginate(Page)
def non_compliant_list(request: HttpRequest, filters: Query[DeviceQuery]) -> Any:
    return selectors.non_compliant_list(actor=_actor(request), filters=filters.to_filters())


@router.get("/mobile/devices/{id}", response=DeviceDetailOut)
def device_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    device = selectors.device_get(actor=_actor(request), id=id)
    set_etag(response, device)
    return device


@router.post("/mobile/devices", response={201: DeviceDetailOut})
def device_register(request: HttpRequest, response: HttpResponse, body: DeviceIn) -> Any:
    actor = _actor(request)
    fields = body.dict(exclude={"organisation", "support_team"})
    device = devices.device_register(
        actor=actor,
        organisation=organisation_get(actor=actor, id=body.organisation),
        support_team=_team(actor, body.support_team),
        **fields,
    )
    return Status(201, _detail(request, response, device))


@router.patch("/mobile/devices/{id}", response=DeviceDetailOut)
def device_update(request: HttpRequest, response: HttpResponse, id: UUID, body: DevicePatch) -> Any:
    actor = _actor(request)
    device = selectors.device_get(actor=actor, id=id)
    changes = body.dict(exclude_unset=True)
    device = devices.device_update(
        actor=actor, device=device, changes=changes, expected_version=expected_version(request)
    )
    return _detail(request, response, device)


@router.post("/mobile/devices/{id}/assign", response=DeviceDetailOut, summary="Issue to a person and/or team")
def device_assign(request: HttpRequest, response: HttpResponse, id: UUID, body: DeviceAssignIn) -> Any:
    actor = _actor(request)
    device = devices.device_assign(
        actor=actor,
        device=selectors.device_get(actor=actor, id=id),
        person=person_get(actor=actor, id=body.person) if body.person else None,
        team=_team(actor, body.team),
        note=body.note,
    )
    return _detail(request, response, device)


@router.get("/mobile/sims", response=list[SimOut])
@paginate(Page)
def sim_list(request: HttpRequest, q: str = "") -> Any:
    return selectors.sim_list(actor=_actor(request), q=q)


@router.post("/mobile/sims", response={201: SimOut})
def sim_register(request: HttpRequest, body: SimIn) -> Any:
    actor = _actor(request)
    sim = devices.sim_register(
        actor=actor,
        organisation=organisation_get(actor=actor, id=body.organisation),
        iccid=body.iccid,
        msisdn=body.msisdn,
        tariff=body.tariff,
        operator=organisation_get(actor=actor, id=body.operator) if body.operator else None,
        device=selectors.device_get(actor=actor, id=body.device) if body.device else None,
    )
    return Status(201, sim)


@router.get("/mobile/compliance-rules", response=list[ComplianceRuleOut])
@paginate(Page)
def rule_list(request: HttpRequest, active: bool | None = None) -> Any:
    return selectors.rule_list(actor=_actor(request), active=active)


@router.post("/mobile/compliance-rules", response={201: ComplianceRuleOut})
def rule_create(request: HttpRequest, body: ComplianceRuleIn) -> Any:
    actor = _actor(request)
    fields = body.dict(exclude={"organisation", "ticket_team"})
    rule = compliance.rule_create(
        actor=actor,
        organisation=organisation_get(actor=actor, id=body.organisation),
        ticket_team=_team(actor, body.ticket_team),
        **fields,
    )
    return Status(201, selectors.rule_get(actor=actor, id=rule.pk))


@router.patch("/mobile/compliance-rules/{id}", response=ComplianceRuleOut)
def rule_update(request: HttpRequest, response: HttpResponse, id: UUID, body: ComplianceRulePatch) -> Any:
    actor = _actor(request)
    changes = body.dict(exclude_unset=True)
    if changes.get("ticket_team") is not None:
        changes["ticket_team"] = team_get(actor=actor, id=changes["ticket_team"])
    rule = compliance.rule_update(
        actor=actor,
        rule=selectors.rule_get(actor=actor, id=id),
        changes=changes,
        expected_version=expected_version(request),
    )
    set_etag(response, rule)
    return rule


@router.delete("/mobile/compliance-rules/{id}", response={204: None}, summary="Deactivate (rules are kept)")
def rule_deactivate(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    compliance.rule_update(actor=actor, rule=selectors.rule_get(actor=actor, id=id), changes={"active": False})
    return Status(204, None)
