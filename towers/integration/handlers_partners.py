"""Outbox handlers for supplier integrations: ticket changes become messages owed to bonded partners' tools."""

from __future__ import annotations

from django.db import transaction

from towers.core import events
from towers.core.models import OutboxEvent
from towers.integration.services import partner_outbound as outbound
from towers.servicedesk.models import Ticket

# Every way a ticket's state changes (ticket_transition names the event after the kind of move).
STATE_EVENTS = {"state_changed", "resolved", "reopened", "closed"}
# Moves that change which team (so which partner) holds the ticket.
HOLDER_EVENTS = {"servicedesk.ticket.handed_off", "servicedesk.ticket.assigned", "servicedesk.handoff.rejected"}


@events.on_any(prefixes=("servicedesk.ticket.", "servicedesk.handoff."))
def owe_to_partners(event: OutboxEvent) -> None:
    payload = event.payload
    ticket_id, origin = str(payload.get("ticket_id") or ""), payload.get("partner_origin")
    if not ticket_id:
        return
    owed: list[object] = []
    if event.name in HOLDER_EVENTS:
        ticket = Ticket.objects.select_related("team", "requester_organisation").filter(pk=ticket_id).first()
        if ticket is not None:
            reason = outbound.handoff_reason(str(payload["handoff_id"])) if "handoff_id" in payload else ""
            owed += outbound.ticket_bonds_sync(ticket=ticket, reason=reason)
    elif event.name == "servicedesk.handoff.accepted" or (
        event.name.startswith("servicedesk.ticket.") and event.name.rpartition(".")[2] in STATE_EVENTS
    ):
        owed += outbound.ticket_state_sent(ticket_id=ticket_id, origin=origin)
    elif event.name == "servicedesk.ticket.commented":
        owed += outbound.ticket_note_sent(ticket_id=ticket_id, event_id=payload.get("event_id"), origin=origin)
    elif event.name == "servicedesk.ticket.updated":
        owed += outbound.ticket_fields_sent(
            ticket_id=ticket_id, fields=list(payload.get("fields") or []), origin=origin
        )
    if owed:
        transaction.on_commit(_nudge)


def _nudge() -> None:
    from towers.integration.tasks_partners import nudge_partner_delivery  # the task module imports the services

    nudge_partner_delivery()
