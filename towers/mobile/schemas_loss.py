"""API shapes of lost and stolen devices and of an owner's mobile settings."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema


class LossIn(Schema):
    kind: str = Field(description="lost or stolen")
    occurred_at: datetime | None = Field(None, description="When it went missing, if known.")
    location: str = ""
    circumstances: str = ""
    crime_reference: str = ""


class FoundIn(Schema):
    note: str = ""


class TicketRef(Schema):
    id: UUID
    reference: str
    state: str
    priority: str


class LossTaskOut(Schema):
    purpose: str
    ticket: TicketRef
    team: str | None = Field(None, alias="ticket.team.name")
    outcome: str
    finished_at: datetime | None


class LossDeviceRef(Schema):
    id: UUID
    name: str
    imei: str
    status: str


class LossOut(Schema):
    id: UUID
    device: LossDeviceRef
    kind: str
    status_before: str
    occurred_at: datetime | None
    location: str
    circumstances: str
    crime_reference: str
    person: str | None = Field(None, alias="person.username")
    reported_by: str
    on_behalf: bool
    incident: TicketRef | None
    # The case itself is the SOC's (see soc/policies.py): others learn only that one was opened.
    security_case_opened: bool = False
    found_at: datetime | None
    created_at: datetime
    tasks: list[LossTaskOut] = Field([], alias="task_list")

    @staticmethod
    def resolve_security_case_opened(obj: object) -> bool:
        return getattr(obj, "security_case_id", None) is not None


class LossQuery(Schema):
    open: bool = Field(False, description="Only devices not found again.")
    device: UUID | None = None


class MobileSettingsOut(Schema):
    organisation: UUID = Field(alias="organisation_id")
    incident_service: UUID | None = Field(None, alias="incident_service_id")
    loss_impact: int
    loss_urgency: int
    wipe_team: UUID | None = Field(None, alias="wipe_team_id")
    wipe_service: UUID | None = Field(None, alias="wipe_service_id")
    line_teams: list[UUID] = Field([], alias="line_team_ids")
    line_service: UUID | None = Field(None, alias="line_service_id")
    logistics_team: UUID | None = Field(None, alias="logistics_team_id")
    repair_team: UUID | None = Field(None, alias="repair_team_id")
    lifecycle_service: UUID | None = Field(None, alias="lifecycle_service_id")
    security_organisation: UUID | None = Field(None, alias="security_organisation_id")
    refresh_after_months: int
    support_warning_days: int
    version: int


class MobileSettingsPatch(Schema):
    incident_service: UUID | None = None
    loss_impact: int | None = None
    loss_urgency: int | None = None
    wipe_team: UUID | None = None
    wipe_service: UUID | None = None
    line_teams: list[UUID] | None = None
    line_service: UUID | None = None
    logistics_team: UUID | None = None
    repair_team: UUID | None = None
    lifecycle_service: UUID | None = None
    security_organisation: UUID | None = None
    refresh_after_months: int | None = None
    support_warning_days: int | None = None
