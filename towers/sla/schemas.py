"""API shapes of results, credits statements and delivery verdicts."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref


class ResultOut(Schema):
    id: UUID
    service_level: UUID = Field(..., alias="service_level_id")
    service_level_code: str = Field(..., alias="service_level.code")
    period: date
    actual: Decimal
    measured: int
    met: int
    source: str
    evidence: dict[str, Any]


class ResultIn(Schema):
    service_level: UUID
    period: date = Field(..., description="The first day of the month.")
    actual: Decimal = Field(..., ge=0, le=100)
    evidence: dict[str, Any] = Field(default_factory=dict, description="Where the figure comes from.")


class PeriodIn(Schema):
    period: date = Field(..., description="The first day of the month.", examples=["2026-03-01"])


class CreditLineOut(Schema):
    service_level: str | None = Field(None, alias="service_level.code")
    kind: str
    percent: Decimal | None
    points: int | None
    amount: Decimal
    evidence: dict[str, Any]


class CreditStatementOut(Schema):
    id: UUID
    contract: UUID = Field(..., alias="contract_id")
    supplier: Ref
    period: date
    regime: str
    charges: Decimal
    total: Decimal
    cap_reduction: Decimal
    critical_failures: int
    lines: list[CreditLineOut]


class CreditRunOut(Schema):
    period: date
    charges: Decimal
    total: Decimal
    critical_failures: int


class DeliveryOut(Schema):
    contract: UUID = Field(..., alias="contract_id")
    supplier: Ref
    period: date
    score: Decimal
    eligible: bool
    kpi_scores: dict[str, Any]
    reasons: list[dict[str, Any]]
