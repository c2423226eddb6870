"""A ServiceNow-compatible Table API at /api/now/table/<table> (and /api/now/v1|v2/table/…), so a supplier's
ServiceNow client, script or integration reads and writes Towers as it does ServiceNow.

The tables are in now_registry: the task tables over tickets, cmdb_ci and its class tables, sys_user and
sys_user_group. Every record goes through the same visibility as the rest of Towers: a supplier's credentials
reach only what that supplier may see, and what it may not see is a 404 exactly like what does not exist.

Writes go through the owning app's services, so they are checked, attributed and audited as in the UI. PUT and
PATCH both change only the fields given (as in ServiceNow). DELETE never destroys a record, since Towers keeps
every record's history for the authority and its audit: it cancels a ticket, retires a CI and deactivates a
person or a team, where the caller may (403 in ServiceNow's error shape where not), and answers 204.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.integration import now_http as http
from towers.integration.now_columns import order_fields, query_q, sys_id
from towers.integration.now_query import QueryError, parse_encoded_query
from towers.integration.now_records import Shape
from towers.integration.now_registry import TABLES, Table

DEFAULT_LIMIT = 10_000  # ServiceNow's own default page size
MAX_LIMIT = 10_000
REFUSED = (ValidationFailed, QueryError, Forbidden, NotFound, StaleVersion)


def _signed_in(request: HttpRequest, table: str) -> tuple[Actor, Table] | JsonResponse:
    """The caller and the table, or the answer to a caller not signed in or naming a table Towers does not serve."""
    actor = http.request_actor(request)
    if actor is None:
        return http.unauthenticated()
    entry = TABLES.get(table)
    if entry is None:
        return http.now_error(400, "Invalid table", f"Towers serves {', '.join(TABLES)} here; not {table!r}")
    return actor, entry


def _json(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json", status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def table(request: HttpRequest, table: str) -> HttpResponse:
    found = _signed_in(request, table)
    if isinstance(found, JsonResponse):
        return found
    actor, entry = found
    try:
        return _create(request, table, entry, actor) if request.method == "POST" else _list(request, entry, actor)
    except REFUSED as exc:
        return http.refusal(exc)


def _list(request: HttpRequest, entry: Table, actor: Actor) -> HttpResponse:
    query = parse_encoded_query(request.GET.get("sysparm_query", ""))
    limit = http.whole(request, "sysparm_limit", DEFAULT_LIMIT, MAX_LIMIT)
    offset = http.whole(request, "sysparm_offset", 0, 10**9)
    shape = http.shape(request, entry.fields)
    records = entry.rows(actor).filter(query_q(query, entry.columns)).distinct()
    ordered = records.order_by(*order_fields(query, entry.columns), *entry.order)
    page = list(ordered[offset : offset + limit]) if limit else []
    response = JsonResponse(
        {"result": [entry.render(r, shape) for r in page]}, json_dumps_params={"ensure_ascii": False}
    )
    http.paginate(request, response, offset, limit, None if http.flag(request, "sysparm_no_count") else ordered.count())
    return response


def _create(request: HttpRequest, table: str, entry: Table, actor: Actor) -> HttpResponse:
    if entry.create is None:
        return http.now_error(403, "Operation Failed", f"Towers does not create {table} records through this API")
    shape = http.shape(request, entry.fields)
    http.ensure_may_write(actor)
    made = entry.create(actor, http.read_json(request))
    response = _render(entry, actor, made, shape, status=201)
    response["Location"] = f"{shape.base_url}/api/now/table/{table}/{made.pk.hex}"
    return response


def _render(entry: Table, actor: Actor, obj: Any, shape: Shape, status: int = 200) -> HttpResponse:
    """The record as the caller now sees it (read again, so its related rows are loaded as on a list)."""
    found = entry.rows(actor).filter(pk=obj.pk).first() or obj
    return _json({"result": entry.render(found, shape)}, status=status)


@csrf_exempt
@require_http_methods(["GET", "PUT", "PATCH", "DELETE"])
def record(request: HttpRequest, table: str, sys_id_value: str) -> HttpResponse:
    found = _signed_in(request, table)
    if isinstance(found, JsonResponse):
        return found
    actor, entry = found
    try:
        pk = sys_id(sys_id_value)
    except ValueError as exc:
        return http.now_error(400, "Invalid request", str(exc))
    try:
        shape = http.shape(request, entry.fields)
        target = entry.rows(actor).filter(pk=pk).first()
        if target is None:  # missing and not visible look the same
            raise NotFound
        if request.method == "GET":
            return _json({"result": entry.render(target, shape)})
        if request.method == "DELETE" and entry.delete is not None:
            http.ensure_may_write(actor)
            entry.delete(actor, target)
            return HttpResponse(status=204)
        if request.method != "DELETE" and entry.update is not None:
            http.ensure_may_write(actor)
            entry.update(actor, target, http.read_json(request))
            return _render(entry, actor, target, shape)
        return http.now_error(403, "Operation Failed", f"Towers does not change {table} records through this API")
    except REFUSED as exc:
        return http.refusal(exc)
