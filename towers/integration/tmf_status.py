"""TMF621's trouble-ticket status model read as Towers' ticket states, and back.

The default mapping; a supplier integration's own state mapping table (models_partners.StateMapping) overrides it
for that supplier. TMF621 has no "new": a ticket Towers has not yet started is "acknowledged" (received and
accepted for handling); "held" is a ticket waiting on someone else, which Towers keeps as pending too.
"""

from __future__ import annotations

from towers.servicedesk.models import State

TMF_STATUSES = ("acknowledged", "rejected", "pending", "held", "inProgress", "cancelled", "closed", "resolved")

TMF_STATUS: dict[str, str] = {
    State.NEW: "acknowledged",
    State.ASSIGNED: "acknowledged",
    State.IN_PROGRESS: "inProgress",
    State.PENDING: "pending",
    State.RESOLVED: "resolved",
    State.CLOSED: "closed",
    State.CANCELLED: "cancelled",
}

TOWERS_STATE: dict[str, str] = {
    "acknowledged": State.ASSIGNED,
    "inProgress": State.IN_PROGRESS,
    "pending": State.PENDING,
    "held": State.PENDING,
    "resolved": State.RESOLVED,
    "closed": State.CLOSED,
    "cancelled": State.CANCELLED,
    "rejected": State.CANCELLED,
}


def tmf_status(state: str) -> str:
    """Towers' state as TMF621 status (an unknown state is a programming error, so it raises KeyError)."""
    return TMF_STATUS[state]


def towers_state(status: str) -> str:
    """TMF621 status as Towers' state; ValueError naming the allowed values for anything else."""
    try:
        return TOWERS_STATE[status]
    except KeyError:
        raise ValueError(f"status {status!r} is not one of {', '.join(TMF_STATUSES)}") from None
