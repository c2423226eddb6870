"""API shapes of the service review pack: the dataclasses of `pack` as they read in JSON.

Figures, percentages and hours are JSON numbers (a count stays an integer); money keeps its pence exactly, as a
decimal string like the credits API. A trend's points are {month, value} objects rather than pairs.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

Number = int | float


class FigureOut(Schema):
    label: str
    value: Number | None
    unit: str
    link: str
    previous: Number | None


class SectionOut(Schema):
    key: str
    title: str
    figures: list[FigureOut]
    note: str


class AttainmentOut(Schema):
    service: str
    priority: str
    level: str
    kind: str
    provider: str
    measured: int
    met: int
    target_percent: float
    attained_percent: float | None
    breached: bool
    link: str


class BreachOut(Schema):
    reference: str
    title: str
    priority: str
    service: str
    level: str
    holder: str
    overdue_hours: float
    reason: str
    link: str


class PointOut(Schema):
    month: date
    value: Number


class SeriesOut(Schema):
    label: str
    points: list[PointOut]
    unit: str

    @staticmethod
    def resolve_points(obj: object) -> list[dict[str, object]]:
        return [{"month": month, "value": value} for month, value in getattr(obj, "points", ())]


class AgeBandOut(Schema):
    label: str
    count: int
    link: str


class MajorIncidentOut(Schema):
    reference: str
    title: str
    opened: date
    resolved: date | None
    duration_hours: float | None
    link: str


class CommercialLineOut(Schema):
    contract: str
    supplier: str
    credit_amount: Decimal | None
    credit_cap_reached: bool
    delivery_score: float | None
    eligible_for_change_work: bool | None
    link: str


class ServicePackOut(Schema):
    month: date
    supplier: str | None
    supplier_name: str
    tower: str | None = None
    generated_at: str
    generated_for: str
    sections: list[SectionOut]
    attainment: list[AttainmentOut]
    breaches: list[BreachOut]
    trends: list[SeriesOut]
    backlog_ageing: list[AgeBandOut]
    major_incidents: list[MajorIncidentOut]
    commercial: list[CommercialLineOut]
    notes: list[str]


class ClockOut(Schema):
    """One clock behind a pack's attainment or breach figure."""

    ticket: str = Field(alias="ticket.reference")
    title: str = Field(alias="ticket.title")
    priority: str = Field(alias="ticket.priority")
    level: str = Field(alias="name")
    level_id: UUID = Field(alias="service_level_id")
    kind: str
    metric: str
    provider: str = Field(alias="organisation.code")
    state: str
    target_hours: float | None
    elapsed_hours: float
    due_at: datetime | None
    stopped_at: datetime | None
    breached: bool


class ClockParams(Schema):
    supplier: str = Field("", description="A supplier's code: its pack's clocks (tickets it held or is party to)")
    tower: str = Field("", description="A tower's code: its suppliers' pack's clocks")
    kind: Literal["", "sla", "ola"] = Field("", description="sla, or ola for OLAs and UCs together")
    provider: str = Field("", description="The code of the organisation whose service level it is")
    breached: bool | None = None
    level: UUID | None = Field(None, description="One service level's clocks")


class HandOffRecordOut(Schema):
    """One hand-off behind a pack's hand-off figures."""

    id: UUID
    ticket: str = Field(alias="ticket.reference")
    title: str = Field(alias="ticket.title")
    created_at: datetime
    from_organisation: str | None = Field(None, alias="from_organisation.code")
    to_organisation: str = Field(alias="to_team.organisation.code")
    to_team: str = Field(alias="to_team.code")
    reason: str
    status: str
    response: str
    decided_at: datetime | None


class HandOffParams(Schema):
    supplier: str = Field("", description="A supplier's code: the hand-offs it sent or received")
    tower: str = Field("", description="A tower's code: the hand-offs its suppliers sent or received")
    status: str = Field("", description="pending, accepted, rejected or superseded")
    received: bool = Field(False, description="Only those the supplier (or tower) received")


class ChangeRecordOut(Schema):
    """One change behind a pack's change figures."""

    id: UUID
    reference: str
    title: str
    change_type: str = Field(alias="change_detail.change_type")
    outcome: str = Field(alias="change_detail.outcome")
    actual_end: datetime | None = Field(None, alias="change_detail.actual_end")
    team: str | None = Field(None, alias="team.code")


class ChangeParams(Schema):
    supplier: str = Field("", description="A supplier's code: the changes of tickets it held or is party to")
    tower: str = Field("", description="A tower's code: its suppliers' changes")
    outcome: str = Field("", description="successful, partial, failed, backed_out, or unsuccessful (either of those)")


class CaseRecordOut(Schema):
    """One security case behind a pack's security figures."""

    id: UUID
    reference: str
    title: str
    severity: str
    status: str
    soc: str = Field(alias="organisation.code")
    opened_at: datetime
    resolved_at: datetime | None


class CaseParams(Schema):
    supplier: str = Field("", description="A supplier's code: its own cases and those on incidents it is party to")
    tower: str = Field("", description="A tower's code: its suppliers' cases")
    resolved: bool = Field(False, description="Those resolved in the month, rather than opened in it")
