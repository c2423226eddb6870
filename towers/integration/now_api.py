"""A ServiceNow-compatible Table API at /api/now/table/<table> (and /api/now/v2/table/…), so a supplier's
ServiceNow client, script or integration reads Towers as it reads ServiceNow. Reads of the task tables so far.

Authentication is ServiceNow's: HTTP basic (a Towers user name and password, or a user name and an API token as
the password) or a bearer API token. Every record goes through the same visibility as the rest of Towers: a
supplier's credentials reach only the tickets that supplier is party to.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden, ValidationFailed
from towers.integration.now_query import QueryError, parse_encoded_query
from towers.integration.now_records import FIELDS, ticket_record
from towers.integration.now_tables import TASK_TABLES, order_fields, query_q, sys_id
from towers.integration.now_writes import incident_create
from towers.organisations.models import ApiToken, Person
from towers.organisations.selectors import actor_for
from towers.organisations.services.tokens import token_authenticate
from towers.servicedesk.models import Ticket
from towers.servicedesk.selectors import tickets_visible

DEFAULT_LIMIT = 10_000  # ServiceNow's own default page size
MAX_LIMIT = 10_000


def now_error(status: int, message: str, detail: str = "") -> JsonResponse:
    """ServiceNow's error shape."""
    response = JsonResponse({"error": {"message": message, "detail": detail}, "status": "failure"}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Towers"'
    return response


def request_actor(request: HttpRequest) -> Actor | None:
    """The caller from `Authorization: Basic …` (password or API token) or `Bearer <token>`; None if neither."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        token = token_authenticate(credentials.strip())
        return (
            actor_for(token.person, organisation=token.organisation, channel=Channel.API, token=token)
            if token
            else None
        )
    if scheme.lower() != "basic":
        return None
    try:
        username, _, secret = base64.b64decode(credentials.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    token = token_authenticate(secret)
    if token is not None and token.person.username == username:
        return actor_for(token.person, organisation=token.organisation, channel=Channel.API, token=token)
    person = authenticate(request, username=username, password=secret)
    return actor_for(person, channel=Channel.API) if isinstance(person, Person) else None


def _refusal(actor: Actor | None, table: str) -> JsonResponse | None:
    """The answer to a caller who is not signed in, or who names a table Towers does not serve; None if neither."""
    if actor is None:
        return now_error(401, "User Not Authenticated", "Required to provide Auth information")
    if table not in TASK_TABLES:
        return now_error(400, "Invalid table", f"Towers serves {', '.join(TASK_TABLES)} here; not {table!r}")
    return None


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "false").lower() == "true"


def _whole(request: HttpRequest, name: str, default: int, most: int) -> int:
    try:
        value = int(request.GET.get(name, default))
    except ValueError:
        raise QueryError(f"{name} must be a whole number") from None
    if value < 0:
        raise QueryError(f"{name} must not be negative")
    return min(value, most)


def _fields(request: HttpRequest) -> list[str] | None:
    wanted = [f.strip() for f in request.GET.get("sysparm_fields", "").split(",") if f.strip()]
    return wanted or None


def _display(request: HttpRequest) -> str:
    value = request.GET.get("sysparm_display_value", "false").lower()
    if value not in ("true", "false", "all"):
        raise QueryError("sysparm_display_value must be true, false or all")
    return value


def _records(request: HttpRequest, table: str, actor: Actor) -> Any:
    return (
        tickets_visible(actor)
        .filter(kind=TASK_TABLES[table])
        .select_related("team", "assignee", "requester", "category")
        .prefetch_related("cis")
    )


def _link_header(request: HttpRequest, offset: int, limit: int, total: int) -> str:
    base = request.build_absolute_uri(request.path)
    params = {k: v for k, v in request.GET.items() if k not in ("sysparm_offset", "sysparm_limit")}

    def link(at: int, rel: str) -> str:
        return f'<{base}?{urlencode({**params, "sysparm_offset": at, "sysparm_limit": limit})}>;rel="{rel}"'

    last = max(0, (total - 1) // limit * limit) if limit else 0
    links = [link(0, "first")]
    if offset > 0:
        links.append(link(max(0, offset - limit), "prev"))
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    links.append(link(last, "last"))
    return ",".join(links)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def table(request: HttpRequest, table: str) -> HttpResponse:
    actor = request_actor(request)
    refused = _refusal(actor, table)
    if refused is not None or actor is None:  # (the second test only tells the type checker what _refusal did)
        return refused or now_error(401, "User Not Authenticated", "Required to provide Auth information")
    if request.method == "POST":
        return _create(request, table, actor)
    try:
        query = parse_encoded_query(request.GET.get("sysparm_query", ""))
        limit = _whole(request, "sysparm_limit", DEFAULT_LIMIT, MAX_LIMIT)
        offset = _whole(request, "sysparm_offset", 0, 10**9)
        display, fields = _display(request), _fields(request)
        unknown = [f for f in fields or [] if f not in FIELDS]
        if unknown:
            raise QueryError(f"sysparm_fields: no such field {', '.join(unknown)}")
        records = _records(request, table, actor).filter(query_q(query))
        ordered = records.distinct().order_by(*order_fields(query), "opened_at", "id")
    except QueryError as exc:
        return now_error(400, "Invalid query", str(exc))
    page = list(ordered[offset : offset + limit]) if limit else []
    base_url = request.build_absolute_uri("/").rstrip("/")
    links = not _flag(request, "sysparm_exclude_reference_link")
    result = [
        ticket_record(t, table=table, fields=fields, display=display, links=links, base_url=base_url) for t in page
    ]
    response = JsonResponse({"result": result}, json_dumps_params={"ensure_ascii": False})
    if not _flag(request, "sysparm_no_count"):
        total = ordered.count()
        response["X-Total-Count"] = str(total)
        if not _flag(request, "sysparm_suppress_pagination_header") and limit:
            response["Link"] = _link_header(request, offset, limit, total)
    return response


def _create(request: HttpRequest, table: str, actor: Actor) -> HttpResponse:
    if table != "incident":
        return now_error(403, "Operation Failed", f"Towers creates incidents through this API; {table} is read-only")
    if not _may_write(actor):
        return now_error(403, "Operation Failed", "This token has the read scope; creating needs the write scope")
    try:
        body = json.loads(request.body or b"null")
    except json.JSONDecodeError as exc:
        return now_error(400, "Exception while reading request", f"not JSON: {exc}")
    try:
        created = incident_create(actor=actor, body=body)
    except ValidationFailed as exc:
        detail = "; ".join(f"{name}: {', '.join(found)}" for name, found in exc.fields.items()) or exc.message
        return now_error(400, "Invalid request", detail)
    except Forbidden as exc:
        return now_error(403, "Operation Failed", str(exc) or "Not allowed")
    found = _records(request, table, actor).get(pk=created.pk)
    base_url = request.build_absolute_uri("/").rstrip("/")
    response = JsonResponse({"result": ticket_record(found, table=table, base_url=base_url)}, status=201)
    response["Location"] = f"{base_url}/api/now/table/{table}/{created.pk.hex}"
    return response


def _may_write(actor: Actor) -> bool:
    """A person signed in with a password may; a token only with the write scope (as on /api/v1)."""
    token_id = actor.token_id
    return token_id is None or ApiToken.objects.filter(pk=token_id, scope=ApiToken.Scope.WRITE).exists()


@csrf_exempt
@require_GET
def record(request: HttpRequest, table: str, sys_id_value: str) -> HttpResponse:
    actor = request_actor(request)
    refused = _refusal(actor, table)
    if refused is not None or actor is None:  # (the second test only tells the type checker what _refusal did)
        return refused or now_error(401, "User Not Authenticated", "Required to provide Auth information")
    try:
        pk = sys_id(sys_id_value)
        display, fields = _display(request), _fields(request)
    except (ValueError, QueryError) as exc:
        return now_error(400, "Invalid request", str(exc))
    found: Ticket | None = _records(request, table, actor).filter(pk=pk).first()
    if found is None:  # missing and not visible look the same
        return now_error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
    base_url = request.build_absolute_uri("/").rstrip("/")
    links = not _flag(request, "sysparm_exclude_reference_link")
    body = ticket_record(found, table=table, fields=fields, display=display, links=links, base_url=base_url)
    return HttpResponse(json.dumps({"result": body}, ensure_ascii=False), content_type="application/json")
