"""REST routes of exit packs (thin): ask for one, follow it, download it."""

from typing import Any
from uuid import UUID

from django.http import FileResponse, HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page
from towers.organisations.selectors import organisation_get
from towers.reporting.exit_selectors import exit_pack_get, exit_pack_list, exit_pack_ready
from towers.reporting.schemas_exit import ExitPackDetailOut, ExitPackIn, ExitPackOut
from towers.reporting.services.exit_pack import exit_pack_create, exit_pack_downloaded

router = Router(tags=["Reporting"])


@router.get("/exit-packs", response=list[ExitPackOut], summary="Exit data packs you may see, newest first")
@paginate(Page)
def exit_packs(request: HttpRequest) -> Any:
    return exit_pack_list(actor=request.actor)  # type: ignore[attr-defined]


@router.post(
    "/exit-packs",
    response={202: ExitPackDetailOut},
    summary="Ask for an outgoing supplier's exit data pack (built by the worker)",
    description="Answers 202 with the pack (status queued); follow it at GET /exit-packs/{id} until it is done.",
)
def exit_pack_request(request: HttpRequest, body: ExitPackIn) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    supplier = organisation_get(actor=actor, id=body.supplier)
    return Status(202, exit_pack_create(actor=actor, supplier=supplier, since=body.since, until=body.until))


@router.get("/exit-packs/{id}", response=ExitPackDetailOut, summary="One exit data pack, with its manifest")
def exit_pack(request: HttpRequest, id: UUID) -> Any:
    return exit_pack_get(actor=request.actor, id=id)  # type: ignore[attr-defined]


@router.get(
    "/exit-packs/{id}/download",
    response={200: None},
    url_name="exit_pack_download",
    summary="The exit data pack's ZIP (404 until it is built)",
)
def exit_pack_download(request: HttpRequest, id: UUID) -> Any:
    actor = request.actor  # type: ignore[attr-defined]
    pack = exit_pack_ready(actor=actor, id=id)
    exit_pack_downloaded(actor=actor, pack=pack)
    response = FileResponse(
        pack.file.open("rb"), as_attachment=True, filename=(pack.file.name or "exit-pack.zip").rsplit("/", 1)[-1]
    )
    response["Content-Type"] = "application/zip"
    response["X-Content-SHA256"] = pack.sha256
    return response
