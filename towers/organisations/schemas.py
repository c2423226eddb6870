"""API shapes of the organisations app."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from towers.core.roles import Role

OrganisationKindLiteral = Literal["authority", "supplier", "third_party"]
RoleLiteral = Literal[tuple(Role.values)]  # type: ignore[valid-type]


class Ref(Schema):
    id: UUID
    name: str


class OrganisationOut(Schema):
    id: UUID
    code: str
    name: str
    kind: str
    tower: Ref | None
    email: str
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class OrganisationIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    kind: OrganisationKindLiteral
    tower: UUID | None = None
    email: str = ""


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: OrganisationKindLiteral | None = None
    tower: UUID | None = None
    email: str | None = None
    is_active: bool | None = None


class TowerOut(Schema):
    id: UUID
    code: str
    name: str
    description: str
    integrator: Ref | None
    version: int


class TeamOut(Schema):
    id: UUID
    code: str
    name: str
    organisation: Ref
    email: str
    description: str
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class TeamIn(Schema):
    organisation: UUID
    code: str = Field(..., min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    email: str = ""
    description: str = ""


class TeamPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = None
    description: str | None = None
    is_active: bool | None = None


class MembershipOut(Schema):
    id: UUID
    person: Ref
    organisation: Ref
    role: str

    @staticmethod
    def resolve_person(obj: Any) -> dict[str, Any]:
        return {"id": obj.person_id, "name": str(obj.person)}


class PersonMembership(Schema):
    id: UUID
    organisation: Ref
    role: str


class PersonOut(Schema):
    id: UUID
    username: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    phone: str
    is_active: bool
    version: int
    memberships: list[PersonMembership]

    @staticmethod
    def resolve_memberships(obj: Any) -> list[Any]:
        # Only the roles the reader may see: the list selector prefetches them as visible_memberships.
        return list(getattr(obj, "visible_memberships", []))


class PersonIn(Schema):
    organisation: UUID
    username: str = Field(..., min_length=1, max_length=150)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    job_title: str = ""
    phone: str = ""
    roles: list[RoleLiteral] = Field(default_factory=lambda: ["requester"])  # type: ignore[valid-type]


class PersonPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    job_title: str | None = None
    phone: str | None = None
    is_active: bool | None = None


class MembershipIn(Schema):
    person: UUID
    organisation: UUID
    role: RoleLiteral  # type: ignore[valid-type]


class TeamMemberOut(Schema):
    id: UUID
    person: Ref

    @staticmethod
    def resolve_person(obj: Any) -> dict[str, Any]:
        return {"id": obj.person_id, "name": str(obj.person)}


class TeamMemberIn(Schema):
    person: UUID


class TokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    organisation: Ref
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    scope: Literal["read", "write"] = "read"
    expires_at: datetime | None = None


class TokenCreated(TokenOut):
    secret: str = Field(..., description="The token itself. It is shown only this once; store it safely.")


class CommercialGrantOut(Schema):
    id: UUID
    grantee: Ref
    supplier: Ref
    reason: str
    expires_at: datetime | None
    created_at: datetime


class CommercialGrantIn(Schema):
    grantee: UUID = Field(..., description="The organisation that may see the commercials (usually the integrator).")
    supplier: UUID = Field(..., description="The supplier whose contracts and credits it may see.")
    reason: str = Field(..., min_length=1, max_length=300)
    expires_at: datetime | None = None


class AuditEntryOut(Schema):
    seq: int
    at: datetime
    actor_label: str
    organisation_name: str
    channel: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class MeOut(Schema):
    id: UUID
    username: str
    name: str
    organisation: Ref | None
    roles: list[str]
    organisations: list[Ref]


class ImportProblem(Schema):
    row: int
    field: str
    message: str


class ImportReportOut(Schema):
    kind: str
    dry_run: bool
    total: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[ImportProblem]
