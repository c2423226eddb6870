"""Reads behind TMF621: the caller's visible tickets with everything a TroubleTicket shows, and its list filters.

Visibility is the service desk's own (tickets_visible), so a supplier's credentials reach through TMF621 exactly
the tickets they reach through the UI, /api/v1 and the Table API.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from typing import TypeVar
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible
from towers.integration.models_partners import ExternalIdentifier
from towers.integration.tmf_filters import Filter, ListQuery, QueryError
from towers.integration.tmf_records import PRIORITY, SEVERITY
from towers.servicedesk.models import PendingReason, State, Ticket, TicketEvent, TicketKind
from towers.servicedesk.selectors import tickets_visible

T = TypeVar("T")
RELATED = ("requester", "requester_organisation", "organisation", "team", "assignee", "service")
DATE_FIELDS = {"creationDate": "opened_at", "lastUpdate": "updated_at", "resolutionDate": "resolved_at"}
SORT_FIELDS = {**DATE_FIELDS, "priority": "priority", "severity": "impact", "name": "title", "status": "state"}
WAITING_ON_REQUESTER = Q(state=State.PENDING, pending_reason__in=[PendingReason.REQUESTER, ""])
STATUS_Q = {
    "acknowledged": Q(state__in=[State.NEW, State.ASSIGNED]),
    "inProgress": Q(state=State.IN_PROGRESS),
    "pending": WAITING_ON_REQUESTER,
    "held": Q(state=State.PENDING) & ~WAITING_ON_REQUESTER,
    "resolved": Q(state=State.RESOLVED),
    "closed": Q(state=State.CLOSED),
    "cancelled": Q(state=State.CANCELLED),
    "rejected": Q(pk__in=[]),  # Towers records a refusal as a cancellation, so nothing is "rejected" now
}


def own_identifiers(actor: Actor) -> QuerySet[ExternalIdentifier]:
    """The external identifiers the caller's organisation set: another's are neither shown nor matched."""
    return ExternalIdentifier.objects.filter(
        organisation_id__in=[actor.organisation_id] if actor.organisation_id else []
    )


def tmf_tickets(actor: Actor) -> QuerySet[Ticket]:
    """The caller's visible tickets, each with its timeline, CIs, clocks, attachments and own identifiers."""
    return (
        tickets_visible(actor)
        .select_related(*RELATED)
        .prefetch_related(
            Prefetch("events", queryset=TicketEvent.objects.order_by("at", "id"), to_attr="tmf_events"),
            Prefetch("external_identifiers", queryset=own_identifiers(actor), to_attr="tmf_external_ids"),
            "cis",
            "clocks",
            "attachments",
        )
    )


def tmf_ticket_get(*, actor: Actor, id: str) -> Ticket:
    """One ticket by its TMF id (32 hex digits), its UUID or its reference; NotFound when missing or not visible."""
    lookup: dict[str, object] = {"reference": id.upper()}
    with suppress(ValueError):
        lookup = {"pk": UUID(id)}
    return get_visible(actor, tmf_tickets(actor), **lookup)


def _choice(attribute: str, value: str, choices: dict[str, T]) -> T:
    """The stored value of a TMF label, matched without regard to case."""
    for label, stored in choices.items():
        if label.lower() == value.lower():
            return stored
    raise QueryError(f"{attribute}: {value!r} is not one of {', '.join(choices)}")


def _filter_q(actor: Actor, item: Filter) -> Q:
    values = item.values
    if item.attribute in DATE_FIELDS:
        lookup = "exact" if item.operator == "eq" else item.operator
        return Q(**{f"{DATE_FIELDS[item.attribute]}__{lookup}": item.moment})
    if item.attribute == "status":
        return _any(_choice("status", v, STATUS_Q) for v in values)
    if item.attribute == "severity":
        impacts = {label: impact for impact, label in SEVERITY.items()}
        return Q(impact__in=[_choice("severity", v, impacts) for v in values])
    if item.attribute == "priority":
        priorities = {label: code for code, label in PRIORITY.items()}
        return Q(priority__in=[_choice("priority", v, priorities) for v in values])
    if item.attribute == "ticketType":
        kinds = {kind: kind for kind in TicketKind.values}
        return Q(kind__in=[_choice("ticketType", v, kinds) for v in values])
    if item.attribute == "id":
        return _ids_q(values)
    if item.attribute == "externalIdentifier.id":
        own = own_identifiers(actor).filter(external_id__in=values)
        return Q(reference__in=[v.upper() for v in values]) | Q(pk__in=own.values("ticket_id"))
    if item.attribute == "channel.id":
        return Q(channel__in=values)
    return Q(title__in=values)  # name


def _any(conditions: Iterable[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def _ids_q(values: tuple[str, ...]) -> Q:
    uuids = []
    for value in values:
        with suppress(ValueError):
            uuids.append(UUID(value))
    return Q(pk__in=uuids) | Q(reference__in=[v.upper() for v in values])


def tmf_ticket_list(*, actor: Actor, query: ListQuery) -> QuerySet[Ticket]:
    """The visible tickets matching every filter (each filter's values are alternatives), in the asked order."""
    tickets = tmf_tickets(actor)
    for item in query.filters:
        tickets = tickets.filter(_filter_q(actor, item))
    order = [("-" if key.startswith("-") else "") + SORT_FIELDS[key.lstrip("-+")] for key in query.sort]
    return tickets.order_by(*order, "-opened_at", "-id")
