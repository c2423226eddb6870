"""REST routes for CMDB import: a batch of CIs as JSON or a CSV file, reconciled by source authority (thin)."""

from dataclasses import replace
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, File, Router, Schema, UploadedFile
from ninja.pagination import paginate

from towers.cmdb.selectors import source_get, source_list
from towers.cmdb.services.reconcile import MAX_ITEMS, ci_import, read_items_csv
from towers.core.actor import Actor, Channel
from towers.core.api import Page
from towers.organisations.schemas import Ref

router = Router(tags=["CMDB import"])


class CmdbImportIn(Schema):
    source: str = Field(..., min_length=1, description="The code of the data source reporting these CIs.")
    dry_run: bool = Field(True, description="Check and report what would happen, changing nothing (the default).")
    # Items stay loose here so one bad item is reported by itself instead of refusing the whole batch.
    items: list[dict[str, Any]] = Field(
        ...,
        description=(
            f"At most {MAX_ITEMS} CIs, each {{class, native_key, name, owner (organisation code), support_team "
            "(team code), criticality, environment, lifecycle, attributes: {name: value}, relationships: "
            "[{type, target: {class, native_key} or {class, attributes: {…}}}]}."
        ),
    )


class CmdbConflictOut(Schema):
    attribute: str
    current_value: Any
    current_source: str | None
    incoming_value: Any
    incoming_source: str
    reason: str = Field(..., description="not_authoritative, higher_priority, owner_change or ambiguous.")
    detail: str
    ci: UUID | None


class CmdbItemReportOut(Schema):
    index: int = Field(..., description="The item's position in the request, from 0.")
    line: int | None = Field(None, description="The line of the CSV file the item came from.")
    native_key: str
    outcome: str = Field(..., description="created, updated, unchanged or rejected.")
    ci: UUID | None
    conflicts: list[CmdbConflictOut]
    problems: dict[str, list[str]]


class CmdbTotalsOut(Schema):
    items: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    conflicts: int


class CmdbImportReportOut(Schema):
    source: str
    dry_run: bool
    batches: int
    totals: CmdbTotalsOut
    items: list[CmdbItemReportOut]


class DataSourceOut(Schema):
    id: UUID
    code: str
    name: str
    organisation: Ref
    priority: int = Field(..., description="Lower wins where no attribute rule says otherwise.")


def _importer(request: HttpRequest) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return replace(actor, channel=Channel.IMPORT)


@router.post(
    "/cmdb/import",
    response=CmdbImportReportOut,
    summary=f"Import up to {MAX_ITEMS} CIs from a source (dry_run=true by default: checks, changes nothing)",
)
def cmdb_import(request: HttpRequest, body: CmdbImportIn) -> Any:
    actor = _importer(request)
    source = source_get(actor=actor, code=body.source)
    return ci_import(actor=actor, source=source, items=body.items, dry_run=body.dry_run).as_dict()


@router.post(
    "/cmdb/import/csv",
    response=CmdbImportReportOut,
    summary=f"Import up to {MAX_ITEMS} CIs from a CSV file (dry_run=true by default)",
    description=(
        "Columns: class, native_key, name, owner, support_team, criticality, environment, lifecycle, "
        "`attr.<name>` for attributes and `rel.<type>` for relationships, whose cells hold the target's "
        "native key in the same source or `class:attribute=value` (several separated by ';')."
    ),
)
def cmdb_import_csv(request: HttpRequest, source: str, file: File[UploadedFile], dry_run: bool = True) -> Any:
    actor = _importer(request)
    data_source = source_get(actor=actor, code=source)
    items = read_items_csv(file.read())
    return ci_import(actor=actor, source=data_source, items=items, dry_run=dry_run).as_dict()


@router.get("/cmdb/sources", response=list[DataSourceOut])
@paginate(Page)
def cmdb_sources(request: HttpRequest) -> Any:
    return source_list(actor=request.actor)  # type: ignore[attr-defined]
