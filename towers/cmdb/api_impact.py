"""REST route for impact analysis (thin): POST /cmdb/impact."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema

from towers.cmdb.impact import MAX_DEPTH_LIMIT, impact_of
from towers.cmdb.selectors import ci_get

impact_router = Router(tags=["CMDB"])


class ImpactIn(Schema):
    cis: list[UUID] = Field(..., min_length=1, max_length=100, description="The CIs that are down.")
    at_risk: list[UUID] = Field(default_factory=list, max_length=100, description="CIs that are only at risk.")
    max_depth: int = Field(15, ge=1, le=MAX_DEPTH_LIMIT)
    limit: int = Field(1000, ge=1, le=100_000, description="The most CIs listed in each list; counts count all.")


class PathStepOut(Schema):
    id: UUID | None = Field(..., description="Null when you may not see the CI; its name is then “(not visible)”.")
    name: str
    ci_class: str
    via: str = Field(..., description="The relationship type that carried the impact into this CI.")


class ImpactedCIOut(Schema):
    id: UUID
    name: str
    ci_class: str
    depth: int
    severity: str = Field(..., description="down or at_risk")
    path: list[PathStepOut] = Field(..., description="From a failed CI to this one.")


class ImpactedBriefOut(Schema):
    id: UUID
    name: str
    depth: int
    severity: str


class ServiceLevelRefOut(Schema):
    id: UUID
    code: str
    name: str
    kind: str
    service: str
    provider: str


class SupplierRefOut(Schema):
    id: UUID
    code: str
    name: str
    accountable_as: list[str]


class ImpactOut(Schema):
    failed: list[UUID]
    max_depth: int
    depth_limit_reached: bool
    total: int = Field(..., description="Impacted CIs you may see, the failed ones included.")
    hidden: int = Field(..., description="Impacted CIs you may not see.")
    counts: dict[str, int] = Field(..., description="Impacted CIs you may see, by class.")
    impacted: list[ImpactedCIOut]
    applications: list[ImpactedBriefOut]
    application_services: list[ImpactedBriefOut]
    databases: list[ImpactedBriefOut]
    business_services: list[ImpactedBriefOut]
    service_offerings: list[ImpactedBriefOut]
    service_levels: list[ServiceLevelRefOut]
    suppliers: list[SupplierRefOut]
    people_served: int
    locations: int
    staff: int


@impact_router.post(
    "/cmdb/impact",
    response=ImpactOut,
    summary="What an outage of some CIs impacts",
    description="Follows relationships in their impact direction; “backed up by” leaves what it reaches at risk.",
)
def impact(request: HttpRequest, body: ImpactIn) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    report = impact_of(
        actor=actor,
        cis=[ci_get(actor=actor, id=pk) for pk in body.cis],
        at_risk=[ci_get(actor=actor, id=pk) for pk in body.at_risk],
        max_depth=body.max_depth,
    )
    return report.trimmed(body.limit)
