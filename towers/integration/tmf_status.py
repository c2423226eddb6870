"""TMF621's trouble-ticket status model read as Towers' ticket states, and back.

The default mapping; a supplier integration's own state mapping table (models_partners.StateMapping) overrides it
for that supplier. TMF621 has no "new": a ticket Towers has not yet started is "acknowledged" (received and
accepted for handling). Towers' pending has a reason: pending on the requester is TMF's "pending" (information
required), pending on anyone else (a supplier, a change, an approval) is TMF's "held".
"""

from __future__ import annotations

from towers.servicedesk.models import PendingReason, State

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

# Why a ticket put on hold through TMF621 waits: "pending" needs the requester, "held" someone else.
PENDING_REASON = {"pending": PendingReason.REQUESTER, "held": PendingReason.SUPPLIER}


def tmf_status(state: str, pending_reason: str = "") -> str:
    """Towers' state (and why it is pending) as TMF621 status; an unknown state is a programming error (KeyError)."""
    if state == State.PENDING and pending_reason and pending_reason != PendingReason.REQUESTER:
        return "held"
    return TMF_STATUS[state]


def towers_state(status: str) -> str:
    """TMF621 status as Towers' state; ValueError naming the allowed values for anything else."""
    try:
        return TOWERS_STATE[status]
    except KeyError:
        raise ValueError(f"status {status!r} is not one of {', '.join(TMF_STATUSES)}") from None


def clock_state_status(clock_state: str) -> str:
    """A timeline row's state ("pending_supplier", as the clock engine records it) as TMF621 status."""
    state, _, reason = clock_state.partition("_") if clock_state.startswith("pending_") else (clock_state, "", "")
    return tmf_status(state, reason)
