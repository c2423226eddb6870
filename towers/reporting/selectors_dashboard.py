"""The review dashboard: a month's figures per supplier, shaped by the reader's role, each linking to its records.

The authority sees every supplier that holds or held tickets; an integrator the suppliers of the towers it
integrates plus the estate's crossing figures; a supplier only its own row. Every figure is read through
visible_to and counted in a fixed number of GROUP BYs over all the rows at once, so the query count does not
grow with the suppliers or the tickets. Breaches and ping-pong count the tickets a supplier held or is party to,
and attainment the clocks of its own service levels on them, exactly as its service review pack does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Q

from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import visible_to
from towers.organisations.models import Organisation, OrganisationKind
from towers.reporting.access import REFUSED, may_read_estate, pack_suppliers
from towers.reporting.pack import Figure
from towers.reporting.pack_common import PackScope, add_months, clocks_link, link, month_queue_link, percent, tickets
from towers.reporting.pack_service import month_clocks
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import HandOff, TicketParty
from towers.servicedesk.models.tickets import OPEN_STATES, WORK_KINDS
from towers.sla.models import CreditRun, DeliveryAssessment

AUTHORITY, INTEGRATOR, SUPPLIER = "authority", "integrator", "supplier"
PRIORITIES = ("P1", "P2", "P3", "P4")
COMMERCIAL_MONTHS = 12  # how far back "the latest" credit run or delivery score is looked for


@dataclass(frozen=True)
class QueueFigure:
    """A count of tickets held by a supplier's teams; `teams` splits it, each part linking to that team's queue."""

    total: int
    teams: tuple[Figure, ...] = ()

    @property
    def link(self) -> str:
        """One team holds them all: the count itself opens its queue."""
        return self.teams[0].link if len(self.teams) == 1 else ""


@dataclass(frozen=True)
class SupplierRow:
    code: str
    name: str
    pack_link: str
    sla: Figure  # SLA clocks met / measured in the month, %
    ola: Figure  # OLA and UC clocks met / measured, %
    breaches: Figure
    backlog: QueueFigure  # open now
    by_priority: dict[str, QueueFigure]
    awaiting: QueueFigure  # hand-offs waiting for its teams to accept
    ping_pong: Figure
    credit: Figure | None  # None: no credit run the reader may see
    score: Figure | None


@dataclass(frozen=True)
class Dashboard:
    role: str
    month: date
    rows: tuple[SupplierRow, ...]
    estate: tuple[Figure, ...] = ()  # authority and integrator: crossing across the estate
    commercial: bool = False  # any row carries a credit or a score the reader may see


def dashboard_role(actor: Actor) -> str:
    """Which dashboard the actor reads; requesters (officers) read none."""
    if is_requester_only(actor) or (actor.organisation_id is None and not actor.is_system):
        raise Forbidden(REFUSED)
    if actor.is_system or actor.scope.everything:
        return AUTHORITY
    return INTEGRATOR if may_read_estate(actor) else SUPPLIER


def _suppliers(actor: Actor, role: str) -> list[Organisation]:
    qs = pack_suppliers(actor)
    if role == SUPPLIER:
        assert actor.organisation_id is not None  # dashboard_role refused anyone without one
        return list(qs.filter(pk=actor.organisation_id))
    held = TicketParty.objects.filter(organisation=OuterRef("pk"))
    kinds = (OrganisationKind.SUPPLIER, OrganisationKind.THIRD_PARTY)
    return list(qs.filter(Exists(held), kind__in=kinds))


def _attainment(scope: PackScope, ids: list[UUID]) -> dict[tuple[UUID, str], tuple[int, int]]:
    """(measured, met) per (provider, sla|olauc): its own levels' clocks on the tickets it is party to."""
    party = TicketParty.objects.filter(ticket=OuterRef("ticket"), organisation=OuterRef("organisation"))
    rows = (
        month_clocks(scope)
        .filter(Exists(party), organisation__in=ids)
        .order_by()
        .values("organisation", "kind")
        .annotate(measured=Count("id"), met=Count("id", filter=Q(breached=False)))
    )
    counts: dict[tuple[UUID, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for row in rows:
        key = (row["organisation"], "sla" if row["kind"] == "sla" else "ola")
        measured, met = counts[key]
        counts[key] = (measured + row["measured"], met + row["met"])
    return counts


def _attained(label: str, own: PackScope, counts: tuple[int, int], kind: str) -> Figure:
    """Its own levels' clocks met, linking to exactly those clocks (the same definition, listed)."""
    measured, met = counts
    clocks = clocks_link(own, provider=own.supplier.code if own.supplier else None, kind=kind)
    return Figure(label, percent(met, measured), "%", clocks)


def _per_party(qs: Any, path: str, ids: list[UUID]) -> dict[UUID, int]:
    """Rows counted once for each supplier party to their ticket (`path` leads to TicketParty's organisation)."""
    rows = qs.filter(**{f"{path}__in": ids}).order_by().values_list(path).annotate(n=Count("id"))
    return dict(rows.values_list(path, "n"))


Held = tuple[UUID | None, str, int]  # (team id, team name, count)


def _held(rows: Any, org: str, team: str) -> dict[UUID, dict[str, list[Held]]]:
    """Grouped counts per organisation, then per priority ("" when not grouped by it), as (team, name, count)."""
    held: dict[UUID, dict[str, list[Held]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        held[row[org]][row.get("priority", "")].append((row[team], row[f"{team}__name"] or "No team", row["n"]))
    return held


def _queue_figure(parts: Iterable[Held], **filters: str) -> QueueFigure:
    """Counts summed per team, each team's part linking to its queue with `filters`."""
    counts: dict[tuple[UUID | None, str], int] = defaultdict(int)
    for team, name, n in parts:
        counts[(team, name)] += n
    figures = tuple(
        Figure(name, n, link=link("ticket_queue", team=team, **filters) if team else "")
        for (team, name), n in sorted(counts.items(), key=lambda item: item[0][1])
    )
    return QueueFigure(sum(counts.values()), figures)


def _backlog(scope: PackScope, ids: list[UUID]) -> dict[UUID, dict[str, list[Held]]]:
    """Open tickets held now, by holder, team and priority (one GROUP BY)."""
    rows = (
        tickets(scope)
        .filter(state__in=OPEN_STATES, organisation__in=ids)
        .order_by()
        .values("organisation", "team", "team__name", "priority")
        .annotate(n=Count("id"))
    )
    return _held(rows, "organisation", "team")


def _awaiting(scope: PackScope, ids: list[UUID]) -> dict[UUID, dict[str, list[Held]]]:
    """Hand-offs waiting for acceptance, by receiving organisation and team (one GROUP BY)."""
    rows = (
        visible_to(scope.actor, HandOff.objects)
        .filter(status=HandOff.Status.PENDING, to_organisation__in=ids)
        .order_by()
        .values("to_organisation", "to_team", "to_team__name")
        .annotate(n=Count("id"))
    )
    return _held(rows, "to_organisation", "to_team")


def _latest(qs: Any, scope: PackScope, ids: list[UUID], field: str) -> dict[UUID, tuple[date, UUID, Decimal]]:
    """Each supplier's latest current record up to the month: (period, a contract, value); credits add up across
    its contracts, and of several delivery scores the lowest is the one that decides change work."""
    since = add_months(scope.month, 1 - COMMERCIAL_MONTHS)
    rows = (
        visible_to(scope.actor, qs)
        .filter(is_current=True, supplier__in=ids, period__gte=since, period__lte=scope.month)
        .order_by("supplier", "-period", "contract__reference")
        .values_list("supplier", "period", "contract", field)
    )
    latest: dict[UUID, tuple[date, UUID, Decimal]] = {}
    for supplier, period, contract, value in rows:
        seen = latest.get(supplier)
        if seen is None:
            latest[supplier] = (period, contract, value)
        elif seen[0] == period:
            combined = seen[2] + value if field == "total" else min(seen[2], value)
            latest[supplier] = (period, seen[1], combined)
    return latest


def _commercial(found: tuple[date, UUID, Decimal] | None, label: str, unit: str) -> Figure | None:
    if found is None:
        return None
    period, contract, value = found
    return Figure(
        f"{label} ({period:%b %Y})", value, unit, link("contract_credits", contract, period=f"{period:%Y-%m}")
    )


def _estate(scope: PackScope) -> tuple[Figure, ...]:
    """Crossing across every ticket the reader sees that opened in the month (the pack's hand-off figures)."""
    opened = tickets(scope).filter(opened_at__gte=scope.start, opened_at__lt=scope.end, kind__in=WORK_KINDS)
    counts = opened.aggregate(
        n=Count("id"), crossed=Count("id", filter=Q(crossed_suppliers=True)), ping=Count("id", filter=Q(ping_pong=True))
    )
    return (
        Figure("Tickets opened", counts["n"], link=month_queue_link(scope, state="all")),
        Figure("Crossed suppliers", counts["crossed"], link=month_queue_link(scope, state="all", crossed="on")),
        Figure("Crossed share", percent(counts["crossed"], counts["n"]), "%"),
        Figure("Ping-pong", counts["ping"], link=month_queue_link(scope, state="all", ping_pong="on")),
    )


def dashboard_build(*, actor: Actor, month: date) -> Dashboard:
    """The month's dashboard for the actor's role (Forbidden for requesters); ten or so queries whatever the size."""
    role = dashboard_role(actor)
    scope = PackScope(actor=actor, month=date(month.year, month.month, 1), supplier=None)
    suppliers = _suppliers(actor, role)
    ids = [s.pk for s in suppliers]
    attained = _attainment(scope, ids)
    breaches = _per_party(month_clocks(scope).filter(breached=True), "ticket__parties__organisation", ids)
    opened = tickets(scope).filter(opened_at__gte=scope.start, opened_at__lt=scope.end, kind__in=WORK_KINDS)
    ping_pong = _per_party(opened.filter(ping_pong=True), "parties__organisation", ids)
    backlog, awaiting = _backlog(scope, ids), _awaiting(scope, ids)
    credits = _latest(CreditRun.objects, scope, ids, "total")
    scores = _latest(DeliveryAssessment.objects, scope, ids, "score")
    month_text = f"{scope.month:%Y-%m}"
    rows = []
    for supplier in suppliers:
        pack = link("review_supplier", month_text, supplier.code)
        held = backlog[supplier.pk]
        own = replace(scope, supplier=supplier, members=(supplier.pk,))
        rows.append(
            SupplierRow(
                code=supplier.code,
                name=supplier.name,
                pack_link=pack,
                sla=_attained("SLA met", own, attained[(supplier.pk, "sla")], "sla"),
                ola=_attained("OLA/UC met", own, attained[(supplier.pk, "ola")], "ola"),
                breaches=Figure("Breaches", breaches.get(supplier.pk, 0), link=clocks_link(own, breached="on")),
                backlog=_queue_figure(part for parts in held.values() for part in parts),
                by_priority={p: _queue_figure(held.get(p, []), priority=p) for p in PRIORITIES},
                awaiting=_queue_figure(awaiting[supplier.pk][""], awaiting_acceptance="on"),
                ping_pong=Figure(
                    "Ping-pong", ping_pong.get(supplier.pk, 0), link=month_queue_link(own, state="all", ping_pong="on")
                ),
                credit=_commercial(credits.get(supplier.pk), "Credits", "£"),
                score=_commercial(scores.get(supplier.pk), "Delivery score", ""),
            )
        )
    return Dashboard(
        role=role,
        month=scope.month,
        rows=tuple(rows),
        estate=_estate(scope) if role != SUPPLIER else (),
        commercial=any(row.credit or row.score for row in rows),
    )
