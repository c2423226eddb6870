"""The case follows its incident: what happens to the incident handed to a supplier lands on the case's timeline."""

from __future__ import annotations

from towers.core import events
from towers.core.models import OutboxEvent
from towers.servicedesk.models import Ticket
from towers.soc.models import CaseEvent, SecurityCase

FOLLOWED = {
    "servicedesk.handoff.accepted": "incident accepted by the supplier",
    "servicedesk.handoff.rejected": "incident rejected by the supplier",
    "servicedesk.ticket.state_changed": "incident state changed",
    "servicedesk.ticket.resolved": "incident resolved",
    "servicedesk.ticket.reopened": "incident reopened",
    "servicedesk.ticket.closed": "incident closed",
}


def follow_incident(event: OutboxEvent) -> None:
    ticket_id = event.payload.get("ticket_id")
    cases = list(SecurityCase.objects.filter(incident_id=ticket_id).only("id"))
    if not cases:
        return
    ticket = Ticket.objects.select_related("team").get(pk=ticket_id)
    body = f"{ticket.reference}: {FOLLOWED[event.name]} — now {ticket.get_state_display()}" + (
        f" with {ticket.team}" if ticket.team else ""
    )
    CaseEvent.objects.bulk_create(
        [CaseEvent(case=case, kind="incident", actor_label="system:follow-incident", body=body) for case in cases]
    )


for name in FOLLOWED:
    events.on(name)(follow_incident)
