"""Reads of the service desk, each restricted to the actor (a requester sees only the tickets they raised)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import get_visible, visible_to
from towers.organisations.models import Team
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import Category, HandOff, SavedView, Ticket, TicketClock, TicketEvent, TicketParty
from towers.servicedesk.models.tickets import OPEN_STATES

QUEUE_RELATED = ("team__organisation", "organisation", "service", "category", "assignee", "requester")
ORDERINGS = {
    "priority": ("priority", "opened_at", "id"),
    "oldest": ("opened_at", "id"),
    "newest": ("-opened_at", "-id"),
    "due": ("clock_due_at", "priority", "id"),
    "updated": ("-updated_at", "-id"),
}
# Date filters take whole days in London time, like the review pack's months and the SLA engine's periods.
LONDON = ZoneInfo("Europe/London")
DATE_FILTERS = ("opened_from", "opened_to", "resolved_from", "resolved_to", "open_on")
TOWER_PREFIX = "tower:"  # a party filter naming a tower: any of its suppliers


def day_start(day: date) -> datetime:
    """The first instant of a London day (midnight, whatever the clocks did that night)."""
    return datetime.combine(day, time(), tzinfo=LONDON)


def tickets_visible(actor: Actor) -> QuerySet[Ticket]:
    qs = visible_to(actor, Ticket.objects)
    if is_requester_only(actor):
        qs = qs.filter(requester_id=actor.person_id)
    return qs


def ticket_get(*, actor: Actor, reference: str) -> Ticket:
    """One ticket by reference (or id), with what its page shows; NotFound whether missing or not visible."""
    lookup: dict[str, Any] = {"reference": reference.upper()}
    with suppress(ValueError):
        lookup = {"pk": UUID(reference)}
    return get_visible(actor, tickets_visible(actor).select_related(*QUEUE_RELATED, "parent", "problem"), **lookup)


@dataclass(frozen=True)
class QueueFilters:
    """What a queue page or saved view filters on; empty means any."""

    team: UUID | None = None
    organisation: UUID | None = None
    kind: str = ""  # one kind, or several separated by commas
    states: tuple[str, ...] = ()
    open_only: bool = True
    priorities: tuple[str, ...] = ()
    assignee: UUID | None = None
    unassigned: bool = False
    breached: bool | None = None
    warning_at: int | None = None
    crossed: bool | None = None
    ping_pong: bool | None = None
    awaiting_acceptance: bool = False
    caused_by_change: bool = False
    service: UUID | None = None
    text: str = ""
    opened_after: datetime | None = None
    opened_before: datetime | None = None
    # Inclusive London days: `*_to` means before the start of the following day.
    opened_from: date | None = None
    opened_to: date | None = None
    resolved_from: date | None = None
    resolved_to: date | None = None
    # Open at the end of that London day (opened before it, and still open or resolved after it).
    open_on: date | None = None
    # An organisation's code, or "tower:CODE": tickets it holds or held (any of the tower's suppliers).
    party: str = ""
    order: str = "priority"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueueFilters:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and v not in (None, "", [])}
        for name in ("states", "priorities"):
            if isinstance(known.get(name), str):
                known[name] = tuple(s for s in known[name].split(",") if s)
            elif name in known:
                known[name] = tuple(known[name])
        for name in DATE_FILTERS:
            # Saved views keep dates as ISO text (JSON); a bad one is dropped rather than failing the view.
            if isinstance(known.get(name), str):
                try:
                    known[name] = date.fromisoformat(known[name])
                except ValueError:
                    del known[name]
        return cls(**known)

    def lookups(self) -> Q:
        q = Q()
        for name, lookup in (
            ("team", "team_id"),
            ("organisation", "organisation_id"),
            ("assignee", "assignee_id"),
            ("service", "service_id"),
            ("breached", "breached"),
            ("crossed", "crossed_suppliers"),
            ("ping_pong", "ping_pong"),
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                q &= Q(**{lookup: value})
        if self.kind:
            q &= Q(kind__in=[kind.strip() for kind in self.kind.split(",") if kind.strip()])
        if self.states:
            q &= Q(state__in=self.states)
        elif self.open_only and self.open_on is None:
            q &= Q(state__in=OPEN_STATES)
        if self.open_on is not None:
            end = day_start(self.open_on + timedelta(days=1))
            q &= Q(opened_at__lt=end) & (Q(state__in=OPEN_STATES) | Q(resolved_at__gte=end))
        if self.party:
            q &= Q(Exists(_parties(self.party)))
        if self.priorities:
            q &= Q(priority__in=self.priorities)
        if self.unassigned:
            q &= Q(assignee__isnull=True)
        if self.warning_at is not None:
            q &= Q(clock_percent__gte=self.warning_at)
        if self.awaiting_acceptance:
            q &= Q(handoffs__status=HandOff.Status.PENDING)
        if self.caused_by_change:
            q &= Q(caused_by__isnull=False)
        if self.text:
            q &= Q(title__icontains=self.text) | Q(reference__iexact=self.text.strip())
        if self.opened_after:
            q &= Q(opened_at__gte=self.opened_after)
        if self.opened_before:
            q &= Q(opened_at__lt=self.opened_before)
        for field in ("opened", "resolved"):
            first, last = getattr(self, f"{field}_from"), getattr(self, f"{field}_to")
            if first is not None:
                q &= Q(**{f"{field}_at__gte": day_start(first)})
            if last is not None:
                q &= Q(**{f"{field}_at__lt": day_start(last + timedelta(days=1))})
        return q


def _parties(party: str) -> QuerySet[TicketParty]:
    """The party records naming the organisation (or any organisation of the tower) on the outer ticket."""
    parties = TicketParty.objects.filter(ticket=OuterRef("pk"))
    if party.startswith(TOWER_PREFIX):
        return parties.filter(organisation__tower__code=party.removeprefix(TOWER_PREFIX))
    return parties.filter(organisation__code=party)


def ticket_queue(*, actor: Actor, filters: QueueFilters) -> QuerySet[Ticket]:
    """A queue page's tickets: visible, filtered, ordered, with everything a row shows in the same query."""
    return (
        tickets_visible(actor)
        .filter(filters.lookups())
        .select_related(*QUEUE_RELATED)
        .order_by(*ORDERINGS.get(filters.order, ORDERINGS["priority"]))
    )


def ticket_timeline(*, actor: Actor, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events; a requester sees only the public ones."""
    events = visible_to(actor, TicketEvent.objects).filter(ticket=ticket).select_related("team", "organisation")
    if is_requester_only(actor):
        events = events.filter(public=True)
    return list(events.order_by("at", "id"))


def ticket_clocks(*, actor: Actor, ticket: Ticket) -> list[TicketClock]:
    return list(
        visible_to(actor, TicketClock.objects)
        .filter(ticket=ticket)
        .select_related("organisation", "service_level", "handoff__to_team")
    )


def ticket_handoffs(*, actor: Actor, ticket: Ticket) -> list[HandOff]:
    return list(
        visible_to(actor, HandOff.objects)
        .filter(ticket=ticket)
        .select_related("from_team__organisation", "to_team__organisation")
        .prefetch_related(Prefetch("clocks", queryset=TicketClock.objects.order_by("metric")))
    )


def handoff_inbox(*, actor: Actor, teams: list[Team] | None = None) -> QuerySet[HandOff]:
    """Hand-offs waiting for the actor's organisation (or the given teams) to accept or reject."""
    qs = visible_to(actor, HandOff.objects).filter(status=HandOff.Status.PENDING)
    if teams is not None:
        qs = qs.filter(to_team__in=teams)
    elif actor.organisation_id and not actor.scope.everything:
        qs = qs.filter(to_organisation_id=actor.organisation_id)
    return qs.select_related("ticket", "from_team__organisation", "to_team__organisation").order_by("created_at")


def handoff_get(*, actor: Actor, handoff_id: UUID) -> HandOff:
    return get_visible(actor, HandOff.objects.select_related("ticket", "to_team", "from_team"), pk=handoff_id)


def crossed_tickets(*, actor: Actor, open_only: bool = False) -> QuerySet[Ticket]:
    """The integrator's view: every ticket that crossed from one organisation to another."""
    return ticket_queue(actor=actor, filters=QueueFilters(crossed=True, open_only=open_only, order="newest"))


def saved_views(*, actor: Actor) -> list[SavedView]:
    if actor.person_id is None:
        return []
    return list(SavedView.objects.filter(person_id=actor.person_id))


def my_teams(actor: Actor) -> list[Team]:
    if actor.person_id is None or actor.organisation_id is None:
        return []
    return list(
        Team.objects.filter(members__person_id=actor.person_id, organisation_id=actor.organisation_id)
        .select_related("organisation")
        .order_by("name")
    )


def category_by_code(*, actor: Actor, code: str | None) -> Category | None:
    """An active category named by its code in a request body; an unknown code names the field."""
    if not code:
        return None
    found = visible_to(actor, Category.objects).filter(code=code, is_active=True).first()
    if found is None:
        raise ValidationFailed.one("category", f"no active category {code!r}")
    return found
