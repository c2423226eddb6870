"""ServiceNow's HTTP conventions for the Table and Attachment APIs: authentication, the error shape, the sysparm_*
parameters and the pagination headers.

Authentication is ServiceNow's: HTTP basic (a Towers user name and password, or a user name and an API token as
the password) or a bearer API token. A token with the read scope may read only, as on /api/v1.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import authenticate
from django.http import HttpRequest, JsonResponse

from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.integration.now_query import QueryError
from towers.integration.now_records import Shape
from towers.organisations.models import ApiToken, Person
from towers.organisations.selectors import actor_for
from towers.organisations.services.tokens import token_authenticate

NOT_FOUND = ("No Record found", "Record doesn't exist or ACL restricts the record retrieval")


def now_error(status: int, message: str, detail: str = "") -> JsonResponse:
    """ServiceNow's error shape."""
    response = JsonResponse({"error": {"message": message, "detail": detail}, "status": "failure"}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Towers"'
    return response


def unauthenticated() -> JsonResponse:
    return now_error(401, "User Not Authenticated", "Required to provide Auth information")


def refusal(exc: Exception) -> JsonResponse:
    """A refused request in ServiceNow's shape: bad input 400, not allowed 403, not visible 404, stale 409."""
    if isinstance(exc, ValidationFailed):
        detail = "; ".join(f"{name}: {', '.join(found)}" for name, found in exc.fields.items()) or exc.message
        return now_error(400, "Invalid request", detail)
    if isinstance(exc, QueryError):
        return now_error(400, "Invalid query", str(exc))
    if isinstance(exc, Forbidden):
        return now_error(403, "Operation Failed", str(exc) or "Not allowed")
    if isinstance(exc, NotFound):
        return now_error(404, *NOT_FOUND)
    if isinstance(exc, StaleVersion):
        return now_error(409, "Conflict", str(exc))
    raise exc


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


def ensure_may_write(actor: Actor) -> None:
    """A person signed in with a password may; a token only with the write scope (as on /api/v1)."""
    token_id = actor.token_id
    if token_id is not None and not ApiToken.objects.filter(pk=token_id, scope=ApiToken.Scope.WRITE).exists():
        raise Forbidden("This token has the read scope; changing records needs the write scope")


def read_json(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationFailed.one("body", f"not JSON: {exc}") from None


def flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "false").lower() == "true"


def whole(request: HttpRequest, name: str, default: int, most: int) -> int:
    try:
        value = int(request.GET.get(name) or default)
    except ValueError:
        raise QueryError(f"{name} must be a whole number") from None
    if value < 0:
        raise QueryError(f"{name} must not be negative")
    return min(value, most)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def shape(request: HttpRequest, known: Sequence[str]) -> Shape:
    """sysparm_fields (each a field of the table), sysparm_display_value and sysparm_exclude_reference_link."""
    fields = [f.strip() for f in request.GET.get("sysparm_fields", "").split(",") if f.strip()]
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise QueryError(f"sysparm_fields: no such field {', '.join(unknown)}")
    display = request.GET.get("sysparm_display_value", "false").lower()
    if display not in ("true", "false", "all"):
        raise QueryError("sysparm_display_value must be true, false or all")
    links = not flag(request, "sysparm_exclude_reference_link")
    return Shape(fields=fields or None, display=display, links=links, base_url=base_url(request))


def link_header(request: HttpRequest, offset: int, limit: int, total: int) -> str:
    """RFC 8288 links to the first, previous, next and last pages, as ServiceNow sends them."""
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


def paginate(request: HttpRequest, response: JsonResponse, offset: int, limit: int, total: int | None) -> None:
    """X-Total-Count and Link, unless sysparm_no_count or sysparm_suppress_pagination_header says not to."""
    if total is None:
        return
    response["X-Total-Count"] = str(total)
    if not flag(request, "sysparm_suppress_pagination_header") and limit:
        response["Link"] = link_header(request, offset, limit, total)
