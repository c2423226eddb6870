"""Reads of changes: lists, one change, its approvals and conflicts, the change calendar, templates and freezes.

Conflicts are computed over every change, not only those the actor may see: a supplier planning work on a
CI must learn that something else is booked on it. What it may not see is reported without its reference or
title ("another change"), so the calendar warns without telling one supplier about another's work.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import get_visible, visible_to
from towers.servicedesk.changecalendar import Conflict, ConflictKind, Freeze, PlannedChange, find_conflicts
from towers.servicedesk.models import Approval, ChangeDetail, ChangeTemplate, FreezeWindow, State, Ticket, TicketKind
from towers.servicedesk.models.changes import ApprovalState
from towers.servicedesk.selectors import tickets_visible

ACTIVE_STATES = (State.NEW, State.ASSIGNED, State.PENDING, State.IN_PROGRESS)
CHANGE_RELATED = ("change_detail__template", "service", "team__organisation", "organisation", "assignee")
MAX_CALENDAR_SPAN = timedelta(days=100)
KIND_LABELS = {
    ConflictKind.SAME_CI: "Same configuration item",
    ConflictKind.SAME_SERVICE: "Same service",
    ConflictKind.FREEZE: "Freeze window",
    ConflictKind.OVERLAP: "Overlapping change",
}
# Stages as the change's page and lists name them (see services/changes.py for how they are read).
STAGES = {
    "draft": "Draft",
    "awaiting_approval": "Awaiting approval",
    "scheduled": "Scheduled",
    "implementing": "Implementing",
    "review": "Done: awaiting review or closure",
    "closed": "Closed",
    "cancelled": "Cancelled",
}


def stage_of(change: Ticket) -> str:
    approval = change_detail_of(change).approval_state
    if change.state in (State.CLOSED, State.CANCELLED):
        return str(change.state)
    if change.state == State.IN_PROGRESS:
        return "implementing"
    if change.state == State.RESOLVED:
        return "review"
    if approval == ApprovalState.REQUESTED:
        return "awaiting_approval"
    return "scheduled" if approval == ApprovalState.APPROVED else "draft"


def change_detail_of(change: Ticket) -> ChangeDetail:
    """The change's detail, or a blank one for a change raised through the generic ticket routes (none yet)."""
    try:
        return change.change_detail
    except ChangeDetail.DoesNotExist:
        return ChangeDetail(ticket=change)


def changes_visible(actor: Actor) -> QuerySet[Ticket]:
    return tickets_visible(actor).filter(kind=TicketKind.CHANGE)


def _caused_count(actor: Actor) -> Subquery:
    """How many incidents the actor may see were caused by the change (one correlated count per row)."""
    caused = (
        tickets_visible(actor)
        .filter(caused_by=OuterRef("pk"))
        .order_by()
        .values("caused_by")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(caused, output_field=IntegerField())


def change_list(
    *,
    actor: Actor,
    change_type: str = "",
    stage: str = "",
    service: UUID | None = None,
    search: str = "",
) -> QuerySet[Ticket]:
    """Changes the actor may see, soonest window first, with everything a row shows in the one query."""
    qs = changes_visible(actor)
    if change_type:
        qs = qs.filter(change_detail__change_type=change_type)
    if service:
        qs = qs.filter(service_id=service)
    if search.strip():
        qs = qs.filter(Q(title__icontains=search.strip()) | Q(reference__iexact=search.strip()))
    stages = {
        "draft": Q(state__in=(State.NEW, State.ASSIGNED))
        & ~Q(change_detail__approval_state__in=(ApprovalState.REQUESTED, ApprovalState.APPROVED)),
        "awaiting_approval": Q(state=State.PENDING, change_detail__approval_state=ApprovalState.REQUESTED),
        "scheduled": Q(state__in=(State.NEW, State.ASSIGNED), change_detail__approval_state=ApprovalState.APPROVED),
        "implementing": Q(state=State.IN_PROGRESS),
        "review": Q(state=State.RESOLVED),
        "open": Q(state__in=(*ACTIVE_STATES, State.RESOLVED)),
        "closed": Q(state=State.CLOSED),
        "cancelled": Q(state=State.CANCELLED),
    }
    if stage in stages:
        qs = qs.filter(stages[stage])
    return (
        qs.select_related(*CHANGE_RELATED)
        .annotate(caused_count=Coalesce(_caused_count(actor), Value(0)))
        .order_by("-change_detail__planned_start", "-opened_at", "reference")
    )


def change_get(*, actor: Actor, id: UUID | str) -> Ticket:
    """One change by id or reference; NotFound whether it is missing, not a change or not the actor's to see."""
    try:
        lookup: dict[str, object] = {"pk": UUID(str(id))}
    except ValueError:
        lookup = {"reference": str(id).upper()}
    changes = changes_visible(actor).select_related(*CHANGE_RELATED, "requester")
    return get_visible(actor, changes.annotate(caused_count=Coalesce(_caused_count(actor), Value(0))), **lookup)


def change_approvals(*, actor: Actor, change: Ticket) -> list[Approval]:
    return list(
        visible_to(actor, Approval.objects).filter(ticket=change).select_related("approver").order_by("step", "id")
    )


def approval_get(*, actor: Actor, id: UUID | str) -> Approval:
    approvals = Approval.objects.filter(ticket__kind=TicketKind.CHANGE)  # a request's approvals are decided elsewhere
    return get_visible(actor, approvals.select_related("ticket__change_detail", "approver"), pk=id)


def approvals_awaiting(*, actor: Actor) -> QuerySet[Approval]:
    """The approvals asked of the actor that are still open (their CAB inbox)."""
    if actor.person_id is None:
        return Approval.objects.none()
    return (
        visible_to(actor, Approval.objects)
        .filter(approver_id=actor.person_id, status=Approval.Status.REQUESTED, ticket__kind=TicketKind.CHANGE)
        .select_related("ticket__change_detail", "ticket__service")
        .order_by("ticket__change_detail__planned_start", "created_at")
    )


def caused_incidents(*, actor: Actor, change: Ticket) -> list[Ticket]:
    return list(tickets_visible(actor).filter(caused_by=change).select_related("service", "team").order_by("opened_at"))


def template_list(*, actor: Actor, active_only: bool = True) -> QuerySet[ChangeTemplate]:
    qs = visible_to(actor, ChangeTemplate.objects).select_related("service", "team")
    return qs.filter(is_active=True) if active_only else qs


def template_get(*, actor: Actor, code: str) -> ChangeTemplate:
    return get_visible(actor, ChangeTemplate.objects.select_related("service", "team"), code=code)


def freeze_window_list(
    *, actor: Actor, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[FreezeWindow]:
    qs = visible_to(actor, FreezeWindow.objects).prefetch_related(
        Prefetch("services", queryset=Service.objects.only("id", "name", "code"))
    )
    if start is not None:
        qs = qs.filter(ends_at__gt=start)
    if end is not None:
        qs = qs.filter(starts_at__lt=end)
    return qs.order_by("starts_at", "name")


# --- Conflicts and the calendar ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictView:
    """A conflict as a page shows it; `other` is None when the other change is not the actor's to see."""

    kind: ConflictKind
    start: datetime
    end: datetime
    other: Ticket | None = None
    freeze: FreezeWindow | None = None
    shared: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def blocking(self) -> bool:
        return self.kind is not ConflictKind.OVERLAP


@dataclass(frozen=True)
class CalendarEntry:
    change: Ticket
    conflicts: list[ConflictView]

    @property
    def blocking(self) -> bool:
        return any(c.blocking for c in self.conflicts)


@dataclass(frozen=True)
class ChangeCalendar:
    start: datetime
    end: datetime
    entries: list[CalendarEntry]
    freezes: list[FreezeWindow]


def planned(change: Ticket, ci_ids: frozenset[str] | None = None) -> PlannedChange | None:
    detail = change_detail_of(change)
    if detail.planned_start is None or detail.planned_end is None:
        return None
    cis = ci_ids if ci_ids is not None else frozenset(str(ci.pk) for ci in change.cis.all())
    services = frozenset({str(change.service_id)}) if change.service_id else frozenset()
    return PlannedChange(str(change.pk), detail.planned_start, detail.planned_end, services, cis)


def as_freeze(window: FreezeWindow) -> Freeze:
    return Freeze(str(window.pk), window.starts_at, window.ends_at, frozenset(str(s.pk) for s in window.services.all()))


def _others_in(lo: datetime, hi: datetime, exclude: set[str]) -> list[PlannedChange]:
    """Every active change with a window in [lo, hi), whoever may see it: three queries, however many there are."""
    window = {
        "kind": TicketKind.CHANGE,
        "state__in": ACTIVE_STATES,
        "change_detail__planned_start__lt": hi,
        "change_detail__planned_end__gt": lo,
    }
    rows = Ticket.objects.filter(**window).values_list(
        "pk", "service_id", "change_detail__planned_start", "change_detail__planned_end"
    )
    links = Ticket.cis.through.objects.filter(**{f"ticket__{k}": v for k, v in window.items()})
    cis_of: dict[str, set[str]] = defaultdict(set)
    for ticket_id, ci_id in links.values_list("ticket_id", "configurationitem_id"):
        cis_of[str(ticket_id)].add(str(ci_id))
    return [
        PlannedChange(
            str(pk), start, end, frozenset({str(service)}) if service else frozenset(), frozenset(cis_of[str(pk)])
        )
        for pk, service, start, end in rows
        if str(pk) not in exclude and start is not None and end is not None
    ]


def conflicts_of(actor: Actor, changes: list[Ticket]) -> dict[str, list[ConflictView]]:
    """The conflicts of each of `changes` (loaded with their CIs) with every other change and every freeze."""
    mine = {str(c.pk): p for c in changes if c.state in ACTIVE_STATES and (p := planned(c)) is not None}
    if not mine:
        return {str(c.pk): [] for c in changes}
    lo, hi = min(p.start for p in mine.values()), max(p.end for p in mine.values())
    others = _others_in(lo, hi, set(mine))
    other_ids = [o.id for o in others]
    shown = {str(c.pk): c for c in changes}
    shown |= {str(t.pk): t for t in changes_visible(actor).filter(pk__in=other_ids).only("id", "reference", "title")}
    freezes = list(freeze_window_list(actor=actor, start=lo, end=hi))
    freeze_by_id = {str(f.pk): f for f in freezes}
    found = find_conflicts([*mine.values(), *others], [as_freeze(f) for f in freezes])
    by_change = {str(c.pk): c for c in changes}
    return {
        change_id: [_view(by_change[change_id], c, shown, freeze_by_id) for c in found.get(change_id, [])]
        for change_id in by_change
    }


def _view(
    change: Ticket, conflict: Conflict, shown: dict[str, Ticket], freezes: dict[str, FreezeWindow]
) -> ConflictView:
    if conflict.kind is ConflictKind.SAME_CI:
        names = {str(ci.pk): ci.name for ci in change.cis.all()}
        shared = tuple(sorted(names.get(i, "?") for i in conflict.shared))
    elif conflict.shared and change.service is not None:
        shared = (change.service.name,)
    else:
        shared = ()
    return ConflictView(
        kind=conflict.kind,
        start=conflict.start,
        end=conflict.end,
        other=shown.get(conflict.other_id),
        freeze=freezes.get(conflict.other_id),
        shared=shared,
    )


def _with_cis(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.prefetch_related(Prefetch("cis", queryset=ConfigurationItem.objects.only("id", "name")))


def change_conflicts(*, actor: Actor, change: Ticket) -> list[ConflictView]:
    loaded = _with_cis(Ticket.objects.filter(pk=change.pk).select_related(*CHANGE_RELATED)).get()
    return conflicts_of(actor, [loaded])[str(change.pk)]


def change_calendar(*, actor: Actor, start: datetime, end: datetime) -> ChangeCalendar:
    """The changes whose windows fall in [start, end), each with its conflicts, and the freezes in the period."""
    if end <= start:
        raise ValidationFailed.one("end", "the period must end after it starts")
    if end - start > MAX_CALENDAR_SPAN:
        raise ValidationFailed.one("end", f"show at most {MAX_CALENDAR_SPAN.days} days at once")
    changes = list(
        _with_cis(
            changes_visible(actor)
            .filter(change_detail__planned_start__lt=end, change_detail__planned_end__gt=start)
            .exclude(state=State.CANCELLED)
            .select_related(*CHANGE_RELATED)
        ).order_by("change_detail__planned_start", "reference")
    )
    conflicts = conflicts_of(actor, changes)
    entries = [CalendarEntry(c, conflicts[str(c.pk)]) for c in changes]
    return ChangeCalendar(start, end, entries, list(freeze_window_list(actor=actor, start=start, end=end)))
