"""Applying a partner's trouble ticket to our bonded ticket, through the service desk's own services.

The partner acts as itself (an actor of its organisation's segregation scope, so it reaches only tickets its
organisation is party to); every change is made and audited by the same services the UI and API use.
Status goes through the integration's state mapping (else TMF621's default): "inProgress" while our
hand-off to the partner waits is an acceptance, "rejected" a rejection (the ticket returns to its sender).
New notes become work notes marked as the partner's (data.partner), which are never echoed back.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from towers.core.actor import Actor, Channel
from towers.core.errors import ValidationFailed
from towers.integration.models_partners import PartnerIntegration, PartnerMessage, TicketBond
from towers.integration.services.partner_mapping import IN_DIRECTIONS, fields_in, state_in
from towers.integration.services.subjects import subscriber_actor
from towers.servicedesk.models import HandOff, State, Ticket, TicketEvent
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.handoffs import handoff_accept, handoff_reject
from towers.servicedesk.services.tickets import ticket_comment, ticket_transition, ticket_update


def partner_actor(integration: PartnerIntegration) -> Actor:
    """The partner's view and voice: its organisation's segregation scope (as a webhook subscriber has), acting
    as the partners job through the API channel."""
    subscriber = subscriber_actor(integration.organisation)
    return replace(subscriber, label=f"partner:{integration.name}", channel=Channel.API, job="partners")


def note_key(note: dict[str, Any]) -> str:
    """A note's identity: the partner's id for it, else a digest of who wrote what when."""
    if note.get("id"):
        return f"id:{note['id']}"[:200]
    text = f"{note.get('author', '')}|{note.get('date', '')}|{note.get('text', '')}"
    return "sha:" + hashlib.sha256(text.encode()).hexdigest()


def _texts_we_sent(bond: TicketBond) -> set[str]:
    sent: set[str] = set()
    for payload in bond.messages.filter(direction="out").values_list("payload", flat=True):
        for note in (payload or {}).get("note") or []:
            if isinstance(note, dict):
                sent.add(str(note.get("text", "")).strip())
    return sent


def _apply_notes(actor: Actor, bond: TicketBond, ticket: Ticket, notes: Any) -> list[str]:
    if not isinstance(notes, list):
        return []
    fresh = [n for n in notes if isinstance(n, dict) and str(n.get("text", "")).strip()]
    keys = [note_key(n) for n in fresh]
    seen = set(
        TicketEvent.objects.filter(ticket=ticket, data__remote_note__in=keys).values_list(
            "data__remote_note", flat=True
        )
    )
    ours = _texts_we_sent(bond)
    done = []
    for note, key in zip(fresh, keys, strict=True):
        text = str(note["text"]).strip()
        if key in seen or text in ours:
            continue
        event = ticket_comment(actor=actor, ticket=ticket, body=text, public=False)
        data = {"partner": str(bond.integration_id), "remote_note": key, "author": str(note.get("author", ""))[:200]}
        TicketEvent.objects.filter(pk=event.pk).update(data=data)
        seen.add(key)
        done.append(f"note {key}")
    return done


def _resolution_code(integration: PartnerIntegration, remote: dict[str, Any]) -> str:
    codes = desk_settings().resolution_codes or []
    for mapping in integration.field_mappings.all():
        if mapping.ours == "resolution_code" and mapping.direction in IN_DIRECTIONS:
            value = remote.get(mapping.theirs)
            if value:
                return str(value)
    return "fixed" if "fixed" in codes or not codes else codes[0]


def _apply_status(actor: Actor, bond: TicketBond, ticket: Ticket, remote: dict[str, Any]) -> list[str]:
    status = remote.get("status")
    if not isinstance(status, str) or not status or status == bond.remote_status:
        return []
    integration = bond.integration
    try:
        target = state_in(integration, status)
    except ValueError as exc:
        raise ValidationFailed.one("status", str(exc)) from exc
    TicketBond.objects.filter(pk=bond.pk).update(remote_status=status[:60])
    bond.remote_status = status
    reason = str(remote.get("statusChangeReason") or "")
    waiting = HandOff.objects.filter(
        ticket=ticket, status=HandOff.Status.PENDING, to_organisation_id=integration.organisation_id
    ).first()
    if waiting is not None and status == "rejected":
        handoff_reject(actor=actor, handoff=waiting, reason=reason or f"Rejected in {integration.name}.")
        return [f"hand-off rejected ({status})"]
    if waiting is not None and target == State.IN_PROGRESS:
        handoff_accept(actor=actor, handoff=waiting, note=reason)
        return [f"hand-off accepted ({status})"]
    if target == ticket.state:
        return []
    ticket_transition(
        actor=actor,
        ticket=ticket,
        state=target,
        pending_reason="supplier" if target == State.PENDING else "",
        resolution_code=_resolution_code(integration, remote) if target == State.RESOLVED else "",
        resolution_notes=reason,
        note=reason if target != State.RESOLVED else "",
    )
    return [f"state {target} ({status})"]


def trouble_ticket_apply(*, bond: TicketBond, remote: dict[str, Any]) -> list[str]:
    """Apply what is new in the partner's ticket to ours; returns what changed (empty: nothing new).

    Raises ValidationFailed, Forbidden or NotFound when the change cannot be made; the caller rolls back.
    """
    actor = partner_actor(bond.integration)
    ticket = Ticket.objects.select_related("team").get(pk=bond.ticket_id)
    done = _apply_notes(actor, bond, ticket, remote.get("note"))
    try:
        changes = fields_in(bond.integration, ticket, remote)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.one("troubleTicket", str(exc)) from exc
    if changes:
        ticket_update(actor=actor, ticket=ticket, changes=changes)
        done.append("fields " + ", ".join(sorted(changes)))
    done += _apply_status(actor, bond, ticket, remote)
    return done


def message_outcome(message: PartnerMessage, status: str, detail: str) -> PartnerMessage:
    message.status = status
    message.last_error = detail if status == PartnerMessage.Status.REJECTED else ""
    message.response = {**message.response, "outcome": detail}
    return message
