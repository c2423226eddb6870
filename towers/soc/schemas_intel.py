"""API shapes of the SOC's threat intelligence: indicators, their hits, and the report of a bundle import."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

ImportOutcome = Literal["created", "updated", "unchanged", "skipped"]


class IndicatorOut(Schema):
    id: UUID
    organisation: UUID
    stix_id: str
    name: str
    type: str
    value: str
    pattern: str
    labels: list[str]
    confidence: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    source: str
    hits: int = Field(description="Alerts of the SOC's threat intelligence rule whose events name this indicator.")


class IndicatorAlertOut(Schema):
    id: UUID
    title: str
    severity: str
    status: str
    host: str
    user: str
    ip: str
    count: int
    last_seen: datetime
    case: UUID | None


class IndicatorFullOut(IndicatorOut):
    observables: list[list[str]]
    alerts: list[IndicatorAlertOut]


class IndicatorImportIn(Schema):
    bundle: dict[str, Any] = Field(description='A STIX 2.1 bundle: {"type": "bundle", "objects": [...]}.')
    source: str = Field("api", max_length=500, description="Where the bundle came from (kept on each indicator).")
    dry_run: bool = Field(True, description="Check and report what would happen, changing nothing (the default).")


class ImportRowOut(Schema):
    stix_id: str
    name: str
    outcome: ImportOutcome
    reason: str


class IndicatorImportOut(Schema):
    source: str
    dry_run: bool
    totals: dict[str, int]
    rows: list[ImportRowOut]
