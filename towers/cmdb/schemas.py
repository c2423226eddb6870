"""API shapes of configuration items and relationships."""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref


class TeamRef(Schema):
    id: UUID
    name: str


class CIOut(Schema):
    id: UUID
    ci_class: str
    name: str
    owner: Ref
    support_team: TeamRef | None
    criticality: int
    environment: str
    lifecycle: str
    attributes: dict[str, Any] = Field(..., description="Commercial attributes are left out unless you may see them.")
    provenance: dict[str, Any]
    service: UUID | None = Field(None, alias="service_id")
    offering: UUID | None = Field(None, alias="offering_id")
    version: int
    updated_at: datetime


class CIIn(Schema):
    ci_class: str
    name: str = Field(..., min_length=1, max_length=200)
    owner: UUID
    support_team: UUID | None = None
    criticality: int = Field(3, ge=1, le=4)
    environment: str = "production"
    lifecycle: str = "live"
    attributes: dict[str, Any] = Field(default_factory=dict)
    service: UUID | None = None
    offering: UUID | None = None


class CIPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    support_team: UUID | None = None
    criticality: int | None = Field(None, ge=1, le=4)
    environment: str | None = None
    lifecycle: str | None = None
    attributes: dict[str, Any] | None = Field(None, description="Only the attributes to change; null removes one.")


class CIRef(Schema):
    id: UUID
    name: str
    ci_class: str


class RelationshipOut(Schema):
    id: UUID
    type: str
    source: CIRef
    target: CIRef


class RelationshipsOut(Schema):
    outgoing: list[RelationshipOut]
    incoming: list[RelationshipOut]


class RelationshipIn(Schema):
    type: str
    target: UUID


class AttributeOut(Schema):
    name: str
    type: str
    commercial: bool


class CIClassOut(Schema):
    name: str
    label: str
    parent: str | None
    layer: str
    attributes: list[AttributeOut]
    identification: list[str]
