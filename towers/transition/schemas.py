"""API shapes of transitions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref


class ServiceRef(Schema):
    id: UUID
    code: str
    name: str


class SupplierTransitionOut(Schema):
    id: UUID
    name: str
    outgoing: Ref
    incoming: Ref
    effective_at: datetime
    services: list[ServiceRef]
    team_mapping: dict[str, str]
    status: str
    dry_run_report: dict[str, Any]
    dry_run_at: datetime | None
    dry_run_current: bool
    scheduled_at: datetime | None
    scheduled_by: str
    applied_at: datetime | None
    applied_by: str
    failure: str
    version: int

    @staticmethod
    def resolve_services(obj: Any) -> list[Any]:
        return list(obj.services.all())

    @staticmethod
    def resolve_dry_run_current(obj: Any) -> bool:
        return obj.dry_run_version == obj.version


class SupplierTransitionIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    outgoing: UUID
    incoming: UUID
    effective_at: datetime
    services: list[UUID] = Field(..., min_length=1)
    team_mapping: dict[str, str] = Field(default_factory=dict, description="Outgoing team code → incoming team code.")


class SupplierTransitionPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    effective_at: datetime | None = None
    services: list[UUID] | None = None
    team_mapping: dict[str, str] | None = None


class TransitionStepOut(Schema):
    id: int
    kind: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime


class OnboardIn(Schema):
    plan: dict[str, Any] = Field(..., description="organisation, teams, contracts, service_levels, integrations")
    dry_run: bool = True
