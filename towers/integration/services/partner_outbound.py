"""What Towers owes a supplier's tool: bonds made and ended as tickets move, and the messages each change needs.

Called from the outbox handler (handlers_partners), so it runs after the change committed and once per event.
Echoes are not sent back: an event caused by a partner's own message carries `partner_origin` (set by
partner_inbound), and a status the partner already has (bond.remote_status) is not sent again.

Work notes go to the partner as well as public comments: the supplier works the ticket, and a resolver of
its own in Towers would read the work notes too. Comments that came from the partner are not echoed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from towers.core import audit
from towers.core.actor import Actor
from towers.integration.models_partners import PartnerIntegration, PartnerMessage, TicketBond
from towers.integration.services.partner_mapping import fields_out, status_out
from towers.organisations.models import Organisation, OrganisationKind, Team
from towers.servicedesk.models import HandOff, Ticket, TicketEvent

JOB = Actor.system("partners")
SYSTEM_NAME = "Towers"


def our_system_name() -> str:
    """How we name ourselves to partners (the owner of the correlation id we send): the authority whose Towers
    this is. Not plain "Towers": a partner running Towers keeps that owner for its own references."""
    name = Organisation.objects.filter(kind=OrganisationKind.AUTHORITY).values_list("name", flat=True).first()
    return f"{name} Towers" if name else SYSTEM_NAME


def integrations_for_team(team: Team | None) -> list[PartnerIntegration]:
    """The active integrations that take hand-offs to `team` (those listing no teams take all their org's teams)."""
    if team is None:
        return []
    return list(
        PartnerIntegration.objects.filter(organisation_id=team.organisation_id, active=True)
        .filter(Q(teams=team) | Q(teams__isnull=True))
        .prefetch_related("field_mappings", "state_mappings")
        .distinct()
    )


def _note(text: str, author: str, at: Any) -> dict[str, Any]:
    return {"@type": "Note", "author": author, "date": at.isoformat(), "text": text}


def create_payload(bond: TicketBond, reason: str) -> dict[str, Any]:
    """The TMF621 TroubleTicket_FVO for a ticket handed to the partner."""
    ticket, integration = bond.ticket, bond.integration
    body: dict[str, Any] = {"@type": "TroubleTicket", "description": ticket.title, "severity": "Minor"}
    body["ticketType"] = ticket.kind
    body |= fields_out(integration, ticket)
    body["status"] = status_out(integration, ticket.state)
    body["externalIdentifier"] = [
        {
            "@type": "ExternalIdentifier",
            "owner": our_system_name(),
            "id": str(bond.correlation_id),
            "externalIdentifierType": "correlationId",
        },
    ]
    if reason:
        body["note"] = [_note(f"Handed off: {reason}", our_system_name(), ticket.updated_at)]
    requester = ticket.requester_organisation
    body["relatedParty"] = [
        {
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "role": "requester",
            "partyOrPartyRole": {"@type": "PartyRef", "id": str(requester.id), "name": requester.name},
        }
    ]
    return body


def _enqueue(bond: TicketBond, operation: str, payload: dict[str, Any]) -> PartnerMessage:
    return PartnerMessage.objects.create(
        integration=bond.integration,
        ticket=bond.ticket,
        bond=bond,
        direction="out",
        operation=operation,
        correlation_id=str(bond.correlation_id),
        ordering_key=str(bond.ticket_id),
        payload=payload,
    )


def ticket_bonds_sync(*, ticket: Ticket, reason: str = "", actor: Actor = JOB) -> list[PartnerMessage]:
    """Bond the ticket to the integrations of the team now holding it (sending a create, or an update when it
    comes back to a partner that already has it) and end the bonds of those it has left. `actor` is who the audit
    names: the partners job for the outbox, or whoever runs a bulk change (a supplier transition) in its stead."""
    wanted = {i.id: i for i in integrations_for_team(ticket.team)}
    owed: list[PartnerMessage] = []
    with transaction.atomic():
        for bond in TicketBond.objects.filter(ticket=ticket, active=True).exclude(integration_id__in=wanted):
            bond.active = False
            bond.save(update_fields=["active"])
            audit.record(actor, "integration.ticket_bond.ended", bond, after={"ticket": ticket.reference})
        for integration in wanted.values():
            bond, created = TicketBond.objects.get_or_create(integration=integration, ticket=ticket)
            bond.integration, bond.ticket = integration, ticket
            if not created and bond.active:
                continue  # already bonded (e.g. an assignment between two of the partner's teams)
            # Once a create is owed (even a dead one, which is replayed rather than sent twice) the rest are updates.
            if bond.messages.filter(operation="create").exists():
                payload: dict[str, Any] = {"status": status_out(integration, ticket.state)}
                if reason:
                    payload["note"] = [_note(f"Handed off again: {reason}", our_system_name(), ticket.updated_at)]
                owed.append(_enqueue(bond, "update", payload))
            else:
                owed.append(_enqueue(bond, "create", create_payload(bond, reason)))
            if not bond.active:
                bond.active = True
                bond.save(update_fields=["active"])
            audit.record(
                actor,
                "integration.ticket_bond.created" if created else "integration.ticket_bond.resumed",
                bond,
                after={
                    "ticket": ticket.reference,
                    "integration": integration.name,
                    "correlation_id": bond.correlation_id,
                },
            )
    return owed


def _bonds(ticket_id: str, origin: object) -> list[TicketBond]:
    """The ticket's active bonds, except the one whose partner caused the event (its own echo)."""
    bonds = TicketBond.objects.filter(ticket_id=ticket_id, active=True).select_related("integration", "ticket")
    return [
        b
        for b in bonds.prefetch_related("integration__state_mappings", "integration__field_mappings")
        if str(b.integration_id) != str(origin or "")
    ]


def ticket_state_sent(*, ticket_id: str, origin: object = None) -> list[PartnerMessage]:
    """Our ticket's state changed: each bonded partner whose status differs is told."""
    owed = []
    for bond in _bonds(ticket_id, origin):
        ticket = bond.ticket
        status = status_out(bond.integration, ticket.state)
        if status == bond.remote_status:
            continue
        payload: dict[str, Any] = {"status": status}
        if ticket.state == "resolved":
            payload |= {"resolutionDate": (ticket.resolved_at or ticket.updated_at).isoformat()}
            if ticket.resolution_notes:
                payload["statusChangeReason"] = ticket.resolution_notes
        with transaction.atomic():
            owed.append(_enqueue(bond, "update", payload))
    return owed


def ticket_note_sent(*, ticket_id: str, event_id: int | str | None, origin: object = None) -> list[PartnerMessage]:
    """A comment or work note on our ticket goes to each bonded partner (unless it came from one)."""
    event = TicketEvent.objects.filter(pk=event_id or 0, ticket_id=ticket_id).first()
    if event is None or not event.body.strip():
        return []
    from_partner = str(event.data.get("partner", ""))
    owed = []
    for bond in _bonds(ticket_id, origin or from_partner):
        note = _note(event.body, event.actor_label, event.at)
        with transaction.atomic():
            owed.append(_enqueue(bond, "note", {"note": [note]}))
    return owed


def ticket_fields_sent(*, ticket_id: str, fields: list[str], origin: object = None) -> list[PartnerMessage]:
    """Mapped fields of ours that changed go to each bonded partner."""
    owed = []
    for bond in _bonds(ticket_id, origin):
        changed = fields_out(bond.integration, bond.ticket, only=set(fields))
        if changed:
            with transaction.atomic():
                owed.append(_enqueue(bond, "update", changed))
    return owed


def handoff_reason(handoff_id: str) -> str:
    return HandOff.objects.filter(pk=handoff_id).values_list("reason", flat=True).first() or ""
