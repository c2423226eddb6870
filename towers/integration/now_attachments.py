"""ServiceNow's Attachment API (/api/now/attachment, and /api/now/v1/attachment as PySNC calls it) over the files
on tickets: list and read metadata, download, and upload raw (`/file`) or as a form (`/upload`).

Attachments belong to the task tables' records and are seen by whoever sees the ticket (a requester only the
public ones). Uploads go through the service desk's attachment service, so its size and type limits apply (a
400 naming the limit). ServiceNow lets DELETE destroy a file; Towers refuses it (403): an attachment is evidence
on the ticket's timeline and audit trail, and a wrong one is answered by a comment, not by erasing it.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.integration import now_http as http
from towers.integration.now_columns import Column, now_time, order_fields, query_q, sys_id, whole
from towers.integration.now_query import QueryError, parse_encoded_query
from towers.integration.now_records import api_time
from towers.integration.now_registry import TABLES
from towers.integration.now_tables import TASK_TABLES
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import Attachment, Ticket
from towers.servicedesk.selectors import tickets_visible
from towers.servicedesk.services.attachments import attachment_add
from towers.servicedesk.services.config import desk_settings

NOW_TABLE: dict[str, str] = {kind.value: name for name, kind in TASK_TABLES.items()}
COLUMNS: dict[str, Column] = {
    "sys_id": Column("id", sys_id),
    "table_name": Column("ticket__kind", choices={name: (kind,) for name, kind in TASK_TABLES.items()}),
    "table_sys_id": Column("ticket_id", sys_id),
    "file_name": Column("filename", text=True),
    "content_type": Column("content_type", text=True),
    "size_bytes": Column("size", whole),
    "hash": Column("sha256", str.lower),
    "sys_created_on": Column("created_at", now_time),
    "sys_created_by": Column("uploaded_by", text=True),
}
REFUSED = (ValidationFailed, QueryError, Forbidden, NotFound)


def attachments_visible(actor: Actor) -> QuerySet[Attachment]:
    """Files on the task-table tickets the actor may see; a requester sees only the public ones."""
    found = Attachment.objects.filter(ticket__in=tickets_visible(actor), ticket__kind__in=TASK_TABLES.values())
    return (found.filter(public=True) if is_requester_only(actor) else found).select_related("ticket")


def metadata(attachment: Attachment, base_url: str) -> dict[str, str]:
    """The attachment record as ServiceNow returns it (every value a string; `hash` is the SHA-256)."""
    created = api_time(attachment.created_at)
    return {
        "sys_id": attachment.pk.hex,
        "file_name": attachment.filename,
        "content_type": attachment.content_type,
        "size_bytes": str(attachment.size),
        "size_compressed": str(attachment.size),
        "compressed": "false",
        "state": "available",
        "hash": attachment.sha256,
        "table_name": NOW_TABLE[attachment.ticket.kind],
        "table_sys_id": attachment.ticket_id.hex,
        "download_link": f"{base_url}/api/now/attachment/{attachment.pk.hex}/file",
        "sys_created_on": created,
        "sys_created_by": attachment.uploaded_by,
        "sys_updated_on": created,
        "sys_updated_by": attachment.uploaded_by,
        "sys_mod_count": "0",
    }


def _answer(request: HttpRequest, work: Any) -> HttpResponseBase:
    """Run `work(actor)` for a signed-in caller, answering refusals in ServiceNow's shape."""
    actor = http.request_actor(request)
    if actor is None:
        return http.unauthenticated()
    try:
        response: HttpResponseBase = work(actor)
    except REFUSED as exc:
        return http.refusal(exc)
    return response


def _one(actor: Actor, value: str) -> Attachment:
    try:
        pk = sys_id(value)
    except ValueError as exc:
        raise ValidationFailed.one("sys_id", str(exc)) from None
    found = attachments_visible(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound
    return found


@csrf_exempt
@require_GET
def attachments(request: HttpRequest) -> HttpResponseBase:
    def work(actor: Actor) -> HttpResponseBase:
        query = parse_encoded_query(request.GET.get("sysparm_query", ""))
        limit = http.whole(request, "sysparm_limit", 1000, 10_000)
        offset = http.whole(request, "sysparm_offset", 0, 10**9)
        found = attachments_visible(actor).filter(query_q(query, COLUMNS)).distinct()
        ordered = found.order_by(*order_fields(query, COLUMNS), "created_at", "id")
        base = http.base_url(request)
        rows = [metadata(a, base) for a in ordered[offset : offset + limit]] if limit else []
        response = JsonResponse({"result": rows})
        http.paginate(request, response, offset, limit, ordered.count())
        return response

    return _answer(request, work)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def attachment(request: HttpRequest, sys_id_value: str) -> HttpResponseBase:
    def work(actor: Actor) -> HttpResponseBase:
        found = _one(actor, sys_id_value)
        if request.method == "DELETE":
            raise Forbidden("Towers keeps attachments as evidence on the ticket; they are not deleted")
        return JsonResponse({"result": metadata(found, http.base_url(request))})

    return _answer(request, work)


@csrf_exempt
@require_GET
def attachment_file(request: HttpRequest, sys_id_value: str) -> HttpResponseBase:
    def work(actor: Actor) -> FileResponse:
        found = _one(actor, sys_id_value)
        response = FileResponse(found.file.open("rb"), content_type=found.content_type)
        response["X-Attachment-Metadata"] = json.dumps(metadata(found, http.base_url(request)))
        return response

    return _answer(request, work)


def _ticket(actor: Actor, table: str, table_sys_id: str) -> Ticket:
    """The record a file is for: a task table's, visible to the caller, or 404 as for any record."""
    if table not in TASK_TABLES:
        raise ValidationFailed.one("table_name", f"files attach to {', '.join(TASK_TABLES)} records here")
    try:
        pk = sys_id(table_sys_id)
    except ValueError as exc:
        raise ValidationFailed.one("table_sys_id", str(exc)) from None
    ticket: Ticket | None = TABLES[table].rows(actor).filter(pk=pk).first()
    if ticket is None:
        raise NotFound
    return ticket


def _store(
    request: HttpRequest, actor: Actor, fields: Any, name: str, content_type: str, data: bytes
) -> HttpResponseBase:
    http.ensure_may_write(actor)
    ticket = _ticket(actor, fields.get("table_name", ""), fields.get("table_sys_id", ""))
    if not name:
        raise ValidationFailed.one("file_name", "is required")
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    made = attachment_add(actor=actor, ticket=ticket, filename=name, content_type=content_type, data=data)
    found = attachments_visible(actor).get(pk=made.pk)
    response = JsonResponse({"result": metadata(found, http.base_url(request))}, status=201)
    response["Location"] = f"{http.base_url(request)}/api/now/attachment/{made.pk.hex}"
    return response


def _body(request: HttpRequest) -> bytes:
    """The raw body, read up to one byte past the desk's limit (so the service can name the limit)."""
    return request.read(desk_settings().attachment_max_bytes + 1)


@csrf_exempt
@require_POST
def attachment_post_file(request: HttpRequest) -> HttpResponseBase:
    """POST /attachment/file?table_name=…&table_sys_id=…&file_name=…, the file as the body."""

    def work(actor: Actor) -> HttpResponseBase:
        content_type = request.content_type or ""
        return _store(request, actor, request.GET, request.GET.get("file_name", ""), content_type, _body(request))

    return _answer(request, work)


@csrf_exempt
@require_POST
def attachment_upload(request: HttpRequest) -> HttpResponseBase:
    """POST /attachment/upload: a form with table_name, table_sys_id and the file (any field name).

    pysnow's multipart mode sends the raw file with a bare `multipart/form-data` type and the fields in the
    query string; that is taken as a raw upload rather than refused.
    """

    def work(actor: Actor) -> HttpResponseBase:
        if "boundary=" not in request.META.get("CONTENT_TYPE", ""):
            return _store(request, actor, request.GET, request.GET.get("file_name", ""), "", _body(request))
        upload = next((f for f in request.FILES.values() if isinstance(f, UploadedFile)), None)
        if upload is None:
            raise ValidationFailed.one("file", "the form carries no file")
        fields = request.POST if "table_name" in request.POST else request.GET
        name = upload.name or request.GET.get("file_name", "")
        content_type = upload.content_type or ""
        return _store(request, actor, fields, name, content_type, upload.read(desk_settings().attachment_max_bytes + 1))

    return _answer(request, work)
