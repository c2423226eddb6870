"""API shapes of a device's lifecycle: issue, swap, repair, refresh, retirement and the steps they raise."""

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from towers.mobile.schemas_fleet import DeviceOut
from towers.mobile.selectors_lifecycle import refresh_reasons
from towers.organisations.schemas import Ref


class DeviceIssueIn(Schema):
    person: UUID | None = None
    team: UUID | None = None
    note: str = Field("", max_length=2000)


class DeviceSwapIn(Schema):
    replacement: UUID = Field(..., description="An in-stock device of the same owner.")
    reason: Literal["fault", "damage", "refresh", "upgrade"]
    note: str = Field("", max_length=2000)


class DeviceRepairIn(Schema):
    fault: str = Field(..., max_length=500)
    note: str = Field("", max_length=2000)


class DeviceRepairReturnIn(Schema):
    outcome: Literal["repaired", "beyond_repair"] = "repaired"
    note: str = Field("", max_length=2000)


class DeviceRetireIn(Schema):
    """The data-wipe evidence; leave `method` empty for a lost or stolen device whose remote wipe was done."""

    method: str = Field("", description="remote_wipe, factory_reset, certified_erasure or destruction.")
    performed_at: datetime | None = None
    performed_by: str = Field("", max_length=200)
    certificate: str = Field("", max_length=200, description="Needed for certified erasure and destruction.")
    note: str = Field("", max_length=2000)


class TaskTicketOut(Schema):
    id: UUID
    reference: str
    title: str
    state: str
    resolution_code: str


class DeviceTaskOut(Schema):
    id: int
    purpose: str
    ticket: TaskTicketOut
    team: Ref | None = Field(None, alias="ticket.team")
    replacement: UUID | None = Field(None, alias="replacement_id")
    sim: UUID | None = Field(None, alias="sim_id")
    data: dict[str, Any]
    raised_at: datetime
    finished_at: datetime | None
    outcome: str


class WipeEvidenceOut(Schema):
    id: UUID
    device: UUID = Field(..., alias="device_id")
    method: str
    performed_at: datetime
    performed_by: str
    certificate: str
    sha256: str
    has_document: bool
    task: UUID | None = Field(None, alias="task_id")
    recorded_by: str
    created_at: datetime

    @staticmethod
    def resolve_has_document(evidence: Any) -> bool:
        return bool(evidence.document)


class RefreshDueOut(DeviceOut):
    purchased_on: date | None
    end_of_support: date | None
    reasons: list[str]
    refresh_raised: bool = Field(False, alias="refresh_open")

    @staticmethod
    def resolve_reasons(device: Any) -> list[str]:
        return refresh_reasons(device)


class RefreshRaiseIn(Schema):
    devices: list[UUID] = Field(default_factory=list, description="Empty: every device due that you may see.")


class RefreshRaisedOut(Schema):
    raised: int
