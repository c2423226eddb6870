"""The ticket's one timeline: every event records the ticket as it left it, so clocks can replay it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from towers.core.actor import Actor
from towers.servicedesk.models import Ticket, TicketEvent


def clock_state(ticket: Ticket) -> str:
    """The state as service levels name it: a pending ticket is paused or not by why it is pending."""
    if ticket.state == "pending" and ticket.pending_reason:
        return f"pending_{ticket.pending_reason}"
    return ticket.state


def record_event(
    ticket: Ticket,
    kind: str,
    actor: Actor,
    *,
    body: str = "",
    public: bool = False,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        at=at or timezone.now(),
        kind=kind,
        actor_label=actor.label,
        person_id=actor.person_id,
        state=clock_state(ticket),
        priority=ticket.priority,
        team_id=ticket.team_id,
        organisation_id=ticket.organisation_id,
        body=body,
        public=public,
        data=data or {},
    )
