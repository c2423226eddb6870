"""Which records an exit pack holds: those about the supplier, seen by both the requester and the supplier.

Every part is filtered through `visible_to` for each reader, so a pack never shows its requester more than
they may see (an integrator without a commercial grant gets no credits), nor shows the supplier, who may
download its own pack, anything it could not already read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from towers.contracts.models import Service
from towers.core.actor import Actor, Channel
from towers.core.permissions import visible_to
from towers.core.roles import Role
from towers.organisations.models import Organisation
from towers.organisations.selectors import scope_for
from towers.servicedesk.models import HandOff, Ticket, TicketParty

M = TypeVar("M", bound=Model)
BATCH = 500


@dataclass(frozen=True)
class PackScope:
    supplier: Organisation
    readers: tuple[Actor, ...]
    since: date | None = None
    until: date | None = None

    def within(self, queryset: QuerySet[M]) -> QuerySet[M]:
        for reader in self.readers:
            queryset = visible_to(reader, queryset)
        return queryset

    def dates(self, field: str) -> Q:
        condition = Q()
        if self.since:
            condition &= Q(**{f"{field}__gte": self.since})
        if self.until:
            condition &= Q(**{f"{field}__lte": self.until})
        return condition


def supplier_view(supplier: Organisation) -> Actor:
    """The supplier's own view, as one of its service managers would read the pack."""
    return Actor(
        label=f"exit-pack:{supplier.code}",
        channel=Channel.JOB,
        scope=scope_for(supplier),
        organisation_id=supplier.id,
        organisation_name=supplier.name,
        roles=frozenset({Role.SERVICE_MANAGER}),
    )


def services_of(supplier: Organisation) -> QuerySet[Service]:
    """The services it owns or delivers an offering of."""
    return Service.objects.filter(Q(owner=supplier) | Q(offerings__supplier=supplier)).distinct()


def tickets_of(scope: PackScope) -> QuerySet[Ticket]:
    """Tickets it held at any time (holder, hand-offs to or from it, party rows) or raised."""
    supplier = scope.supplier
    handed = HandOff.objects.filter(Q(to_organisation=supplier) | Q(from_organisation=supplier)).values("ticket")
    parties = TicketParty.objects.filter(organisation=supplier).values("ticket")
    held = Q(organisation=supplier) | Q(pk__in=handed) | Q(pk__in=parties)
    opened = Q()
    if scope.since:
        opened &= Q(opened_at__date__gte=scope.since)
    if scope.until:
        opened &= Q(opened_at__date__lte=scope.until)
    return scope.within(Ticket.objects.filter(held & opened))


def batches(queryset: QuerySet[M], *, key: str = "pk", size: int = BATCH) -> Iterator[Sequence[M]]:
    """Keyset pages of `queryset` in `key` order: each page runs its own prefetches, so memory stays flat."""
    last: Any = None
    while True:
        page = queryset.order_by(key)
        if last is not None:
            page = page.filter(**{f"{key}__gt": last})
        rows = list(page[:size])
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], key)
