"""API shapes of the request catalogue, service requests, their approvals and tasks, and major incidents."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref
from towers.servicedesk.schemas import ClockOut, TeamRef


class CatalogItemOut(Schema):
    id: UUID
    code: str
    name: str
    description: str
    service: Ref
    category: str | None
    form: list[dict[str, Any]] = Field(..., description="The questions: see the catalogue item's documentation.")
    approvals: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    is_active: bool
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_category(obj: Any) -> str | None:
        return obj.category.code if obj.category_id else None


class CatalogItemIn(Schema):
    code: str = Field(..., min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    description: str = ""
    service: UUID
    category: str | None = Field(None, description="A category code.")
    form: list[Any] = Field(
        default_factory=list,
        description='Questions: {"name", "label", "type": text|textarea|number|choice|multi_choice|date|bool|email|'
        'person, "required", "help", "choices", "min", "max", "integer", "max_length"}.',
    )
    approvals: list[Any] = Field(
        default_factory=list,
        description='In order: "line_manager", {"role", "person": username} or {"role", "field": a person question}.',
    )
    tasks: list[Any] = Field(
        default_factory=list,
        description='{"title", "team": team id, "after": index of an earlier task, "description", "fields": [names]}.',
    )
    is_active: bool = True


class CatalogItemPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    service: UUID | None = None
    category: str | None = None
    form: list[Any] | None = None
    approvals: list[Any] | None = None
    tasks: list[Any] | None = None
    is_active: bool | None = None


class RequestIn(Schema):
    catalog_item: UUID
    answers: dict[str, Any] = Field(default_factory=dict, description="Question name: answer.")
    requester: UUID | None = Field(None, description="Who it is for, when the desk asks on someone's behalf.")


class CatalogItemRef(Schema):
    id: UUID
    code: str
    name: str


class RequestApprovalOut(Schema):
    id: UUID
    request: UUID = Field(..., alias="ticket_id")
    reference: str
    role: str
    step: int
    approver: UUID | None = Field(None, alias="approver_id")
    approver_name: str
    status: str
    decided_by: str
    decided_at: datetime | None
    comment: str

    @staticmethod
    def resolve_reference(obj: Any) -> str:
        return str(obj.ticket.reference)

    @staticmethod
    def resolve_approver_name(obj: Any) -> str:
        return (obj.approver.get_full_name() or obj.approver.username) if obj.approver_id else ""


class RequestDecideIn(Schema):
    decision: Literal["approved", "rejected"]
    comment: str = Field("", description="Required when rejecting: the requester is told why.")


class RequestWithdrawIn(Schema):
    reason: str = Field(..., min_length=1)


class FulfilmentTaskOut(Schema):
    id: UUID
    reference: str
    title: str
    state: str
    team: TeamRef | None
    organisation: Ref | None
    opened_at: datetime
    resolved_at: datetime | None
    clock_percent: int
    clock_due_at: datetime | None
    breached: bool
    clocks: list[ClockOut]

    @staticmethod
    def resolve_clocks(obj: Any) -> list[Any]:
        return list(obj.clocks.all())


class FulfilmentStepOut(Schema):
    index: int
    title: str
    team: TeamRef
    after: int | None
    task: UUID | None = Field(None, alias="task_id")
    skipped: bool


class RequestRow(Schema):
    id: UUID
    reference: str
    title: str
    state: str
    pending_reason: str
    priority: str
    catalog_item: CatalogItemRef | None
    requester: UUID | None = Field(None, alias="requester_id")
    team: TeamRef | None
    opened_at: datetime
    resolved_at: datetime | None
    clock_percent: int
    breached: bool
    version: int


class RequestOut(RequestRow):
    description: str
    answers: dict[str, Any]
    approvals: list[RequestApprovalOut]
    steps: list[FulfilmentStepOut]
    tasks: list[FulfilmentTaskOut]


class MajorTicketRef(Schema):
    id: UUID
    reference: str
    title: str
    priority: str
    state: str


class MajorUpdateOut(Schema):
    id: UUID
    body: str
    sent_by: str
    recipients: list[str]
    created_at: datetime


class ReviewActionOut(Schema):
    id: UUID
    description: str
    becomes: str
    ticket: MajorTicketRef | None


class MajorRow(Schema):
    id: UUID
    ticket: MajorTicketRef
    status: str
    manager: UUID | None = Field(None, alias="manager_id")
    declared_by: str
    declared_at: datetime
    bridge: str
    cadence_minutes: int
    next_update_due: datetime | None
    stakeholders: list[str]
    resolved_at: datetime | None

    @staticmethod
    def resolve_cadence_minutes(obj: Any) -> int:
        return int(obj.cadence.total_seconds() // 60)


class MajorOut(MajorRow):
    summary: str
    review: str
    reviewed_at: datetime | None
    updates: list[MajorUpdateOut]
    actions: list[ReviewActionOut]


class DeclareMajorIn(Schema):
    bridge: str = Field(..., min_length=1, description="Dial-in, meeting link or channel.")
    manager: UUID | None = Field(None, description="The major incident manager (a person).")
    stakeholders: list[str] = Field(default_factory=list, description="Email addresses told of every update.")


class MajorUpdateIn(Schema):
    body: str = Field(..., min_length=1)


class MajorResolveIn(Schema):
    summary: str = Field(..., min_length=1)
    resolution_code: str = "fixed"


class ReviewActionIn(Schema):
    description: str = Field(..., min_length=1)
    becomes: Literal["problem", "change"]


class MajorReviewIn(Schema):
    review: str = Field(..., min_length=1)
    actions: list[ReviewActionIn] = Field(default_factory=list)
