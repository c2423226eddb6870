"""API shapes of contracts, the catalogue, calendars and service levels."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref


class ContractOut(Schema):
    id: UUID
    reference: str
    title: str
    supplier: Ref
    tower: Ref | None
    starts_on: date
    ends_on: date
    service_period: str
    period_charge: Decimal
    credit_regime: str
    credit_cap_percent: Decimal
    point_value: Decimal | None
    point_value_is_percent: bool
    delivery_kpis: list[dict[str, Any]]
    eligibility_rules: dict[str, Any]
    version: int


class ContractIn(Schema):
    reference: str = Field(..., min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    title: str = Field(..., min_length=1, max_length=200)
    supplier: UUID
    tower: UUID | None = None
    starts_on: date
    ends_on: date
    period_charge: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    credit_regime: Literal["none", "ccs", "msc"] = "none"
    credit_cap_percent: Decimal = Field(Decimal(10), ge=0, le=100)
    point_value: Decimal | None = Field(None, ge=0)
    point_value_is_percent: bool = False


class ContractPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    ends_on: date | None = None
    period_charge: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    credit_regime: Literal["none", "ccs", "msc"] | None = None
    credit_cap_percent: Decimal | None = Field(None, ge=0, le=100)
    point_value: Decimal | None = Field(None, ge=0)
    point_value_is_percent: bool | None = None
    delivery_kpis: list[dict[str, Any]] | None = None
    eligibility_rules: dict[str, Any] | None = None


class ChargeIn(Schema):
    period: date = Field(..., description="The first day of the month.")
    amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)


class ChargeOut(Schema):
    period: date
    amount: Decimal


class OfferingOut(Schema):
    id: UUID
    code: str
    name: str
    supplier: Ref


class ServiceOut(Schema):
    id: UUID
    code: str
    name: str
    category: str
    description: str
    tower: Ref | None
    owner: Ref
    offerings: list[OfferingOut]
    is_active: bool


class ServiceIn(Schema):
    code: str = Field(..., min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    category: str = "other"
    owner: UUID
    tower: UUID | None = None
    description: str = ""


class HoursOut(Schema):
    effective_from: date
    weekday: int
    start: time
    end: time


class ClosureOut(Schema):
    starts_at: datetime
    ends_at: datetime
    reason: str


class CalendarOut(Schema):
    id: UUID
    code: str
    name: str
    owner: Ref
    always_open: bool
    bank_holidays: bool
    timezone: str
    hours: list[HoursOut]
    closures: list[ClosureOut]


class HoursIn(Schema):
    effective_from: date
    windows: list[tuple[int, time, time]] = Field(
        ..., description="[weekday 0=Monday, start, end] for each opening window", examples=[[[0, "08:00", "18:00"]]]
    )


class ClosureIn(Schema):
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(..., min_length=1, max_length=200)


class ServiceLevelOut(Schema):
    id: UUID
    code: str
    name: str
    kind: str
    contract: UUID | None = Field(None, alias="contract_id")
    service: Ref
    provider: Ref
    customer: Ref
    metric: str
    priority: str
    target: timedelta | None
    calendar: Ref | None
    pause_states: list[str]
    performance_measure: Decimal
    threshold: Decimal | None
    higher_is_better: bool
    point_bands: list[Any]
    is_active: bool
    starts_at: datetime | None = Field(None, description="In force from (a level that took over from another)")
    ended_at: datetime | None = Field(None, description="No longer in force from: it still measures what came before")
    version: int


class ServiceLevelIn(Schema):
    code: str = Field(..., min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    kind: Literal["sla", "ola", "uc"]
    contract: UUID | None = None
    service: UUID
    provider: UUID
    customer: UUID
    metric: Literal["response", "resolution", "availability", "kpi"]
    priority: str = ""
    target: timedelta | None = Field(None, description="ISO 8601 duration, e.g. PT4H")
    calendar: UUID | None = None
    pause_states: list[str] = Field(default_factory=list)
    performance_measure: Decimal = Field(..., ge=0, le=100)
    threshold: Decimal | None = Field(None, ge=0, le=100)
    higher_is_better: bool = True
    point_bands: list[tuple[Decimal, int]] = Field(default_factory=list)


class ServiceLevelPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    target: timedelta | None = None
    pause_states: list[str] | None = None
    performance_measure: Decimal | None = Field(None, ge=0, le=100)
    threshold: Decimal | None = Field(None, ge=0, le=100)
    point_bands: list[tuple[Decimal, int]] | None = None
    is_active: bool | None = None
