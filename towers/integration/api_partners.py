"""REST routes of supplier integrations (thin): the integrations, their mapping tables, hub registration and
the message log. Read by the integrator and by each supplier for its own integration; managed by the integrator.
"""

from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page, expected_version, set_etag
from towers.integration import selectors_partners as selectors
from towers.integration.schemas_partners import (
    MappingIn,
    MappingOut,
    PartnerIntegrationIn,
    PartnerIntegrationOut,
    PartnerIntegrationPatch,
    PartnerMessageOut,
    ReplayOut,
)
from towers.integration.services import partner_admin as admin
from towers.integration.services.partner_hub import partner_hub_register
from towers.organisations.selectors import organisation_get, team_get

router = Router(tags=["Supplier integrations"])
MessageStatus = Literal["pending", "sent", "dead", "applied", "ignored", "rejected", ""]


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.get("/partner-integrations", response=list[PartnerIntegrationOut])
@paginate(Page)
def partner_integration_list(request: HttpRequest) -> Any:
    return selectors.partner_integration_list(actor=_actor(request))


@router.post("/partner-integrations", response={201: PartnerIntegrationOut})
def partner_integration_create(request: HttpRequest, body: PartnerIntegrationIn) -> Any:
    """Bond a supplier's TMF621 tool: hand-offs to its teams go there (register the hub to hear back)."""
    actor = _actor(request)
    integration = admin.partner_integration_create(
        actor=actor,
        organisation=organisation_get(actor=actor, id=body.organisation),
        name=body.name,
        base_url=body.base_url,
        auth_token=body.auth_token,
        teams=[team_get(actor=actor, id=team) for team in body.teams],
    )
    return Status(201, selectors.partner_integration_get(actor=actor, id=integration.id))


@router.get("/partner-integrations/{id}", response=PartnerIntegrationOut)
def partner_integration_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    integration = selectors.partner_integration_get(actor=_actor(request), id=id)
    set_etag(response, integration)
    return integration


@router.patch("/partner-integrations/{id}", response=PartnerIntegrationOut)
def partner_integration_update(
    request: HttpRequest, response: HttpResponse, id: UUID, body: PartnerIntegrationPatch
) -> Any:
    actor = _actor(request)
    integration = selectors.partner_integration_get(actor=actor, id=id)
    changes = body.dict(exclude_unset=True)
    team_ids = changes.pop("teams", None)
    teams = [team_get(actor=actor, id=team) for team in team_ids] if team_ids is not None else None
    admin.partner_integration_update(
        actor=actor, integration=integration, changes=changes, teams=teams, expected_version=expected_version(request)
    )
    integration = selectors.partner_integration_get(actor=actor, id=id)
    set_etag(response, integration)
    return integration


@router.post("/partner-integrations/{id}/register-hub", response=PartnerIntegrationOut)
def partner_integration_register_hub(request: HttpRequest, id: UUID) -> Any:
    """Register Towers' listener at the partner's /hub (replacing an earlier one), so its updates come back."""
    actor = _actor(request)
    partner_hub_register(actor=actor, integration=selectors.partner_integration_get(actor=actor, id=id))
    return selectors.partner_integration_get(actor=actor, id=id)


def _mappings(request: HttpRequest, id: UUID, kind: str) -> Any:
    integration = selectors.partner_integration_get(actor=_actor(request), id=id)
    return list(integration.field_mappings.all() if kind == "field" else integration.state_mappings.all())


def _add_mapping(request: HttpRequest, id: UUID, kind: str, body: MappingIn) -> Any:
    actor = _actor(request)
    integration = selectors.partner_integration_get(actor=actor, id=id)
    return Status(201, admin.partner_mapping_create(actor=actor, integration=integration, kind=kind, **body.dict()))


def _remove_mapping(request: HttpRequest, id: UUID, kind: str, mapping_id: int) -> Any:
    actor = _actor(request)
    integration = selectors.partner_integration_get(actor=actor, id=id)
    mapping = selectors.partner_mapping_get(actor=actor, kind=kind, integration=integration, id=mapping_id)
    admin.partner_mapping_delete(actor=actor, mapping=mapping)
    return Status(204, None)


def _mapping_routes(kind: str, what: str) -> None:
    """The same three routes for each mapping table: list, add a row, remove a row."""
    url = f"/partner-integrations/{{id}}/{kind}-mappings"

    @router.get(url, response=list[MappingOut], operation_id=f"{kind}_mapping_list", summary=f"Its {what} mapping")
    def listed(request: HttpRequest, id: UUID) -> Any:
        return _mappings(request, id, kind)

    @router.post(url, response={201: MappingOut}, operation_id=f"{kind}_mapping_create", summary=f"Map a {what}")
    def added(request: HttpRequest, id: UUID, body: MappingIn) -> Any:
        return _add_mapping(request, id, kind, body)

    @router.delete(
        url + "/{mapping_id}", response={204: None}, operation_id=f"{kind}_mapping_delete", summary=f"Unmap a {what}"
    )
    def removed(request: HttpRequest, id: UUID, mapping_id: int) -> Any:
        return _remove_mapping(request, id, kind, mapping_id)


# Field rows: our field as the partner names it (none: the defaults go out and no fields come in).
_mapping_routes("field", "field")
# State rows: our state as the partner's status (a row overrides TMF621's default for that state or status).
_mapping_routes("state", "state")


@router.get("/partner-messages", response=list[PartnerMessageOut])
@paginate(Page)
def partner_message_list(
    request: HttpRequest, ticket: UUID | None = None, status: MessageStatus = "", integration: UUID | None = None
) -> Any:
    """The message log: every payload sent to or received from partners (newest first), by ticket or status."""
    return selectors.partner_message_list(actor=_actor(request), ticket=ticket, status=status, integration=integration)


@router.get("/partner-messages/{id}", response=PartnerMessageOut)
def partner_message_get(request: HttpRequest, id: int) -> Any:
    return selectors.partner_message_get(actor=_actor(request), id=id)


@router.post("/partner-messages/{id}/replay", response=ReplayOut)
def partner_message_replay(request: HttpRequest, id: int) -> Any:
    """Send a dead outbound message again (from a fresh attempt count); any other message is left alone."""
    actor = _actor(request)
    message = selectors.partner_message_get(actor=actor, id=id)
    return {"replayed": admin.partner_messages_replay(actor=actor, messages=[message])}
