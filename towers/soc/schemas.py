"""API shapes of alerts, security cases and detection rules; choices are Literal types (enums in OpenAPI)."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

AlertAction = Literal["acknowledge", "suppress", "close"]
ObservableKind = Literal["ip", "host", "user", "hash", "domain", "url"]
TlpName = Literal["clear", "green", "amber", "amber_strict", "red"]
PapName = Literal["clear", "green", "amber", "red"]
CaseStatusName = Literal["open", "in_progress", "resolved", "closed"]


class SocAlertOut(Schema):
    id: UUID
    title: str
    rule_id: str
    severity: str
    status: str
    tactics: list[str]
    techniques: list[str]
    host: str
    user: str
    ip: str
    count: int
    first_seen: datetime
    last_seen: datetime
    detected_at: datetime | None
    suppressed_until: datetime | None
    ci: UUID | None
    case: UUID | None


class SocAlertFullOut(SocAlertOut):
    events: list[dict[str, Any]]


class SocAlertBulkIn(Schema):
    alerts: list[UUID] = Field(..., min_length=1, max_length=500)
    action: AlertAction
    until: datetime | None = Field(None, description="Required to suppress: when the alert returns to the queue.")


class SocCaseIn(Schema):
    alerts: list[UUID] = Field(..., min_length=1, max_length=500)
    title: str = Field("", max_length=300)


class SocClockOut(Schema):
    name: str
    metric: str
    state: str = Field(..., description="running, paused, stopped or not_started")
    target_seconds: float | None
    elapsed_seconds: float
    percent: int
    due_at: datetime | None
    breached: bool
    stopped_at: datetime | None
    computed_at: datetime


class SocCaseOut(Schema):
    id: UUID
    reference: str
    title: str
    severity: str
    status: str
    tlp: str
    pap: str
    opened_at: datetime
    detected_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    ci: UUID | None
    incident: UUID | None
    clocks: list[SocClockOut]


class SocTaskIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)


class SocTaskPatch(Schema):
    done: bool | None = Field(None, description="True marks the task done, false reopens it.")
    assignee: UUID | None = Field(None, description="A person of the case's SOC.")


class SocTaskOut(Schema):
    id: UUID
    title: str
    done: bool
    assignee: UUID | None = Field(None, alias="assignee_id")


class SocNoteIn(Schema):
    body: str = Field(..., min_length=1)


class SocNoteOut(Schema):
    id: UUID
    author: str
    body: str
    created_at: datetime


class SocObservableIn(Schema):
    type: ObservableKind
    value: str = Field(..., min_length=1, max_length=1000)
    tlp: TlpName = "amber"
    pap: PapName = "amber"


class SocObservableOut(Schema):
    id: UUID
    type: str
    value: str
    tlp: str
    pap: str
    source: str


class SocTimelineOut(Schema):
    at: datetime
    kind: str
    actor_label: str
    body: str


class SocIncidentOut(Schema):
    id: UUID
    reference: str
    state: str
    team: str


class SocCaseFullOut(SocCaseOut):
    alerts: list[SocAlertOut]
    tasks: list[SocTaskOut]
    observables: list[SocObservableOut]
    notes: list[SocNoteOut]
    timeline: list[SocTimelineOut]
    mttd_seconds: float | None
    mtta_seconds: float | None
    mttr_seconds: float | None
    incident_detail: SocIncidentOut | None
    enrichment: dict[str, str] | None


class SocCaseStatusIn(Schema):
    status: CaseStatusName


class SocHandOffIn(Schema):
    team: UUID | None = Field(None, description="Leave empty for the support team of the case's CMDB asset.")
    note: str = ""


class SocRuleOut(Schema):
    id: UUID
    rule_id: str
    title: str
    level: str
    tags: list[str]
    enabled: bool
    source_path: str
    exceptions: list[dict[str, Any]]


class SocRuleExceptionIn(Schema):
    field: str = Field(..., min_length=1, max_length=100)
    value: str = Field(..., min_length=1, max_length=500)
    reason: str = Field(..., min_length=1)


class SocSuppressionIn(SocRuleExceptionIn):
    until: datetime


class SocSuppressionOut(Schema):
    id: UUID
    field: str
    value: str
    until: datetime
    reason: str
    hits: int
