"""API shapes of MDM imports."""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.mobile.mdm_formats import FORMATS
from towers.organisations.schemas import Ref

FORMAT_HELP = f"One of {', '.join(FORMATS)}; detected from the header when left out."
MAPPING_HELP = "For csv/json (or to override Intune's columns): {canonical field: source column or key}."


class MdmImportIn(Schema):
    organisation: UUID = Field(..., description="The organisation whose fleet this is.")
    supplier: UUID | None = Field(None, description="The mobile supplier of new devices.")
    support_team: UUID | None = Field(
        None, description="The supplier's team supporting the devices' CIs (default: the owner's wipe or repair team)."
    )
    filename: str = Field("export.json", max_length=255)
    source_format: str | None = Field(None, description=FORMAT_HELP)
    mapping: dict[str, str] | None = Field(None, description=MAPPING_HELP)
    dry_run: bool = Field(True, description="Check and report what would happen, changing nothing (the default).")
    # Loose on purpose: one bad device is reported by itself instead of refusing the whole export.
    export: list[dict[str, Any]] | dict[str, Any] = Field(
        ..., description='The export: a list of devices, or Graph\'s {"value": [...]} envelope.'
    )


class MdmRowOut(Schema):
    line: int = Field(..., description="The CSV line, or the element's number (from 1) in JSON.")
    imei: str
    serial: str
    mdm_id: str
    name: str
    outcome: str = Field(..., description="created, updated, unchanged or rejected.")
    problems: dict[str, list[str]] = Field(..., description="Why the row was rejected, by field.")
    notes: list[str] = Field(..., description="What was imported but is worth knowing (e.g. an unknown user).")
    changes: list[str]
    ci: UUID | None
    device: UUID | None


class MdmImportOut(Schema):
    id: UUID
    organisation: Ref
    filename: str
    source_format: str
    dry_run: bool
    status: str
    total: int
    done: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    non_compliant: int
    started_by: str
    error: str = Field("", description="Why a queued run could not run.")
    created_at: datetime
    finished_at: datetime | None


class MdmImportReportOut(MdmImportOut):
    mapping: dict[str, str]
    report: list[MdmRowOut]
