"""The desk's month: volumes and trends, backlog ageing, first-time fix, MTTR, hand-offs and major incidents.

Every figure is one GROUP BY or aggregate over the reader's tickets; MTTR's medians read one column per resolved
incident (no per-ticket queries) and take the median in Python, which SQLite cannot.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from towers.reporting.pack import AgeBand, Figure, MajorIncident, Section, Series
from towers.reporting.pack_common import (
    DAY,
    LONDON,
    PackScope,
    add_months,
    as_month,
    handoffs_link,
    hours,
    last_day,
    link,
    mean_median,
    month_queue_link,
    party,
    percent,
    queue_link,
    span_seconds,
    tickets,
    tickets_via,
)
from towers.servicedesk.models import HandOff, TicketClock, TicketKind
from towers.servicedesk.models import MajorIncident as MajorRecord
from towers.servicedesk.models.tickets import OPEN_STATES, WORK_KINDS

AGE_BANDS = (  # (label, older than, at most) in days
    ("< 1 day", 0, 1),
    ("1–3 days", 1, 3),
    ("3–7 days", 3, 7),
    ("7–30 days", 7, 30),
    ("> 30 days", 30, None),
)


def _by_kind(scope: PackScope, field: str) -> dict[str, int]:
    qs = tickets(scope).filter(**{f"{field}__gte": scope.start, f"{field}__lt": scope.end})
    return dict(qs.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))


def _monthly(scope: PackScope, field: str) -> dict[tuple[date, str], int]:
    """Counts per (month, kind) over the trend's twelve months, months cut in London time."""
    rows = (
        tickets(scope)
        .filter(**{f"{field}__gte": scope.trend_start, f"{field}__lt": scope.end})
        .annotate(m=TruncMonth(field, tzinfo=LONDON))
        .order_by()
        .values_list("m", "kind")
        .annotate(n=Count("id"))
    )
    counts: dict[tuple[date, str], int] = {}
    for moment, kind, n in rows:
        key = (as_month(moment), kind)
        counts[key] = counts.get(key, 0) + n
    return counts


def _series(label: str, scope: PackScope, counts: dict[tuple[date, str], int], kinds: tuple[str, ...]) -> Series:
    points = tuple((m, sum(counts.get((m, k), 0) for k in kinds)) for m in scope.trend_months())
    return Series(label=label, points=points)


def volumes(scope: PackScope) -> tuple[Section, tuple[Series, ...]]:
    opened, resolved = _by_kind(scope, "opened_at"), _by_kind(scope, "resolved_at")
    opened_trend, resolved_trend = _monthly(scope, "opened_at"), _monthly(scope, "resolved_at")
    previous = add_months(scope.month, -1)
    figures = []
    for kind in TicketKind:
        if kind == TicketKind.CHANGE:
            continue  # changes have their own section
        figures.append(
            Figure(
                f"{kind.label}s opened",
                opened.get(kind, 0),
                link=month_queue_link(scope, kind=kind.value, state="all"),
                previous=opened_trend.get((previous, kind), 0),
            )
        )
        figures.append(
            Figure(
                f"{kind.label}s resolved",
                resolved.get(kind, 0),
                link=month_queue_link(scope, "resolved", kind=kind.value, state="all"),
                previous=resolved_trend.get((previous, kind), 0),
            )
        )
    trends = (
        _series("Incidents opened", scope, opened_trend, (TicketKind.INCIDENT,)),
        _series("Incidents resolved", scope, resolved_trend, (TicketKind.INCIDENT,)),
        _series("Requests opened", scope, opened_trend, (TicketKind.REQUEST,)),
        _series("Requests resolved", scope, resolved_trend, (TicketKind.REQUEST,)),
    )
    note = "Opened and resolved in the month (London time)."
    return Section("volumes", "Volumes", tuple(figures), note), trends


def backlog(scope: PackScope) -> tuple[AgeBand, ...]:
    """Incidents, requests and tasks open at the month's end, by age then.

    Open then: opened before the end and either still open now or resolved after the end (a cancelled or closed
    ticket with no resolution time is left out: when it left the backlog is not recorded).
    """
    end = scope.end
    open_then = Q(opened_at__lt=end, kind__in=WORK_KINDS) & (Q(state__in=OPEN_STATES) | Q(resolved_at__gte=end))
    counts = {}
    for index, (_label, older, newer) in enumerate(AGE_BANDS):
        # Whole London days back from the end (wall-clock arithmetic), so the queue's day filters find the band.
        band = Q(opened_at__lt=end - older * DAY)
        if newer is not None:
            band &= Q(opened_at__gte=end - newer * DAY)
        counts[f"band{index}"] = Count("id", filter=band)
    totals = tickets(scope).filter(open_then).aggregate(**counts)
    return tuple(
        AgeBand(label, totals[f"band{i}"] or 0, link=_band_link(scope, older, newer))
        for i, (label, older, newer) in enumerate(AGE_BANDS)
    )


def _band_link(scope: PackScope, older: int, newer: int | None) -> str:
    """The queue of the band's tickets: open at the month's last day, opened between its bounds (London days)."""
    month_end = last_day(scope.month)
    return queue_link(
        state="all",
        kind=",".join(WORK_KINDS),
        open_on=month_end.isoformat(),
        opened_from=(month_end - (newer - 1) * DAY).isoformat() if newer is not None else None,
        opened_to=(month_end - older * DAY).isoformat(),
        party=party(scope),
    )


def resolution(scope: PackScope) -> Section:
    """First-time fix and MTTR of the incidents resolved in the month."""
    resolved = tickets(scope).filter(kind=TicketKind.INCIDENT, resolved_at__gte=scope.start, resolved_at__lt=scope.end)
    counts = resolved.aggregate(
        n=Count("id"),
        first_time=Count("id", filter=Q(hop_count=0, reopen_count=0)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
    )
    wall = mean_median(
        s for s in (span_seconds(o, r) for o, r in resolved.values_list("opened_at", "resolved_at")) if s is not None
    )
    business = mean_median(
        tickets_via(scope, TicketClock.objects, "ticket")
        .filter(ticket__in=resolved.values("pk"), handoff__isnull=True, metric="resolution", kind="sla")
        .values_list("elapsed_seconds", flat=True)
    )
    resolved_link = month_queue_link(scope, "resolved", kind="incident", state="all")
    figures = (
        Figure("Incidents resolved", counts["n"], link=resolved_link),
        Figure("First-time fix", percent(counts["first_time"], counts["n"]), "%", link=resolved_link),
        Figure("Reopened", counts["reopened"]),
        Figure("MTTR (business hours, mean)", hours(business[0]), "h"),
        Figure("MTTR (business hours, median)", hours(business[1]), "h"),
        Figure("MTTR (wall-clock hours, mean)", hours(wall[0]), "h"),
        Figure("MTTR (wall-clock hours, median)", hours(wall[1]), "h"),
    )
    note = (
        "First-time fix: resolved without a hand-off to another organisation and never reopened. Business hours are "
        "the resolution SLA clock's elapsed time (its calendar, pauses excluded); wall-clock is opened to resolved."
    )
    return Section("resolution", "Resolution", figures, note)


def mttr_trend(scope: PackScope) -> Series:
    """Mean business hours on the resolution SLA clock of incidents, by the month the clock stopped."""
    rows = (
        tickets_via(scope, TicketClock.objects, "ticket")
        .filter(
            kind="sla",
            metric="resolution",
            handoff__isnull=True,
            ticket__kind=TicketKind.INCIDENT,
            stopped_at__gte=scope.trend_start,
            stopped_at__lt=scope.end,
        )
        .annotate(m=TruncMonth("stopped_at", tzinfo=LONDON))
        .order_by()
        .values_list("m")
        .annotate(mean=Avg("elapsed_seconds"))
        .values_list("m", "mean")
    )
    means = {as_month(m): mean for m, mean in rows}
    points = tuple((m, hours(means.get(m)) or Decimal(0)) for m in scope.trend_months())
    return Series(label="MTTR (business hours)", points=points, unit="h")


def month_handoffs(scope: PackScope) -> QuerySet[HandOff]:
    """The hand-offs sent in the month on the pack's tickets; a supplier's or tower's: those it sent or received."""
    sent = tickets_via(scope, HandOff.objects, "ticket").filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.members is not None:
        sent = sent.filter(Q(to_organisation__in=scope.members) | Q(from_organisation__in=scope.members))
    return sent


def handoffs(scope: PackScope) -> Section:
    sent = month_handoffs(scope)
    counts = sent.aggregate(
        n=Count("id"),
        received=Count("id", filter=Q(to_organisation__in=scope.members)) if scope.members else Count("id"),
        rejected=Count("id", filter=Q(status=HandOff.Status.REJECTED)),
    )
    opened = tickets(scope).filter(opened_at__gte=scope.start, opened_at__lt=scope.end, kind__in=WORK_KINDS)
    crossing = opened.aggregate(
        n=Count("id"),
        crossed=Count("id", filter=Q(crossed_suppliers=True)),
        ping_pong=Count("id", filter=Q(ping_pong=True)),
        hops=Count("id", filter=Q(hop_count__gte=3)),
    )
    figures = (
        Figure("Hand-offs", counts["n"], link=handoffs_link(scope)),
        Figure("Hand-offs received", counts["received"], link=handoffs_link(scope, received="on")),
        Figure("Hand-offs rejected", counts["rejected"], link=handoffs_link(scope, status=HandOff.Status.REJECTED)),
        Figure("Rejection rate", percent(counts["rejected"], counts["n"]), "%"),
        Figure(
            "Tickets that crossed suppliers",
            crossing["crossed"],
            link=month_queue_link(scope, state="all", crossed="on"),
        ),
        Figure("Ping-pong tickets", crossing["ping_pong"], link=month_queue_link(scope, state="all", ping_pong="on")),
        Figure("Ping-pong share", percent(crossing["ping_pong"], crossing["n"]), "%"),
        Figure("Tickets with 3+ hops", crossing["hops"]),
    )
    note = (
        "Hand-offs sent in the month (to or from the supplier, for a supplier's pack). Crossing and ping-pong are of "
        "tickets opened in the month: ping-pong is three or more moves between the same two organisations."
    )
    return Section("handoffs", "Hand-offs across suppliers", figures, note)


def majors(scope: PackScope) -> tuple[MajorIncident, ...]:
    """Major incidents declared in the month, or still running into it."""
    rows = (
        tickets_via(scope, MajorRecord.objects, "ticket")
        .filter(declared_at__lt=scope.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=scope.start))
        .select_related("ticket")
        .order_by("declared_at")
    )
    return tuple(
        MajorIncident(
            reference=m.ticket.reference,
            title=m.ticket.title,
            opened=m.declared_at.astimezone(LONDON).date(),
            resolved=m.resolved_at.astimezone(LONDON).date() if m.resolved_at else None,
            duration_hours=hours(span_seconds(m.declared_at, m.resolved_at)),
            link=link("major_detail", m.pk),
        )
        for m in rows
    )


def majors_section(scope: PackScope, listed: tuple[MajorIncident, ...]) -> Section:
    declared = sum(1 for m in listed if as_month(m.opened) == scope.month)
    durations = [m.duration_hours for m in listed if m.duration_hours is not None]
    mean = (sum(durations, Decimal(0)) / len(durations)).quantize(Decimal("0.1")) if durations else None
    figures = (
        Figure("Major incidents declared", declared, link=link("major_board")),
        Figure("Open at month end", sum(1 for m in listed if m.resolved is None or m.resolved > last_day(scope.month))),
        Figure("Mean major incident duration", mean, "h"),
    )
    return Section("major", "Major incidents", figures)
