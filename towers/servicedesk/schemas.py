"""API shapes of tickets, their timeline, hand-offs and clocks."""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.cmdb.schemas import TeamRef
from towers.organisations.schemas import Ref


class TicketIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    kind: str = Field("incident", pattern="^(incident|request|problem|change)$")
    description: str = ""
    impact: int = Field(3, ge=1, le=3, description="1 high … 3 low")
    urgency: int = Field(3, ge=1, le=3, description="1 high … 3 low")
    category: str | None = Field(None, description="A category code.")
    service: UUID | None = None
    cis: list[UUID] = Field(default_factory=list)
    team: UUID | None = Field(None, description="Leave empty to route by the assignment rules.")
    requester: UUID | None = None
    requester_email: str = ""
    channel: str = Field("api", pattern="^(portal|phone|email|api|monitoring|security)$")


class TicketPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    impact: int | None = Field(None, ge=1, le=3)
    urgency: int | None = Field(None, ge=1, le=3)
    service: UUID | None = None
    cis: list[UUID] | None = None
    assignee: UUID | None = None


class TicketOut(Schema):
    id: UUID
    reference: str
    kind: str
    title: str
    description: str
    state: str
    pending_reason: str
    impact: int
    urgency: int
    priority: str
    category: str | None
    service: UUID | None = Field(None, alias="service_id")
    channel: str
    requester: UUID | None = Field(None, alias="requester_id")
    requester_email: str
    team: TeamRef | None
    organisation: Ref | None
    assignee: UUID | None = Field(None, alias="assignee_id")
    opened_at: datetime
    responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str
    hop_count: int
    crossed_suppliers: bool
    ping_pong: bool
    is_major: bool
    clock_percent: int
    clock_due_at: datetime | None
    breached: bool
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_category(obj: Any) -> str | None:
        return obj.category.code if obj.category_id else None


class TransitionIn(Schema):
    state: str
    pending_reason: str = ""
    resolution_code: str = ""
    resolution_notes: str = ""
    note: str = ""


class AssignIn(Schema):
    team: UUID
    assignee: UUID | None = None


class CommentIn(Schema):
    body: str = Field(..., min_length=1)
    public: bool = True


class HandOffIn(Schema):
    team: UUID
    reason: str = Field(..., min_length=1)


class DecisionIn(Schema):
    reason: str = ""


class HandOffOut(Schema):
    id: UUID
    ticket: UUID = Field(..., alias="ticket_id")
    from_team: TeamRef | None
    to_team: TeamRef
    reason: str
    status: str
    sent_by: str
    decided_by: str
    decided_at: datetime | None
    response: str
    created_at: datetime


class EventOut(Schema):
    id: int
    at: datetime
    kind: str
    actor_label: str
    state: str
    priority: str
    team: TeamRef | None
    body: str
    public: bool
    data: dict[str, Any]


class ClockOut(Schema):
    name: str
    kind: str
    metric: str
    organisation: Ref
    handoff: UUID | None = Field(None, alias="handoff_id")
    state: str
    target_seconds: float | None
    elapsed_seconds: float
    percent: int
    due_at: datetime | None
    breached: bool
    stopped_at: datetime | None
    by_organisation: dict[str, int]


class InboundMailOut(Schema):
    id: int
    received_at: datetime
    via: str
    message_id: str
    sender: str
    subject: str
    outcome: str
    reason: str
    ticket: str | None

    @staticmethod
    def resolve_ticket(obj: Any) -> str | None:
        return obj.ticket.reference if obj.ticket_id else None
