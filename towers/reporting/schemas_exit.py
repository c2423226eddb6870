"""API shapes of exit packs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.organisations.schemas import Ref


class ExitPackIn(Schema):
    supplier: UUID = Field(..., description="The outgoing supplier (an organisation's id).")
    since: date | None = Field(None, description="Only tickets opened, and periods measured, from this date.")
    until: date | None = Field(None, description="Only tickets opened, and periods measured, up to this date.")


class ExitPackOut(Schema):
    id: UUID
    supplier: Ref
    status: str
    requested_by: str = Field(..., alias="requested_by_label")
    since: date | None
    until: date | None
    size: int = Field(..., description="The ZIP's size in bytes, once built.")
    sha256: str = Field(..., description="The ZIP's SHA-256, once built.")
    counts: dict[str, int] = Field(..., description="Records per part: tickets, cis, knowledge, …")
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download: str | None = Field(None, description="The ZIP's URL, once built.")

    @staticmethod
    def resolve_download(obj: Any) -> str | None:
        if obj.status != "done":
            return None
        return f"/api/v1/exit-packs/{obj.id}/download"


class ExitPackDetailOut(ExitPackOut):
    manifest: dict[str, Any] = Field(..., description="The manifest in the ZIP: each file's rows, bytes and SHA-256.")
