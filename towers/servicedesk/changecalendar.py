"""The change calendar's arithmetic, with no Django: conflicts between planned changes, risk, and approval tallies.

Plain data in and out so that it can be tested exhaustively (hypothesis) and reused by the UI, the API and
the scheduling rules alike. Windows are half-open, [start, end): a change ending at 02:00 does not collide
with one starting at 02:00, which is how maintenance slots are booked back to back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ConflictKind(StrEnum):
    SAME_CI = "same_ci"  # two changes touch one configuration item at once
    SAME_SERVICE = "same_service"  # two changes touch one service at once
    FREEZE = "freeze"  # the change falls in a freeze window that covers it
    OVERLAP = "overlap"  # another change runs at the same time, on other things (worth knowing, not blocking)


@dataclass(frozen=True)
class PlannedChange:
    id: str
    start: datetime
    end: datetime
    service_ids: frozenset[str] = frozenset()
    ci_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Freeze:
    """A period without changes: to the listed services, or to everything when none are listed."""

    id: str
    start: datetime
    end: datetime
    service_ids: frozenset[str] = frozenset()

    def covers(self, change: PlannedChange) -> bool:
        return not self.service_ids or bool(self.service_ids & change.service_ids)


@dataclass(frozen=True)
class Conflict:
    """One reason `change_id` should not go ahead as planned: `other_id` is the other change or the freeze."""

    change_id: str
    kind: ConflictKind
    other_id: str
    start: datetime  # the overlap itself
    end: datetime
    shared: frozenset[str] = field(default_factory=frozenset)  # the CIs or services both touch


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _pair_conflicts(a: PlannedChange, b: PlannedChange) -> list[Conflict]:
    """What `b` means for `a`, given that their windows overlap."""
    start, end = max(a.start, b.start), min(a.end, b.end)
    found = []
    if shared_cis := a.ci_ids & b.ci_ids:
        found.append(Conflict(a.id, ConflictKind.SAME_CI, b.id, start, end, shared_cis))
    if shared_services := a.service_ids & b.service_ids:
        found.append(Conflict(a.id, ConflictKind.SAME_SERVICE, b.id, start, end, shared_services))
    if not found:
        found.append(Conflict(a.id, ConflictKind.OVERLAP, b.id, start, end))
    return found


def find_conflicts(changes: Sequence[PlannedChange], freezes: Sequence[Freeze] = ()) -> dict[str, list[Conflict]]:
    """Every change's conflicts with the other changes and the freezes; each pair is reported on both sides.

    A sweep over start times, so the cost is the sort plus the overlapping pairs, not every pair: a month of
    a large estate's changes is a few thousand windows, most of them apart.
    """
    result: dict[str, list[Conflict]] = {c.id: [] for c in changes}
    ordered = sorted((c for c in changes if c.start < c.end), key=lambda c: (c.start, c.id))
    running: list[PlannedChange] = []
    for change in ordered:
        running = [r for r in running if r.end > change.start]
        for other in running:
            result[change.id].extend(_pair_conflicts(change, other))
            result[other.id].extend(_pair_conflicts(other, change))
        running.append(change)
    for change in changes:
        for freeze in freezes:
            if freeze.covers(change) and overlaps(change.start, change.end, freeze.start, freeze.end):
                shared = change.service_ids & freeze.service_ids
                start, end = max(change.start, freeze.start), min(change.end, freeze.end)
                result[change.id].append(Conflict(change.id, ConflictKind.FREEZE, freeze.id, start, end, shared))
    for conflicts in result.values():
        conflicts.sort(key=lambda c: (list(ConflictKind).index(c.kind), c.start, c.other_id))
    return result


def freezes_at(moment: datetime, change: PlannedChange, freezes: Iterable[Freeze]) -> list[Freeze]:
    """The freezes covering `change` that are in force at `moment` (the scheduling rule at implementation)."""
    return [f for f in freezes if f.covers(change) and f.start <= moment < f.end]


# --- Risk ------------------------------------------------------------------------------------------------------


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


@dataclass(frozen=True)
class RiskAnswers:
    """The risk questionnaire, as ServiceNow's and iTop's: what is touched, how badly, and how well rehearsed.

    ci_criticality is the CMDB's scale (1 critical … 4 low), or None when the change touches no CI.
    """

    services_affected: int
    ci_criticality: int | None
    outage_required: bool
    backout_tested: bool
    done_before: bool


# Points per answer; the bands below turn the sum into a level. Chosen so that a critical CI or five services
# on their own make a change at least medium, a critical CI with an outage high, and only a change that is
# alarming on most counts very high.
SERVICE_POINTS = ((5, 6), (2, 4), (1, 2), (0, 0))  # (at least this many services, points)
CRITICALITY_POINTS = {1: 5, 2: 3, 3: 1, 4: 0}
OUTAGE_POINTS = 3
UNTESTED_BACKOUT_POINTS = 2
FIRST_TIME_POINTS = 2
BANDS = ((12, RiskLevel.VERY_HIGH), (8, RiskLevel.HIGH), (4, RiskLevel.MEDIUM), (0, RiskLevel.LOW))


def risk_score(answers: RiskAnswers) -> int:
    if answers.services_affected < 0:
        raise ValueError("services_affected cannot be negative")
    if answers.ci_criticality is not None and answers.ci_criticality not in CRITICALITY_POINTS:
        raise ValueError("ci_criticality is 1 (critical) to 4 (low)")
    score = next(points for least, points in SERVICE_POINTS if answers.services_affected >= least)
    score += CRITICALITY_POINTS.get(answers.ci_criticality or 4, 0)
    score += OUTAGE_POINTS if answers.outage_required else 0
    score += 0 if answers.backout_tested else UNTESTED_BACKOUT_POINTS
    score += 0 if answers.done_before else FIRST_TIME_POINTS
    return score


def risk_level(answers: RiskAnswers) -> RiskLevel:
    score = risk_score(answers)
    return next(level for least, level in BANDS if score >= least)


# --- Approval --------------------------------------------------------------------------------------------------


class Tally(StrEnum):
    PENDING = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"


def tally(rule: str, statuses: Sequence[str]) -> Tally:
    """Where a change's approvals stand under `rule` ("all", "majority", "any").

    `statuses` holds one status per approver ("requested", "approved", "rejected"). "all": every approver
    must approve and one rejection is final; "majority": more than half approve, rejected once that can no
    longer happen; "any" (the emergency CAB): the first approval is enough, rejected only when all reject.
    """
    total = len(statuses)
    approved, rejected = statuses.count("approved"), statuses.count("rejected")
    if total == 0:
        raise ValueError("a tally needs at least one approver")
    if rule == "all":
        if rejected:
            return Tally.REJECTED
        return Tally.APPROVED if approved == total else Tally.PENDING
    if rule == "majority":
        if approved * 2 > total:
            return Tally.APPROVED
        return Tally.REJECTED if (total - rejected) * 2 <= total else Tally.PENDING
    if rule == "any":
        if approved:
            return Tally.APPROVED
        return Tally.REJECTED if rejected == total else Tally.PENDING
    raise ValueError(f"unknown approval rule {rule!r}")
