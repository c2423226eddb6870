"""Writes through TMF621: a TroubleTicket body read into the service desk's own services, in one transaction.

Create raises an incident, request or task (ticket_create), PATCH changes it (ticket_update, ticket_transition,
ticket_comment), DELETE cancels it: Towers never destroys a ticket, because the timeline and audit trail must
outlive the supplier that asked. Permission checks are the services' own; a token needs the write scope first.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.integration.models_partners import ExternalIdentifier
from towers.integration.tmf_intake import (
    NewIdentifier,
    NewNote,
    carried_note,
    date_of,
    entities_of,
    impact_of,
    new_identifiers,
    new_notes,
    requester_of,
    text,
    urgency_of,
)
from towers.integration.tmf_status import PENDING_REASON, towers_state
from towers.servicedesk.models import State, Ticket, TicketKind
from towers.servicedesk.selectors import tickets_visible
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition, ticket_update

META = {"@type", "@baseType", "@schemaLocation"}
# Set by Towers (its SLA, its clock, its intake channel): taken and ignored on create, as TMF's own example sends them.
SET_BY_TOWERS = {"id", "href", "channel", "expectedResolutionDate", "resolutionDate", "statusChangeDate"}
# Kept as a work note: TMF621 carries them, Towers has no field for them.
CARRIED = ("attachment", "troubleTicketCharacteristic", "troubleTicketRelationship", "troubleTicketSpecification")
CREATE_TAKEN = {"name", "description", "severity", "priority", "ticketType", "note", "relatedParty", "relatedEntity",
                "externalIdentifier", "status", "statusChangeReason", "requestedResolutionDate"}  # fmt: skip
PATCHABLE = {
    "name",
    "description",
    "severity",
    "priority",
    "status",
    "statusChangeReason",
    "note",
    "externalIdentifier",
}
READ_ONLY = {"id", "href", "creationDate", "lastUpdate", "statusChangeDate", "statusChangeHistory", "resolutionDate",
             "expectedResolutionDate"}  # fmt: skip
# Work items with no detail record of their own (problems and changes are raised through their own services).
CREATABLE_KINDS = (TicketKind.INCIDENT, TicketKind.REQUEST, TicketKind.TASK)
DEFAULT_RESOLUTION = "resolved_by_supplier"  # when the desk lists no resolution codes


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed.one("body", "must be a JSON object (a TroubleTicket)")
    if body.get("@type") not in (None, "TroubleTicket"):
        raise ValidationFailed.one("@type", "must be TroubleTicket")
    return body


def _kind(body: dict[str, Any]) -> str:
    kind = (text(body, "ticketType", required=True) or "").lower()
    if kind not in CREATABLE_KINDS:
        raise ValidationFailed.one("ticketType", f"Towers takes {', '.join(CREATABLE_KINDS)} here, not {kind!r}")
    return kind


def _carried(body: dict[str, Any], others: dict[str, Any], moving: bool) -> NewNote | None:
    """What has no Towers field, as one work note (the status reason goes with the status when there is a move)."""
    carried = {attribute: body.get(attribute) for attribute in CARRIED} | others
    if body.get("requestedResolutionDate") is not None:
        requested = date_of("requestedResolutionDate", body["requestedResolutionDate"])
        carried["requestedResolutionDate"] = requested.isoformat()
    if not moving:
        carried["statusChangeReason"] = text(body, "statusChangeReason")
    return carried_note(carried)


def trouble_ticket_create(*, actor: Actor, body: Any) -> Ticket:
    """Raise a ticket from a TroubleTicket_FVO; attributes Towers does not know are named, not ignored.

    A status other than acknowledged is the first move of the new ticket (a partner handing over work it has
    already started), made in the same transaction so a refused move leaves no ticket behind. A create repeating
    an external id the caller's organisation already set answers with that ticket (see _raised_before).
    """
    body = _object(body)
    unknown = sorted(set(body) - CREATE_TAKEN - META - SET_BY_TOWERS - set(CARRIED))
    if unknown:
        raise ValidationFailed({name: ["is not an attribute Towers takes on create"] for name in unknown})
    description = text(body, "description", required=True) or ""
    impact = impact_of(text(body, "severity", required=True) or "")
    kind, priority = _kind(body), text(body, "priority")
    name = (text(body, "name") or description.strip().split("\n", 1)[0]).strip()
    if not name:
        raise ValidationFailed.one("name", "give a name or a description")
    status = text(body, "status")
    moving = status not in (None, "acknowledged")
    requester, email, other_parties = requester_of(actor, body)
    service, cis, other_entities = entities_of(actor, body)
    kept = _carried(body, {"relatedParty": other_parties, "relatedEntity": other_entities}, moving)
    notes, identifiers = new_notes(body), new_identifiers(body)
    earlier = _raised_before(actor, identifiers)
    if earlier is not None:
        return earlier
    with transaction.atomic():
        ticket = ticket_create(
            actor=actor,
            kind=kind,
            title=name[:300],
            description=description,
            impact=impact,
            urgency=urgency_of(priority) if priority is not None else impact,
            service=service,
            cis=cis,
            requester=requester,
            requester_email=email,
            channel="api",
        )
        _add(actor, ticket, [*notes, *filter(None, [kept])], identifiers)
        if moving and status is not None:
            _move(actor, ticket, status, text(body, "statusChangeReason") or "")
    return ticket


def _raised_before(actor: Actor, identifiers: list[NewIdentifier]) -> Ticket | None:
    """The ticket this caller's organisation already raised under one of these external ids, if it may see it.

    A partner that retries a create whose answer it never got (a timeout, a lost connection) must not raise a
    second ticket: its own id for the ticket, in externalIdentifier, makes the create idempotent.
    """
    if actor.organisation_id is None or not identifiers:
        return None
    same = Q()
    for identifier in identifiers:
        same |= Q(owner=identifier.owner, external_id=identifier.external_id)
    rows = ExternalIdentifier.objects.filter(same, organisation_id=actor.organisation_id)
    return tickets_visible(actor).filter(pk__in=rows.values("ticket_id")).order_by("opened_at").first()


def _add(actor: Actor, ticket: Ticket, notes: list[NewNote], identifiers: list[NewIdentifier]) -> None:
    """Notes become work notes (the caller's author named when it is someone else); identifiers are audited."""
    for note in notes:
        byline = f"\n— {note.author}" if note.author and note.author != actor.label else ""
        ticket_comment(actor=actor, ticket=ticket, body=note.text + byline, public=False)
    for identifier in identifiers:
        if actor.organisation_id is None:
            raise ValidationFailed.one("externalIdentifier", "only a caller acting for an organisation sets one")
        row = ExternalIdentifier.objects.create(
            ticket=ticket,
            organisation_id=actor.organisation_id,
            owner=identifier.owner,
            external_id=identifier.external_id,
            id_type=identifier.id_type,
        )
        after = {"owner": row.owner, "id": row.external_id, "type": row.id_type}
        audit.record(actor, "ticket.external_identifier_added", ticket, after=after)


def _refuse_unchangeable(body: dict[str, Any], current: dict[str, Any]) -> None:
    """Anything but what PATCH changes must be absent or as it is now (so a GET, edited, may be sent back)."""
    problems = {
        name: ["is read-only" if name in READ_ONLY else "cannot be changed through TMF621 in Towers"]
        for name, value in body.items()
        if name not in PATCHABLE | META and value != current.get(name)
    }
    if problems:
        raise ValidationFailed(problems)


def _field_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in body:
        name = (text(body, "name") or "").strip()
        if not name:
            raise ValidationFailed.one("name", "cannot be empty")
        changes["title"] = name[:300]
    if "description" in body:
        changes["description"] = text(body, "description") or ""
    if body.get("severity") is not None:
        changes["impact"] = impact_of(text(body, "severity") or "")
    if body.get("priority") is not None:
        changes["urgency"] = urgency_of(text(body, "priority") or "")
    return changes


def trouble_ticket_patch(*, actor: Actor, ticket: Ticket, body: Any, current: dict[str, Any]) -> Ticket:
    """Apply a merge patch; `current` is the ticket as the caller reads it (to compare what it may not change)."""
    body = _object(body)
    _refuse_unchangeable(body, current)
    changes = _field_changes(body)
    notes = new_notes(body, existing={n["id"] for n in current.get("note", [])})
    held = {(x.get("owner", ""), x["id"]) for x in current.get("externalIdentifier", [])}
    identifiers = new_identifiers(body, existing=held)
    status, reason = text(body, "status"), text(body, "statusChangeReason")
    moving = status is not None and status != current.get("status")
    if reason and not moving and reason != current.get("statusChangeReason"):
        raise ValidationFailed.one("statusChangeReason", "goes with a change of status")
    with transaction.atomic():
        if changes:
            ticket_update(actor=actor, ticket=ticket, changes=changes)
        _add(actor, ticket, notes, identifiers)
        if moving and status is not None:
            _move(actor, ticket, status, reason or "")
    return ticket


def _move(actor: Actor, ticket: Ticket, status: str, reason: str) -> None:
    try:
        state = towers_state(status)
    except ValueError as exc:
        raise ValidationFailed.one("status", str(exc)) from None
    resolving = state == State.RESOLVED
    codes = desk_settings().resolution_codes or [DEFAULT_RESOLUTION]
    ticket_transition(
        actor=actor,
        ticket=ticket,
        state=state,
        pending_reason=PENDING_REASON.get(status, ""),
        resolution_code=codes[0] if resolving else "",
        resolution_notes=reason if resolving else "",
        note="" if resolving else reason,
    )


def trouble_ticket_cancel(*, actor: Actor, ticket: Ticket) -> Ticket:
    """TMF621's DELETE: the ticket is cancelled, never destroyed; cancelling a cancelled ticket changes nothing."""
    if ticket.state == State.CANCELLED:
        return ticket
    return ticket_transition(
        actor=actor, ticket=ticket, state=State.CANCELLED, note="Cancelled through TMF621 (DELETE); kept for audit."
    )
