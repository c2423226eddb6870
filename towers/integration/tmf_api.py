"""TMF621 Trouble Ticket v5 at /tmf-api/troubleTicket/v5/: troubleTicket and the /hub of event listeners.

Thin views: they authenticate as the Table API does (a bearer API token, or basic with a password or token),
call the TMF readers and writers, and answer in TMF's shapes (errors as TMF's Error). A supplier's credentials
reach exactly the tickets that supplier may see anywhere else in Towers; a ticket it may not see is a 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.core.permissions import get_visible
from towers.integration.models import WebhookSubscription
from towers.integration.now_http import base_url, ensure_may_write, read_json, request_actor
from towers.integration.services.tmf_hub import FLAVOUR, hub_register, hub_unregister
from towers.integration.tmf_filters import QueryError, parse_fields, parse_list_query
from towers.integration.tmf_patch import merge_patch_of
from towers.integration.tmf_records import FIELDS, Viewer, ticket_href, trouble_ticket
from towers.integration.tmf_selectors import tmf_ticket_get, tmf_ticket_list
from towers.integration.tmf_writes import trouble_ticket_cancel, trouble_ticket_create, trouble_ticket_patch
from towers.organisations.models import Organisation
from towers.servicedesk.access import is_requester_only

REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not allowed",
           409: "Conflict", 415: "Unsupported Media Type"}  # fmt: skip
MERGE_TYPES = ("application/merge-patch+json", "application/json")
Handler = Callable[[HttpRequest, Actor], HttpResponse]


def tmf_json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


def tmf_error(status: int, message: str) -> HttpResponse:
    """TMF's Error: code, reason, message and the HTTP status."""
    body = {"@type": "Error", "code": f"ERR{status}", "reason": REASONS.get(status, "Error"), "message": message,
            "status": str(status)}  # fmt: skip
    response = tmf_json(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="Towers", Basic realm="Towers"'
    return response


def _refusal(exc: Exception) -> HttpResponse:
    """Bad input 400 (naming the attributes), a move the ticket's state forbids 409, not allowed 403, unseen 404."""
    if isinstance(exc, ValidationFailed):
        detail = "; ".join(f"{name}: {', '.join(found)}" for name, found in exc.fields.items()) or exc.message
        return tmf_error(409 if "state" in exc.fields else 400, detail)
    if isinstance(exc, QueryError):
        return tmf_error(400, str(exc))
    if isinstance(exc, Forbidden):
        return tmf_error(403, str(exc) or "Not allowed")
    if isinstance(exc, NotFound):
        return tmf_error(404, "No such trouble ticket or hub, or not one this caller may see")
    if isinstance(exc, StaleVersion):
        return tmf_error(409, str(exc))
    raise exc


def _serve(request: HttpRequest, handlers: dict[str, Handler]) -> HttpResponse:
    """Authenticate, pick the method's handler, and answer refusals in TMF's shape."""
    actor = request_actor(request)
    if actor is None:
        return tmf_error(401, "Sign in with a bearer API token, or basic with a password or API token")
    handler = handlers.get(request.method or "")
    if handler is None:
        response = tmf_error(405, f"{request.method} is not allowed here; use {', '.join(handlers)}")
        response["Allow"] = ", ".join(handlers)
        return response
    try:
        if request.method != "GET":
            ensure_may_write(actor)
        return handler(request, actor)
    except (ValidationFailed, QueryError, Forbidden, NotFound, StaleVersion) as exc:
        return _refusal(exc)


def _viewer(request: HttpRequest, actor: Actor) -> Viewer:
    return Viewer(base_url(request), work_notes=not is_requester_only(actor), organisation_id=actor.organisation_id)


def _fields(request: HttpRequest) -> tuple[str, ...] | None:
    fields = parse_fields(request.GET.get("fields"))
    unknown = sorted(set(fields or ()) - set(FIELDS))
    if unknown:
        raise QueryError(f"fields: a TroubleTicket here has no attribute {', '.join(unknown)}")
    return fields


def _list(request: HttpRequest, actor: Actor) -> HttpResponse:
    query = parse_list_query([(name, value) for name, values in request.GET.lists() for value in values])
    _fields(request)
    tickets = tmf_ticket_list(actor=actor, query=query)
    page = list(tickets[query.offset : query.offset + query.limit]) if query.limit else []
    viewer = _viewer(request, actor)
    response = tmf_json([trouble_ticket(t, viewer, query.fields) for t in page])
    response["X-Total-Count"] = str(tickets.count())
    response["X-Result-Count"] = str(len(page))
    return response


def _one(request: HttpRequest, actor: Actor, id: str, status: int = 200) -> HttpResponse:
    ticket = tmf_ticket_get(actor=actor, id=id)
    return tmf_json(trouble_ticket(ticket, _viewer(request, actor), _fields(request)), status)


def _create(request: HttpRequest, actor: Actor) -> HttpResponse:
    _fields(request)
    ticket = trouble_ticket_create(actor=actor, body=read_json(request))
    response = _one(request, actor, ticket.pk.hex, status=201)
    response["Location"] = ticket_href(base_url(request), ticket)
    return response


def _patch(request: HttpRequest, actor: Actor, id: str) -> HttpResponse:
    _fields(request)
    ticket = tmf_ticket_get(actor=actor, id=id)
    current = trouble_ticket(ticket, _viewer(request, actor))
    content_type = request.content_type or "application/json"
    if content_type == "application/json-patch+json":
        body = merge_patch_of(current, read_json(request))
    elif content_type in MERGE_TYPES:
        body = read_json(request)
    else:
        return tmf_error(400, f"send the patch as {', '.join(MERGE_TYPES)} or application/json-patch+json")
    trouble_ticket_patch(actor=actor, ticket=ticket, body=body, current=current)
    return _one(request, actor, ticket.pk.hex)


def _delete(request: HttpRequest, actor: Actor, id: str) -> HttpResponse:
    trouble_ticket_cancel(actor=actor, ticket=tmf_ticket_get(actor=actor, id=id))
    return HttpResponse(status=204)


@csrf_exempt
def trouble_tickets(request: HttpRequest) -> HttpResponse:
    return _serve(request, {"GET": _list, "POST": _create})


@csrf_exempt
def trouble_ticket_view(request: HttpRequest, id: str) -> HttpResponse:
    return _serve(
        request,
        {
            "GET": lambda r, a: _one(r, a, id),
            "PATCH": lambda r, a: _patch(r, a, id),
            "DELETE": lambda r, a: _delete(r, a, id),
        },
    )


def _hub_json(subscription: WebhookSubscription) -> dict[str, Any]:
    return {"id": subscription.pk.hex, "callback": subscription.target_url, "query": subscription.query,
            "@type": "Hub"}  # fmt: skip


def _hub_get(actor: Actor, id: str) -> WebhookSubscription:
    """The caller's organisation's own active listener; anyone else's is not found."""
    try:
        pk = UUID(id)
    except ValueError:
        raise NotFound() from None
    if actor.organisation_id is None:
        raise NotFound()
    own = WebhookSubscription.objects.filter(flavour=FLAVOUR, active=True, organisation_id=actor.organisation_id)
    return get_visible(actor, own, pk=pk)


def _hub_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    body = read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("callback"), str):
        raise ValidationFailed.one("callback", "is required: the listener's URL")
    if not isinstance(body.get("query", ""), str):
        raise ValidationFailed.one("query", "must be a string, e.g. eventType=TroubleTicketStatusChangeEvent")
    organisation = Organisation.objects.filter(pk=actor.organisation_id).first() if actor.organisation_id else None
    if organisation is None:
        raise Forbidden("Only a caller acting for an organisation registers a listener")
    subscription = hub_register(
        actor=actor, organisation=organisation, callback=body["callback"], query=body.get("query", "")
    )
    response = tmf_json(_hub_json(subscription), 201)
    response["Location"] = f"{request.build_absolute_uri(request.path).rstrip('/')}/{subscription.pk.hex}"
    return response


def _hub_delete(actor: Actor, id: str) -> HttpResponse:
    hub_unregister(actor=actor, subscription=_hub_get(actor, id))
    return HttpResponse(status=204)


@csrf_exempt
def hubs(request: HttpRequest) -> HttpResponse:
    return _serve(request, {"POST": _hub_create})


@csrf_exempt
def hub(request: HttpRequest, id: str) -> HttpResponse:
    return _serve(
        request,
        {"GET": lambda r, a: tmf_json(_hub_json(_hub_get(a, id))), "DELETE": lambda r, a: _hub_delete(a, id)},
    )
