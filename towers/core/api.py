"""What every django-ninja router shares: the error envelope, pagination, ETag and If-Match."""

from __future__ import annotations

from typing import Any, Protocol

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase

from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed


class ErrorBody(Schema):
    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class ErrorOut(Schema):
    """Every API error has this shape; `fields` names each invalid field."""

    error: ErrorBody


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body = {"error": {"status": status, "code": code, "message": message, "fields": fields or {}}}
    return api.create_response(request, body, status=status)


def _field_name(location: tuple[Any, ...]) -> str:
    # ninja reports ("body", "payload", "name"); users know the field as "name".
    parts = [str(p) for p in location if p not in {"body", "query", "path", "header", "form", "file"}]
    if parts and parts[0] in {"payload", "data", "filters"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    """Turn every error an API route can raise into the one JSON envelope."""

    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_field_name(tuple(error.get("loc", ()))), []).append(str(error.get("msg")))
        return error_response(api, request, 422, "validation_error", "The input is not valid.", fields)

    @api.exception_handler(ValidationFailed)
    def failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        return error_response(api, request, 422, "validation_error", exc.message, exc.fields)

    @api.exception_handler(NotFound)
    def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(Http404)
    def http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(Forbidden)
    def forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
        return error_response(api, request, 403, "forbidden", str(exc) or "Forbidden.")

    @api.exception_handler(StaleVersion)
    def stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
        return error_response(api, request, 412, "precondition_failed", str(exc))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = str(exc) if str(exc) else "Authentication required: a bearer token or a session."
        return error_response(api, request, 401, "unauthenticated", message)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(api, request, exc.status_code, "error", str(exc))


class Page(PaginationBase):
    """Offset pagination; the body carries the total so clients can page without guessing."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=500, description="Items per page (at most 500).")
        offset: int = Field(0, ge=0, description="Items to skip.")

    class Output(Schema):
        items: list[Any]
        count: int
        limit: int
        offset: int

    items_attribute = "items"

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        return {
            "items": list(queryset[pagination.offset : pagination.offset + pagination.limit]),
            "count": queryset.count(),
            "limit": pagination.limit,
            "offset": pagination.offset,
        }


class Versioned(Protocol):
    @property
    def etag(self) -> str: ...


def set_etag(response: HttpResponse, obj: Versioned) -> None:
    response["ETag"] = obj.etag


def expected_version(request: HttpRequest) -> int | None:
    """The version a client read, from If-Match; None when it sent none (unconditional write)."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError:
        raise ValidationFailed.one("If-Match", f"{header!r} is not an ETag this API issued") from None
