"""API shapes of supplier integrations. The partner's auth token goes in and never comes out."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

Directions = Literal["in", "out", "both"]


class PartnerIntegrationIn(Schema):
    organisation: UUID = Field(description="The supplier whose tool this is.")
    name: str = Field(max_length=200)
    base_url: str = Field(
        max_length=500, description="The partner's TMF621 root, e.g. https://tool/tmf-api/troubleTicket/v5"
    )
    auth_token: str = Field("", max_length=300, description="The bearer token Towers presents there (write-only).")
    teams: list[UUID] = Field(default_factory=list, description="Hand-offs to these teams go out; none: all its teams.")


class PartnerIntegrationPatch(Schema):
    name: str | None = Field(None, max_length=200)
    base_url: str | None = Field(None, max_length=500)
    auth_token: str | None = Field(None, max_length=300)
    active: bool | None = None
    teams: list[UUID] | None = None


class MappingIn(Schema):
    ours: str = Field(max_length=100, description='Our field ("title") or state ("in_progress").')
    theirs: str = Field(max_length=100, description='The partner\'s field ("name", "characteristic.x") or status.')
    direction: Directions = "both"


class MappingOut(Schema):
    id: int
    ours: str
    theirs: str
    direction: str


class PartnerIntegrationOut(Schema):
    id: UUID
    organisation: UUID = Field(alias="organisation_id")
    name: str
    protocol: str
    base_url: str
    has_auth_token: bool
    teams: list[UUID]
    hub_registered: bool
    hub_subscription_id: str
    active: bool
    created_at: datetime

    @staticmethod
    def resolve_has_auth_token(obj: Any) -> bool:
        return bool(obj.auth_token)

    @staticmethod
    def resolve_teams(obj: Any) -> list[UUID]:
        return [team.id for team in obj.teams.all()]

    @staticmethod
    def resolve_hub_registered(obj: Any) -> bool:
        return bool(obj.hub_subscription_id and obj.listener_digest)


class PartnerMessageOut(Schema):
    id: int
    integration: UUID = Field(alias="integration_id")
    ticket: UUID | None = Field(alias="ticket_id")
    direction: str
    operation: str
    correlation_id: str
    remote_id: str
    idempotency_key: UUID
    status: str
    http_status: int | None
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    completed_at: datetime | None
    payload: dict[str, Any]
    response: dict[str, Any]

    @staticmethod
    def resolve_remote_id(obj: Any) -> str:
        return obj.bond.remote_id if obj.bond_id else ""


class ReplayOut(Schema):
    replayed: int
