"""The records behind a pack's figures, listed one by one: the month's clocks, hand-offs, changes and cases.

A figure and its list are read by one definition (`month_clocks`, `month_handoffs`, …), so the list always holds
exactly the records the figure counted: a supplier's "SLA met 92%" opens its SLA clocks of the month, its
"Breaches 7" the 7 breached, its "Hand-offs rejected 3" those 3 hand-offs.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, F, Q, QuerySet

from towers.core.errors import ValidationFailed
from towers.reporting.pack_common import PackScope
from towers.reporting.pack_desk import month_handoffs
from towers.reporting.pack_other import FAILED_OUTCOMES, month_cases, month_changes
from towers.reporting.pack_service import month_clocks
from towers.servicedesk.models import HandOff, Ticket, TicketClock
from towers.servicedesk.models.changes import Outcome
from towers.soc.models import SecurityCase

# Outcome's own, and "unsuccessful": the pack's "failed or backed out".
OUTCOMES = {o.value: Q(change_detail__outcome=o.value) for o in Outcome} | {
    "unsuccessful": Q(change_detail__outcome__in=FAILED_OUTCOMES)
}

KINDS = {"sla": Q(kind="sla"), "ola": ~Q(kind="sla")}  # "ola": the OLAs and UCs together, as the dashboard puts it


@dataclass(frozen=True)
class ClockFilters:
    """Narrowing of the month's clocks; empty means any."""

    kind: str = ""  # "sla", or "ola" for OLAs and UCs
    provider: str = ""  # the code of the organisation whose level it is
    breached: bool | None = None
    level: UUID | None = None

    def __post_init__(self) -> None:
        if self.kind and self.kind not in KINDS:
            raise ValidationFailed.one("kind", f"must be one of {', '.join(KINDS)}, not {self.kind!r}")

    def lookups(self) -> Q:
        q = KINDS.get(self.kind, Q())
        if self.provider:
            q &= Q(organisation__code=self.provider)
        if self.breached is not None:
            q &= Q(breached=self.breached)
        if self.level is not None:
            q &= Q(service_level_id=self.level)
        return q


@dataclass(frozen=True)
class ClockCounts:
    measured: int
    met: int
    breached: int


def month_clock_list(scope: PackScope, filters: ClockFilters) -> QuerySet[TicketClock]:
    """The month's clocks of the pack, most overdue first, with what a row shows in the same query."""
    return (
        month_clocks(scope)
        .filter(filters.lookups())
        .select_related("ticket", "service_level", "organisation")
        .annotate(elapsed_hours=F("elapsed_seconds") / 3600.0, target_hours=F("target_seconds") / 3600.0)
        .order_by("-breached", "due_at", "id")
    )


def clock_counts(clocks: QuerySet[TicketClock]) -> ClockCounts:
    totals = clocks.order_by().aggregate(n=Count("id"), breached=Count("id", filter=Q(breached=True)))
    return ClockCounts(measured=totals["n"], met=totals["n"] - totals["breached"], breached=totals["breached"])


def month_handoff_list(scope: PackScope, *, status: str = "", received: bool = False) -> QuerySet[HandOff]:
    """The month's hand-offs of the pack, oldest first; `received`: only those its supplier (or tower) received."""
    handoffs = month_handoffs(scope)
    if status:
        if status not in HandOff.Status.values:
            raise ValidationFailed.one("status", f"must be one of {', '.join(HandOff.Status.values)}, not {status!r}")
        handoffs = handoffs.filter(status=status)
    if received and scope.members is not None:
        handoffs = handoffs.filter(to_organisation__in=scope.members)
    return handoffs.select_related("ticket", "from_organisation", "to_team__organisation").order_by("created_at", "id")


def month_change_list(scope: PackScope, *, outcome: str = "") -> QuerySet[Ticket]:
    """The changes completed in the month, latest first; `outcome` one of Outcome's, or "unsuccessful"."""
    if outcome and outcome not in OUTCOMES:
        raise ValidationFailed.one("outcome", f"must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    changes = month_changes(scope).filter(OUTCOMES.get(outcome, Q()))
    return changes.select_related("change_detail", "team__organisation").order_by("-change_detail__actual_end", "id")


def month_case_list(scope: PackScope, *, resolved: bool = False) -> QuerySet[SecurityCase]:
    """The security cases opened in the month (or, `resolved`, resolved in it), oldest first."""
    field = "resolved_at" if resolved else "opened_at"
    cases = month_cases(scope).filter(**{f"{field}__gte": scope.start, f"{field}__lt": scope.end})
    return cases.select_related("organisation", "incident").order_by(field, "id")
