"""What every part of the pack shares: the month's bounds, the reader's records narrowed to the supplier, links."""

from __future__ import annotations

import calendar as monthcal
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Exists, Manager, Model, OuterRef, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from towers.core.actor import Actor
from towers.core.permissions import visible_to
from towers.organisations.models import Organisation, Tower
from towers.servicedesk.models import Ticket, TicketParty

M = TypeVar("M", bound=Model)
LONDON = ZoneInfo("Europe/London")
TREND_MONTHS = 12


@dataclass(frozen=True)
class PackScope:
    """Who reads, which month (London time, like the SLA engine's periods) and whose pack: a supplier's, a tower's
    suppliers' together (`members` holds their ids either way), or the estate's (members None)."""

    actor: Actor
    month: date
    supplier: Organisation | None
    tower: Tower | None = None
    members: tuple[UUID, ...] | None = None

    def __post_init__(self) -> None:
        if self.members is None and self.supplier is not None:
            object.__setattr__(self, "members", (self.supplier.pk,))
        elif self.members is None and self.tower is not None:
            ids = tuple(Organisation.objects.filter(tower=self.tower).values_list("pk", flat=True))
            object.__setattr__(self, "members", ids)

    @property
    def start(self) -> datetime:
        return datetime(self.month.year, self.month.month, 1, tzinfo=LONDON)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (half-open bounds: start <= t < end)."""
        return month_start(add_months(self.month, 1))

    @property
    def trend_start(self) -> datetime:
        return month_start(add_months(self.month, 1 - TREND_MONTHS))

    def trend_months(self) -> list[date]:
        return [add_months(self.month, offset) for offset in range(1 - TREND_MONTHS, 1)]


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=LONDON)


def as_month(value: date | datetime) -> date:
    """A TruncMonth value (a datetime on PostgreSQL and SQLite alike, or a date) as the month's first day."""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON) if value.tzinfo else value
        return date(value.year, value.month, 1)
    return date(value.year, value.month, 1)


def last_day(month: date) -> date:
    return date(month.year, month.month, monthcal.monthrange(month.year, month.month)[1])


def tickets(scope: PackScope) -> QuerySet[Ticket]:
    """Tickets the reader may see; for a supplier's pack, those it held or is party to (TicketParty records every
    holder, so work it held and handed on still counts as its own)."""
    qs = visible_to(scope.actor, Ticket.objects)
    if scope.members is None:
        return qs
    held = TicketParty.objects.filter(ticket=OuterRef("pk"), organisation__in=scope.members)
    return qs.filter(Exists(held))


def tickets_via(scope: PackScope, queryset: QuerySet[M] | Manager[M], path: str) -> QuerySet[M]:
    """A child of tickets (clocks, hand-offs, majors) narrowed like `tickets`: visible, and the supplier's."""
    qs = visible_to(scope.actor, queryset)
    if scope.members is None:
        return qs
    held = TicketParty.objects.filter(ticket=OuterRef(path), organisation__in=scope.members)
    return qs.filter(Exists(held))


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def hours(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)


def mean_median(values: Iterable[float]) -> tuple[float | None, float | None]:
    data = list(values)
    if not data:
        return None, None
    return statistics.fmean(data), statistics.median(data)


def span_seconds(start: datetime | None, stop: datetime | None) -> float | None:
    if start is None or stop is None or stop < start:
        return None
    return (stop - start).total_seconds()


def link(name: str, *args: object, **query: object) -> str:
    """The URL of an existing list page with its GET filters ("" values kept: team= means every team)."""
    url = reverse(name, args=args)
    params = {key: str(value) for key, value in query.items() if value is not None}
    return f"{url}?{urlencode(params)}" if params else url


def queue_link(**filters: object) -> str:
    """The ticket queue across every team the reader sees (team= stops it defaulting to the reader's own team)."""
    return link("ticket_queue", team="", **filters)


def party(scope: PackScope) -> str | None:
    """The queue's "party to" filter for the pack's tickets: its supplier, or any of its tower's (None: estate)."""
    if scope.supplier is not None:
        return scope.supplier.code
    return f"tower:{scope.tower.code}" if scope.tower is not None else None


def month_queue_link(scope: PackScope, field: str = "opened", **filters: object) -> str:
    """The queue narrowed to the pack's tickets whose `field` ("opened" or "resolved") fell in its month (London)."""
    bounds = {f"{field}_from": scope.month.isoformat(), f"{field}_to": last_day(scope.month).isoformat()}
    return queue_link(**bounds, party=party(scope), **filters)


def records_link(name: str, scope: PackScope, **filters: object) -> str:
    """A page of the records behind the pack's figures (clocks, hand-offs, changes, cases), for its supplier/tower."""
    return pack_records_link(name, scope.month, scope.supplier, scope.tower, **filters)


def pack_records_link(
    name: str, month: date, supplier: Organisation | None, tower: Tower | None, **filters: object
) -> str:
    whose = {"supplier": supplier.code} if supplier else {"tower": tower.code} if tower else {}
    return link(name, f"{month:%Y-%m}", **whose, **filters)


def clocks_link(scope: PackScope, **filters: object) -> str:
    """The month's clocks behind an attainment or breach figure of the pack (`filters` as the clocks page's)."""
    return records_link("review_clocks", scope, **filters)


def handoffs_link(scope: PackScope, **filters: object) -> str:
    """The month's hand-offs behind the pack's hand-off figures (`filters` as the hand-offs page's)."""
    return records_link("review_handoffs", scope, **filters)


DAY = timedelta(days=1)
