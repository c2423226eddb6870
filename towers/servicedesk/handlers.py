"""Who is told what: domain events of the service desk turned into notifications (run by the worker).

Each handler reads the event's ids and tells the people concerned through `notify`; the outbox records
each handler's delivery, so nobody is told twice when a worker is restarted.
"""

from __future__ import annotations

from towers.core import events
from towers.core.models import OutboxEvent
from towers.organisations.models import Person
from towers.servicedesk.models import HandOff, StakeholderUpdate, Ticket, TicketClock, TicketEvent
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
    # A requester with no account who replied by mail is acting as "mail:<their address>".
    by_requester = event.payload.get("by_requester") or (
        bool(ticket.requester_email) and comment.actor_label == f"mail:{ticket.requester_email}"
    )
    if by_requester:
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


@events.on("servicedesk.approval.requested")
def tell_approver(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    approver = Person.objects.filter(pk=event.payload.get("person_id")).first()
    if ticket is not None and approver is not None:
        role = str(event.payload.get("role", "")).replace("_", " ")
        notify(template="approval_requested", ticket=ticket, person=approver, context={"role": role})


@events.on("servicedesk.change.submitted")
def tell_change_approvers(event: OutboxEvent) -> None:
    change = Ticket.objects.filter(pk=event.payload["change_id"]).first()
    if change is None:
        return
    for approver in Person.objects.filter(pk__in=event.payload.get("approvers", [])):
        notify(template="approval_requested", ticket=change, person=approver, context={"role": "CAB member"})


@events.on("servicedesk.request.rejected")
def tell_requester_of_rejection(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    if ticket is not None:
        _tell_requester(ticket, "request_rejected", reason=event.payload.get("reason", ""))


def _tell_stakeholders(event: OutboxEvent, template: str, **context: object) -> None:
    ticket = _ticket(event)
    if ticket is None:
        return
    manager = Person.objects.filter(pk=event.payload.get("manager_id")).first()
    update = StakeholderUpdate.objects.filter(pk=event.payload.get("update_id")).select_related("major").first()
    notify(
        template=template,
        ticket=ticket,
        person=manager,
        emails=event.payload.get("recipients", []),
        context={"update": update, **context},
    )


@events.on("servicedesk.major.declared")
def tell_stakeholders_of_declaration(event: OutboxEvent) -> None:
    _tell_stakeholders(event, "major_declared", bridge=event.payload.get("bridge", ""))


@events.on("servicedesk.major.update_sent")
def tell_stakeholders_of_update(event: OutboxEvent) -> None:
    _tell_stakeholders(event, "major_update")


@events.on("servicedesk.major.resolved")
def tell_stakeholders_of_resolution(event: OutboxEvent) -> None:
    _tell_stakeholders(event, "major_resolved")


@events.on("servicedesk.major.update_overdue")
def remind_manager_of_overdue_update(event: OutboxEvent) -> None:
    ticket = _ticket(event)
    if ticket is None:
        return
    manager = Person.objects.filter(pk=event.payload.get("manager_id")).first()
    context = {"minutes_late": event.payload.get("minutes_late", 0)}
    notify(
        template="major_update_overdue",
        ticket=ticket,
        person=manager,
        team=None if manager else ticket.team,
        context=context,
    )
