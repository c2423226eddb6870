"""Fulfilment reacts to tickets moving, wherever they moved (the UI, the API, a supplier's system, email).

A fulfilment task resolved, closed or cancelled moves its request on; a request cancelled takes its open
tasks with it. Imported by the app's handlers so the worker registers them.
"""

from towers.core import events
from towers.core.models import OutboxEvent
from towers.servicedesk.models import State, Ticket, TicketKind
from towers.servicedesk.services.fulfilment import FULFILMENT, request_cancelled, request_task_finished


@events.on("servicedesk.ticket.resolved")
@events.on("servicedesk.ticket.closed")
@events.on("servicedesk.ticket.state_changed")
def advance_fulfilment(event: OutboxEvent) -> None:
    ticket = Ticket.objects.filter(pk=event.payload.get("ticket_id")).first()
    if ticket is None:
        return
    if ticket.kind == TicketKind.TASK:
        request_task_finished(actor=FULFILMENT, task=ticket)
    elif ticket.kind == TicketKind.REQUEST and ticket.state == State.CANCELLED:
        request_cancelled(actor=FULFILMENT, request=ticket)
