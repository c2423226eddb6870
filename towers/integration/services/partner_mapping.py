"""A supplier integration's mapping tables applied: our ticket as its TMF621 trouble ticket, and back.

With no field mapping rows an integration sends the defaults below and takes no field changes back (only
status and notes): a partner renames or re-prioritises our ticket only where its mapping says it may. A field
named "characteristic.<name>" on the partner's side is a troubleTicketCharacteristic of that name.
"""

from __future__ import annotations

from typing import Any

from towers.integration.models_partners import Direction, PartnerIntegration
from towers.integration.tmf_status import tmf_status, towers_state
from towers.servicedesk.models import Ticket

# Our field → theirs, used when an integration has no outbound field mapping rows.
DEFAULT_OUT = {
    "title": "name",
    "description": "description",
    "priority": "priority",
    "impact": "severity",
    "kind": "ticketType",
}
SEVERITY = {1: "Critical", 2: "Major", 3: "Minor"}
# TMF621's examples of priority names (the spec leaves the values to the systems).
PRIORITY = {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low", "P5": "Planning"}
LEVEL = {name.lower(): level for level, name in SEVERITY.items()}
# The fields a partner may change on our ticket, through a mapping row (ticket_update's editable fields).
INBOUND_FIELDS = {"title", "description", "impact", "urgency"}
CHARACTERISTIC = "characteristic."
OUT_DIRECTIONS = (Direction.OUTBOUND, Direction.BOTH)
IN_DIRECTIONS = (Direction.INBOUND, Direction.BOTH)


def field_pairs(integration: PartnerIntegration, directions: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(m.ours, m.theirs) for m in integration.field_mappings.all() if m.direction in directions]


def _our_value(ticket: Ticket, ours: str) -> Any:
    value = getattr(ticket, ours, None)
    if ours in ("impact", "urgency") and isinstance(value, int):
        return SEVERITY.get(value, str(value))
    if ours == "priority":
        return PRIORITY.get(str(value), str(value))
    return "" if value is None else str(value)


def _put(body: dict[str, Any], theirs: str, value: Any) -> None:
    if theirs.startswith(CHARACTERISTIC):
        body.setdefault("troubleTicketCharacteristic", []).append(
            {
                "@type": "StringCharacteristic",
                "name": theirs[len(CHARACTERISTIC) :],
                "valueType": "string",
                "value": value,
            }
        )
    else:
        body[theirs] = value


def _get(ticket: dict[str, Any], theirs: str) -> Any:
    if not theirs.startswith(CHARACTERISTIC):
        return ticket.get(theirs)
    name = theirs[len(CHARACTERISTIC) :]
    for item in ticket.get("troubleTicketCharacteristic") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item.get("value")
    return None


def fields_out(integration: PartnerIntegration, ticket: Ticket, only: set[str] | None = None) -> dict[str, Any]:
    """Our ticket's mapped fields as the partner names them (`only`: just these fields of ours)."""
    pairs = field_pairs(integration, OUT_DIRECTIONS) or list(DEFAULT_OUT.items())
    body: dict[str, Any] = {}
    for ours, theirs in pairs:
        if only is None or ours in only:
            _put(body, theirs, _our_value(ticket, ours))
    return body


def fields_in(integration: PartnerIntegration, ticket: Ticket, remote: dict[str, Any]) -> dict[str, Any]:
    """The changes the partner's ticket asks of ours, through the inbound mapping rows (ValueError if malformed)."""
    changes: dict[str, Any] = {}
    for ours, theirs in field_pairs(integration, IN_DIRECTIONS):
        value = _get(remote, theirs)
        if value is None or ours not in INBOUND_FIELDS:
            continue
        if ours in ("impact", "urgency"):
            value = LEVEL.get(str(value).lower()) or int(value)
            if value not in (1, 2, 3):
                raise ValueError(f"{theirs} {value!r} is not a severity (Critical, Major, Minor or 1-3)")
        if getattr(ticket, ours) != value:
            changes[ours] = value
    return changes


def status_out(integration: PartnerIntegration, state: str) -> str:
    """Our state as the partner's status: the integration's state mapping first, then TMF621's default."""
    for mapping in integration.state_mappings.all():
        if mapping.ours == state and mapping.direction in OUT_DIRECTIONS:
            return mapping.theirs
    return tmf_status(state)


def state_in(integration: PartnerIntegration, status: str) -> str:
    """The partner's status as our state (ValueError for a status neither the mapping nor TMF621 knows)."""
    for mapping in integration.state_mappings.all():
        if mapping.theirs == status and mapping.direction in IN_DIRECTIONS:
            return mapping.ours
    return towers_state(status)
