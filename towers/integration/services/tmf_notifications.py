"""Domain events as TMF621 notifications for /hub listeners: TroubleTicket…Event with the ticket as TMF JSON.

Each Towers event names the TMF event types it may be sent as, most specific first (a resolution is a
TroubleTicketResolvedEvent, or a TroubleTicketStatusChangeEvent to a listener that asked only for those); a
listener's hub query picks the first it admits. The ticket is rendered as the listener's organisation reads it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings

from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.models import OutboxEvent
from towers.integration.models import WebhookSubscription
from towers.integration.tmf_records import Viewer, ticket_href, tmf_time, trouble_ticket
from towers.integration.tmf_selectors import tmf_tickets

CREATE, CHANGE, STATUS = (
    "TroubleTicketCreateEvent",
    "TroubleTicketAttributeValueChangeEvent",
    "TroubleTicketStatusChangeEvent",
)
RESOLVED, INFORMATION, DELETE = (
    "TroubleTicketResolvedEvent",
    "TroubleTicketInformationRequiredEvent",
    "TroubleTicketDeleteEvent",
)
TMF_EVENT_TYPES = (CREATE, CHANGE, STATUS, RESOLVED, INFORMATION, DELETE)
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "servicedesk.ticket.created": (CREATE,),
    "servicedesk.ticket.updated": (CHANGE,),
    "servicedesk.ticket.assigned": (CHANGE,),
    "servicedesk.ticket.handed_off": (CHANGE,),
    "servicedesk.handoff.accepted": (CHANGE,),
    "servicedesk.handoff.rejected": (CHANGE,),
    "servicedesk.ticket.commented": (CHANGE,),
    "servicedesk.ticket.attachment_added": (CHANGE,),
    "servicedesk.ticket.state_changed": (STATUS,),
    "servicedesk.ticket.resolved": (RESOLVED, STATUS),
    "servicedesk.ticket.reopened": (STATUS,),
    "servicedesk.ticket.closed": (STATUS,),
}
# By the status the change left: waiting on the requester asks for information; a cancellation ends the ticket
# for a listener that only follows deletions (Towers never deletes one).
REPORTING_SYSTEM = {"id": "towers", "name": "Towers", "@type": "EntityRef", "@referredType": "LogicalResource"}
BY_STATUS = {"pending": (INFORMATION, STATUS), "cancelled": (STATUS, DELETE)}


def hub_event_types(query: str) -> set[str]:
    """The TMF event types a hub query admits ("eventType=A,B" or "eventType=A&eventType=B"; empty for all)."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    unknown = sorted({name for name, _ in pairs if name != "eventType"})
    if unknown:
        raise ValidationFailed.one("query", f"Towers filters listeners on eventType only, not {', '.join(unknown)}")
    wanted = {t.strip() for _, value in pairs for t in value.split(",") if t.strip()}
    strange = sorted(wanted - set(TMF_EVENT_TYPES))
    if strange:
        raise ValidationFailed.one("query", f"no event type {', '.join(strange)}; one of {', '.join(TMF_EVENT_TYPES)}")
    return wanted or set(TMF_EVENT_TYPES)


def base_url() -> str:
    """Where callers reach Towers, for hrefs in notifications (there is no request to read it from)."""
    return str(getattr(settings, "TOWERS_PUBLIC_URL", "")).rstrip("/")


def tmf_notification(*, subscription: WebhookSubscription, event: OutboxEvent, actor: Actor) -> dict[str, Any] | None:
    """The notification owed to a TMF621 listener for `event`, or None when its hub query does not want it."""
    kinds = EVENT_TYPES.get(event.name)
    ticket_id = event.payload.get("ticket_id")
    if not kinds or not ticket_id:
        return None
    ticket = tmf_tickets(actor).filter(pk=ticket_id).first()
    if ticket is None:
        return None
    viewer = Viewer(base_url=base_url(), work_notes=True, organisation_id=subscription.organisation_id)
    rendered = trouble_ticket(ticket, viewer, as_of=event.created_at)
    if event.name == "servicedesk.ticket.state_changed":
        kinds = BY_STATUS.get(rendered["status"], kinds)
    try:
        admitted = hub_event_types(subscription.query)
    except ValidationFailed:  # refused when registered; an edited row should not stop the fan-out
        admitted = set(TMF_EVENT_TYPES)
    kind = next((k for k in kinds if k in admitted), None)
    if kind is None:
        return None
    at = tmf_time(event.created_at)
    return {
        "@type": kind,
        "@baseType": "Event",
        "id": str(event.uuid),
        "eventId": str(event.uuid),
        "eventType": kind,
        "eventTime": at,
        "timeOccurred": at,
        "title": kind,
        "description": f"{ticket.reference}: {event.name}",
        "domain": "troubleTicket",
        "correlationId": ticket.pk.hex,
        "source": {
            "id": ticket.pk.hex,
            "href": ticket_href(viewer.base_url, ticket),
            "name": ticket.reference,
            "@type": "EntityRef",
            "@referredType": "TroubleTicket",
        },
        "reportingSystem": {"id": "towers", "name": "Towers", "@type": "EntityRef", "@referredType": "LogicalResource"},
        "event": {"troubleTicket": rendered},
    }
