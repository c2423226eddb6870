"""A Towers ticket as a TMF621 v5 TroubleTicket: the JSON a supplier's TMF621 client reads and our listeners get.

The id is the ticket's UUID as 32 hex digits (as the Table API's sys_id): opaque and stable, while the human
reference (INC0001234) travels as the externalIdentifier owned by "Towers" and is accepted wherever an id is.
What the caller reads is what its organisation may read: work notes (private comments) only for those who work
tickets, and only the external identifiers its own organisation set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse

from towers.integration.models_partners import ExternalIdentifier
from towers.integration.tmf_status import clock_state_status, tmf_status
from towers.servicedesk.models import Ticket, TicketEvent

API_PATH = "/tmf-api/troubleTicket/v5"
OWNER = "Towers"
PRIORITY = {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low", "P5": "Planning"}
SEVERITY = {1: "Critical", 2: "Major", 3: "Minor"}  # Towers' impact: how much of the service is affected
# Always in a response, whatever `fields` asks for (TMF630).
MANDATORY = ("id", "href", "@type")
FIELDS = (
    "id", "href", "@type", "@baseType", "name", "description", "severity", "priority", "ticketType", "status",
    "statusChangeDate", "statusChangeReason", "creationDate", "lastUpdate", "expectedResolutionDate",
    "resolutionDate", "channel", "note", "relatedParty", "relatedEntity", "externalIdentifier",
    "statusChangeHistory", "attachment",
)  # fmt: skip
TIMELINE_FIELDS = {"note", "statusChangeHistory", "statusChangeDate", "statusChangeReason"}
# Timeline rows whose text says why the status changed.
STATUS_KINDS = {TicketEvent.Kind.STATE, TicketEvent.Kind.RESOLVED, TicketEvent.Kind.REOPENED, TicketEvent.Kind.CLOSED}


@dataclass(frozen=True)
class Viewer:
    """Who reads the ticket: where Towers is reached, whether they read work notes, and their organisation."""

    base_url: str
    work_notes: bool
    organisation_id: Any = None


def tmf_time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def ticket_href(base_url: str, ticket: Ticket) -> str:
    return f"{base_url}{API_PATH}/troubleTicket/{ticket.pk.hex}"


def _ref(id: str, name: str, type_: str, referred: str) -> dict[str, Any]:
    return {"id": id, "name": name, "@type": type_, "@referredType": referred}


def _party(role: str, target: Any, referred: str) -> dict[str, Any]:
    name = str(target) if referred == "Individual" else target.name
    party = _ref(target.pk.hex, name, "PartyRef", referred)
    return {"role": role, "partyOrPartyRole": party, "@type": "RelatedPartyRefOrPartyRoleRef"}


def related_parties(ticket: Ticket) -> list[dict[str, Any]]:
    """The requester and their organisation (customer), the holding organisation (supplier), team and assignee."""
    parties = [_party("customer", ticket.requester_organisation, "Organization")]
    if ticket.requester is not None:
        parties.append(_party("requester", ticket.requester, "Individual"))
    elif ticket.requester_email:
        ref = _ref(ticket.requester_email, ticket.requester_email, "PartyRef", "Individual")
        parties.append({"role": "requester", "partyOrPartyRole": ref, "@type": "RelatedPartyRefOrPartyRoleRef"})
    if ticket.organisation is not None:
        parties.append(_party("supplier", ticket.organisation, "Organization"))
    if ticket.team is not None:
        parties.append(_party("assignmentGroup", ticket.team, "PartyRole"))
    if ticket.assignee is not None:
        parties.append(_party("assignee", ticket.assignee, "Individual"))
    return parties


def _events(ticket: Ticket) -> list[TicketEvent]:
    prefetched = getattr(ticket, "tmf_events", None)
    return prefetched if prefetched is not None else list(ticket.events.order_by("at", "id"))


def status_history(events: Iterable[TicketEvent], viewer: Viewer) -> list[dict[str, Any]]:
    """One entry each time the TMF status changed, with the reason the viewer may read."""
    history: list[dict[str, Any]] = []
    for event in events:
        if not event.state:
            continue
        status = clock_state_status(event.state)
        if history and history[-1]["status"] == status:
            continue
        if event.kind == TicketEvent.Kind.CREATED:
            reason = "Ticket created"
        elif event.kind in STATUS_KINDS and event.body and (event.public or viewer.work_notes):
            reason = event.body
        else:
            reason = event.get_kind_display()
        at = tmf_time(event.at)
        history.append(
            {"statusChangeDate": at, "statusChangeReason": reason, "status": status, "@type": "StatusChange"}
        )
    return history


def notes(events: Iterable[TicketEvent], viewer: Viewer) -> list[dict[str, Any]]:
    return [
        {"id": str(e.id), "author": e.actor_label, "date": tmf_time(e.at), "text": e.body, "@type": "Note"}
        for e in events
        if e.kind == TicketEvent.Kind.COMMENT and (e.public or viewer.work_notes)
    ]


def external_identifiers(ticket: Ticket, viewer: Viewer) -> list[dict[str, Any]]:
    """The caller's own organisation's identifiers, most recent first (as TMF asks), then Towers' reference."""
    own = getattr(ticket, "tmf_external_ids", None)
    if own is None:
        own = list(ExternalIdentifier.objects.filter(ticket=ticket, organisation_id=viewer.organisation_id))
    out = [
        {"owner": x.owner, "externalIdentifierType": x.id_type, "id": x.external_id, "@type": "ExternalIdentifier"}
        for x in sorted(own, key=lambda x: x.id, reverse=True)
    ]
    towers = {"owner": OWNER, "externalIdentifierType": ticket.get_kind_display(), "id": ticket.reference}
    return [*out, towers | {"@type": "ExternalIdentifier"}]


def related_entities(ticket: Ticket) -> list[dict[str, Any]]:
    entities: list[tuple[str, Any, str]] = [("service", ticket.service, "Service")] if ticket.service else []
    entities += [("affectedItem", ci, "ConfigurationItem") for ci in ticket.cis.all()]
    return [
        {
            "role": role,
            "entity": {"id": thing.pk.hex, "name": thing.name, "@type": "EntityRef", "@referredType": referred},
            "@type": "RelatedEntity",
        }
        for role, thing, referred in entities
    ]


def attachments(ticket: Ticket, viewer: Viewer) -> list[dict[str, Any]]:
    return [
        {
            "id": a.pk.hex,
            "name": a.filename,
            # The attachment API's file address: it takes the same API credentials as this one.
            "url": viewer.base_url + reverse("now_attachment_file", args=[a.pk.hex]),
            "@type": "AttachmentRef",
            "@referredType": "Attachment",
        }
        for a in ticket.attachments.all()
        if a.public or viewer.work_notes
    ]


def _expected_resolution(ticket: Ticket) -> datetime | None:
    """The resolution SLA's due time; the most urgent clock's when the ticket has no resolution SLA."""
    for clock in ticket.clocks.all():
        if clock.kind == "sla" and clock.metric == "resolution" and clock.due_at:
            return clock.due_at
    return ticket.clock_due_at


def trouble_ticket(
    ticket: Ticket, viewer: Viewer, fields: Iterable[str] | None = None, *, as_of: datetime | None = None
) -> dict[str, Any]:
    """The TMF621 TroubleTicket; `fields` limits it to those first-level attributes (plus id, href and @type).

    `as_of` (a notification's moment) reads the status, its history and the notes as they were then: a listener
    told of a change sent late still learns the status that change made, not a later one.
    """
    wanted = set(fields or FIELDS) | set(MANDATORY)
    events = _events(ticket) if wanted & TIMELINE_FIELDS or as_of else []
    if as_of is not None:
        events = [event for event in events if event.at <= as_of]
    history = status_history(events, viewer) if events else []
    last = history[-1] if history else {}
    build: dict[str, Any] = {
        "id": lambda: ticket.pk.hex,
        "href": lambda: ticket_href(viewer.base_url, ticket),
        "@type": lambda: "TroubleTicket",
        "@baseType": lambda: "TroubleTicket",
        "name": lambda: ticket.title,
        "description": lambda: ticket.description,
        "severity": lambda: SEVERITY.get(ticket.impact, str(ticket.impact)),
        "priority": lambda: PRIORITY.get(ticket.priority, ticket.priority),
        "ticketType": lambda: ticket.kind,
        "status": lambda: last["status"] if as_of and last else tmf_status(ticket.state, ticket.pending_reason),
        "statusChangeDate": lambda: last.get("statusChangeDate"),
        "statusChangeReason": lambda: last.get("statusChangeReason"),
        "creationDate": lambda: tmf_time(ticket.opened_at),
        "lastUpdate": lambda: tmf_time(ticket.updated_at),
        "expectedResolutionDate": lambda: tmf_time(_expected_resolution(ticket)),
        "resolutionDate": lambda: tmf_time(ticket.resolved_at),
        "channel": lambda: {"id": ticket.channel, "name": ticket.get_channel_display(), "@type": "ChannelRef"},
        "note": lambda: notes(events, viewer),
        "relatedParty": lambda: related_parties(ticket),
        "relatedEntity": lambda: related_entities(ticket),
        "externalIdentifier": lambda: external_identifiers(ticket, viewer),
        "statusChangeHistory": lambda: history,
        "attachment": lambda: attachments(ticket, viewer),
    }
    out = {name: build[name]() for name in FIELDS if name in wanted}
    # TMF omits what has no value rather than sending null (the schema's date-times are not nullable).
    return {name: value for name, value in out.items() if value is not None}
