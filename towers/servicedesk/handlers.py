"""Who is told what: domain events of the service desk turned into notifications (run by the worker).

Each handler reads the event's ids and tells the people concerned through `notify`; the outbox records
each handler's delivery, so nobody is told twice when a worker is restarted.
"""

from __future__ import annotations

from towers.core import events
from towers.core.models import OutboxEvent
from towers.servicedesk.models import HandOff, Ticket, TicketClock, TicketEvent
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.notify import notify

QUIET_CHANNELS = {"monitoring", "security"}  # machine-raised tickets have no one to acknowledge


def _ticket(event: OutboxEvent) -> Ticket | None:
    return (
        Ticket.objects.select_related("requester", "team", "service", "assignee")
        .filter(pk=event.payload["ticket_id"])
        .first()
    )


def _tell_requester(ticket: Ticket, template: str, **context: object) -> None:
    if ticket.requester is None and not ticket.requester_email:
        return
    email = "" if ticket.requester else ticket.requester_email
    notify(template=template, ticket=ticket, person=ticket.requester, email=email, context=context)


def _said(comment: TicketEvent) -> dict[str, object]:
    return {"comment": comment, "body": comment.body, "author": comment.actor_label}


@events.on("servicedesk.ticket.created")
def tell_requester_of_new_ticket(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    if ticket and ticket.channel not in QUIET_CHANNELS:
        _tell_requester(ticket, "ticket_created")


@events.on("servicedesk.ticket.commented")
def tell_the_other_side_of_a_comment(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    comment = TicketEvent.objects.filter(pk=event.payload["event_id"]).first()
    if ticket is None or comment is None or not comment.public:
        return
    if event.payload.get("by_requester"):
        if ticket.team is not None:
            notify(template="ticket_commented", ticket=ticket, team=ticket.team, context=_said(comment))
    else:
        _tell_requester(ticket, "ticket_commented", **_said(comment))


@events.on("servicedesk.ticket.resolved")
def tell_requester_of_resolution(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    if ticket is not None:
        _tell_requester(ticket, "ticket_resolved", reopen_days=desk_settings().reopen_window.days)


@events.on("servicedesk.ticket.handed_off")
def tell_receiving_team(event: OutboxEvent) -> None:
    handoff = HandOff.objects.select_related("ticket", "to_team", "from_team", "to_organisation").filter(
        pk=event.payload["handoff_id"]
    )
    found = handoff.first()
    if found is not None:
        notify(
            template="handoff_received",
            ticket=found.ticket,
            team=found.to_team,
            context={"handoff": found, "reason": found.reason},
        )


@events.on("servicedesk.handoff.rejected")
def tell_sending_team_of_rejection(event: OutboxEvent) -> None:
    found = HandOff.objects.select_related("ticket__team", "to_team", "from_team").filter(
        pk=event.payload["handoff_id"]
    )
    handoff = found.first()
    if handoff is not None and handoff.ticket.team is not None:
        notify(
            template="handoff_rejected",
            ticket=handoff.ticket,
            team=handoff.ticket.team,
            context={"handoff": handoff, "reason": handoff.response},
        )


@events.on("servicedesk.clock.warning")
def tell_holders_of_clock_warning(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    clock = TicketClock.objects.filter(pk=event.payload["clock_id"]).first()
    if ticket is None or clock is None:
        return
    context = {"clock": clock, "percent": event.payload["percent"]}
    notify(template="clock_warning", ticket=ticket, person=ticket.assignee, team=ticket.team, context=context)
