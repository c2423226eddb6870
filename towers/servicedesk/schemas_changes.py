"""API shapes of changes, approvals, the change calendar, freezes, templates, problems and known errors.

Choices are Literal types (an enum in the OpenAPI document), so clients and the route walkers know them.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref
from towers.servicedesk.schemas import TeamRef

ChangeType = Literal["normal", "emergency", "standard"]
OutcomeName = Literal["successful", "partial", "failed", "backed_out"]


class TicketRef(Schema):
    id: UUID
    reference: str
    title: str


class ChangeIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    change_type: ChangeType = "normal"
    template: str | None = Field(None, description="A standard change's template, by code.")
    description: str = ""
    justification: str = ""
    service: UUID | None = None
    cis: list[UUID] = Field(default_factory=list)
    team: UUID | None = Field(None, description="The implementing team; leave empty to route by the rules.")
    impact: int = Field(3, ge=1, le=3)
    urgency: int = Field(3, ge=1, le=3)
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    implementation_plan: str = ""
    backout_plan: str = ""
    test_plan: str = ""


class ChangePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    justification: str | None = None
    impact: int | None = Field(None, ge=1, le=3)
    urgency: int | None = Field(None, ge=1, le=3)
    service: UUID | None = None
    cis: list[UUID] | None = None
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    implementation_plan: str | None = None
    backout_plan: str | None = None
    test_plan: str | None = None


class ChangeOut(Schema):
    id: UUID
    reference: str
    title: str
    description: str
    state: str
    stage: str = Field(..., description="draft, awaiting_approval, scheduled, implementing, review, closed, cancelled")
    change_type: str
    template: str | None
    risk: str
    risk_answers: dict[str, int | bool | None]
    approval_state: str
    approval_rule: str
    justification: str
    planned_start: datetime | None
    planned_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    implementation_plan: str
    backout_plan: str
    test_plan: str
    outcome: str
    outcome_notes: str
    review_notes: str
    reviewed_at: datetime | None
    reviewed_by: str
    priority: str
    service: UUID | None
    team: TeamRef | None
    organisation: Ref | None
    caused_incidents: int
    opened_at: datetime
    version: int
    updated_at: datetime


class ApprovalOut(Schema):
    id: UUID
    change: UUID = Field(..., alias="ticket_id")
    step: int
    role: str
    approver: Ref | None
    status: str
    decided_by: str
    decided_at: datetime | None
    comment: str

    @staticmethod
    def resolve_approver(obj: object) -> dict[str, object] | None:
        person = getattr(obj, "approver", None)
        return {"id": person.pk, "name": str(person)} if person is not None else None


class ConflictOut(Schema):
    kind: str
    label: str
    blocking: bool
    start: datetime
    end: datetime
    other: TicketRef | None = Field(None, description="Empty when the other change is not yours to see.")
    freeze: Ref | None = None
    shared: list[str]


class ChangeFullOut(ChangeOut):
    approvals: list[ApprovalOut]
    conflicts: list[ConflictOut]
    incidents: list[TicketRef] = Field(..., description="The incidents it caused that you may see.")


class RiskIn(Schema):
    outage_required: bool
    backout_tested: bool
    done_before: bool
    services_affected: int | None = Field(
        None, ge=0, description="Left empty: counted from the change's service and CIs."
    )
    ci_criticality: int | None = Field(None, ge=1, le=4, description="Left empty: the most critical of its CIs.")


class SubmitIn(Schema):
    approvers: list[UUID] | None = Field(
        None, description="Left empty: the CAB (the desk's service managers and team leads)."
    )


class ApprovalDecisionIn(Schema):
    decision: Literal["approve", "reject"]
    comment: str = ""


class CompleteIn(Schema):
    outcome: OutcomeName
    notes: str = ""


class NotesIn(Schema):
    notes: str = Field(..., min_length=1)


class CancelIn(Schema):
    reason: str = Field(..., min_length=1)


class CausedIncidentIn(Schema):
    incident: UUID


class CalendarChangeOut(Schema):
    change: ChangeOut
    conflicts: list[ConflictOut]


class FreezeOut(Schema):
    id: UUID
    name: str
    starts_at: datetime
    ends_at: datetime
    services: list[UUID] = Field(..., description="Empty: the freeze covers every service.")
    reason: str

    @staticmethod
    def resolve_services(obj: object) -> list[UUID]:
        return [service.pk for service in obj.services.all()]  # type: ignore[attr-defined]


class FreezeIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime
    services: list[UUID] = Field(default_factory=list)
    reason: str = ""


class ChangeCalendarOut(Schema):
    start: datetime
    end: datetime
    changes: list[CalendarChangeOut]
    freezes: list[FreezeOut]


class TemplateOut(Schema):
    id: UUID
    code: str
    name: str
    service: UUID | None = Field(None, alias="service_id")
    team: TeamRef | None
    implementation_plan: str
    backout_plan: str
    test_plan: str
    risk: str
    is_active: bool


class TemplateIn(Schema):
    code: str = Field(..., min_length=1, max_length=60)
    name: str = Field(..., min_length=1, max_length=200)
    service: UUID | None = None
    team: UUID | None = None
    implementation_plan: str = Field(..., min_length=1)
    backout_plan: str = Field(..., min_length=1)
    test_plan: str = ""
    risk: Literal["low", "medium"] = "low"


class ProblemIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    description: str = ""
    service: UUID | None = None
    cis: list[UUID] = Field(default_factory=list)
    team: UUID | None = None
    impact: int = Field(3, ge=1, le=3)
    urgency: int = Field(3, ge=1, le=3)
    incident: UUID | None = Field(None, description="Raise it from this incident (linked, its service and CIs taken).")


class ProblemOut(Schema):
    id: UUID
    reference: str
    title: str
    description: str
    state: str
    priority: str
    service: UUID | None
    team: TeamRef | None
    root_cause: str
    known_error: bool
    workaround: str
    symptoms: str
    known_error_at: datetime | None
    resolution_code: str
    incident_count: int
    opened_at: datetime
    version: int
    updated_at: datetime


class ProblemFullOut(ProblemOut):
    incidents: list[TicketRef]


class RootCauseIn(Schema):
    root_cause: str = Field(..., min_length=1)


class KnownErrorIn(Schema):
    workaround: str = Field(..., min_length=1)
    symptoms: str = Field(..., min_length=1)


class LinkIncidentsIn(Schema):
    incidents: list[UUID] = Field(..., min_length=1)


class ResolveIn(Schema):
    resolution_code: str = "fixed"
    notes: str = ""
    resolve_incidents: bool = False
    incident_resolution_code: str = "fixed"


class ResolutionOut(Schema):
    problem: ProblemOut
    incidents_resolved: list[TicketRef]
    incidents_skipped: list[TicketRef]


class KnownErrorMatchOut(Schema):
    problem: ProblemOut
    score: int
    reasons: list[str]
