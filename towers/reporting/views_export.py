"""Downloads of the monthly service review pack (PDF and XLSX): parse, check, build, render. Nothing else.

The checks are the page's own (access.supplier_by_code, ensure_may_read_pack), so a file never shows more than
the page it is downloaded from.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from towers.core.errors import ValidationFailed
from towers.organisations.views.common import request_actor, ui_view
from towers.reporting import render_pdf, render_xlsx
from towers.reporting.access import ensure_may_read_pack, supplier_by_code, tower_by_code
from towers.reporting.pack import ServicePack
from towers.reporting.selectors_pack import build_pack, parse_month

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(
    request: HttpRequest,
    month: str,
    supplier_code: str | None,
    render: Callable[[ServicePack], bytes],
    kind: str,
    tower_code: str | None = None,
) -> HttpResponse:
    actor = request_actor(request)  # who may read the pack first: an outsider learns nothing, not even the format
    supplier, tower = None, None
    if supplier_code is not None:
        supplier = supplier_by_code(actor, supplier_code)  # NotFound outside the reader's visibility
    elif tower_code is not None:
        tower = tower_by_code(actor, tower_code)
    else:
        ensure_may_read_pack(actor, None)
    try:
        first_day = parse_month(month)
    except ValidationFailed as exc:
        # A file link answers with the reason, not a bare 404 page: it is often opened from a bookmark or a mail.
        return HttpResponseBadRequest(f"No pack for {month!r}: {exc.message}", content_type="text/plain")
    pack = build_pack(actor=actor, month=first_day, supplier=supplier, tower=tower)
    response = HttpResponse(render(pack), content_type=CONTENT_TYPES[kind])
    whose = supplier.code if supplier else f"tower-{tower.code}" if tower else "estate"
    name = f"service-review-{whose}-{first_day:%Y-%m}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@ui_view
def pack_pdf(
    request: HttpRequest, month: str, supplier_code: str | None = None, tower_code: str | None = None
) -> HttpResponse:
    return _download(request, month, supplier_code, render_pdf.pack_pdf, "pdf", tower_code)


@ui_view
def pack_xlsx(
    request: HttpRequest, month: str, supplier_code: str | None = None, tower_code: str | None = None
) -> HttpResponse:
    return _download(request, month, supplier_code, render_xlsx.pack_xlsx, "xlsx", tower_code)
