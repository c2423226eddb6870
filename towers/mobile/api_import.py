"""REST routes of mobile services (thin): the import part."""

import json
from dataclasses import replace
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Status, UploadedFile
from ninja.pagination import paginate

from towers.core.actor import Actor, Channel
from towers.core.api import Page
from towers.core.errors import ValidationFailed
from towers.mobile.mdm_formats import MdmFormatError, mapping_from_json
from towers.mobile.models import MdmImport
from towers.mobile.schemas_import import FORMAT_HELP, MdmImportIn, MdmImportOut, MdmImportReportOut
from towers.mobile.selectors_import import mdm_import_get, mdm_import_list
from towers.mobile.services.mdm_queue import mdm_import_or_queue
from towers.organisations.selectors import organisation_get, team_get

router = Router(tags=["Mobile"])
QUEUED_HELP = (
    "A file of more rows than TOWERS_MDM_INLINE_ROWS (2,000) is checked, then queued for the worker: the answer is "
    "202 with the run (status queued); follow it at GET /mobile/imports/{id}, whose `done` counts rows as they go."
)


def _answer(run: Any) -> Any:
    return Status(202 if run.status == MdmImport.Status.QUEUED else 201, run)


def _importer(request: HttpRequest) -> Actor:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    return replace(actor, channel=Channel.IMPORT)


def _run(
    request: HttpRequest, organisation: UUID, supplier: UUID | None, support_team: UUID | None, **kwargs: Any
) -> Any:
    actor = _importer(request)
    return mdm_import_or_queue(
        actor=actor,
        organisation=organisation_get(actor=actor, id=organisation),
        supplier=organisation_get(actor=actor, id=supplier) if supplier else None,
        support_team=team_get(actor=actor, id=support_team) if support_team else None,
        **kwargs,
    )


@router.post(
    "/mobile/imports",
    response={201: MdmImportReportOut, 202: MdmImportReportOut},
    summary="Import an MDM export sent as JSON (dry_run=true by default: checks, changes nothing)",
    description=QUEUED_HELP,
)
def mobile_import(request: HttpRequest, body: MdmImportIn) -> Any:
    data = json.dumps(body.export).encode()
    return _answer(_run(
        request, body.organisation, body.supplier, body.support_team, data=data, filename=body.filename,
        source_format=body.source_format, mapping=body.mapping, dry_run=body.dry_run,
    ))  # fmt: skip


@router.post(
    "/mobile/imports/file",
    response={201: MdmImportReportOut, 202: MdmImportReportOut},
    summary="Import an MDM export file: Intune CSV (UTF-8 or UTF-16), Graph JSON, or CSV/JSON with a mapping",
    description=QUEUED_HELP,
)
def mobile_import_file(
    request: HttpRequest,
    file: File[UploadedFile],
    organisation: Form[UUID],
    supplier: Form[UUID | None] = None,
    support_team: Form[UUID | None] = None,
    source_format: Form[str | None] = None,
    mapping: Form[str | None] = None,
    dry_run: Form[bool] = True,
) -> Any:
    return _answer(_run(
        request, organisation, supplier, support_team, data=file.read(), filename=file.name or "export",
        source_format=source_format or None, mapping=_mapping(mapping), dry_run=dry_run,
    ))  # fmt: skip


def _mapping(text: str | None) -> dict[str, str] | None:
    try:
        return mapping_from_json(text)
    except MdmFormatError as exc:
        raise ValidationFailed.one(exc.field, str(exc)) from None


@router.get("/mobile/imports", response=list[MdmImportOut], summary="MDM import runs, newest first")
@paginate(Page)
def mobile_imports(request: HttpRequest) -> Any:
    return mdm_import_list(actor=request.actor)  # type: ignore[attr-defined]


@router.get(
    "/mobile/imports/{id}",
    response=MdmImportReportOut,
    summary="One MDM import run with its row-level report",
    description=FORMAT_HELP,
)
def mobile_import_get(request: HttpRequest, id: UUID) -> Any:
    return mdm_import_get(actor=request.actor, id=id)  # type: ignore[attr-defined]
