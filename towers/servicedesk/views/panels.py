"""What the ticket pages show beside the ticket: clocks as rows, suggestions, attachments, people to assign.

Reads here go through the selectors or the one visibility mechanism; the search and problem modules
are used when they are installed (they are built alongside), and their panels are left out otherwise.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.organisations import selectors as directory
from towers.organisations.models import Person, Team, TeamMembership
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import Article, Attachment, PendingReason, State, Ticket, TicketClock, TicketEvent
from towers.servicedesk.selectors import ticket_clocks, tickets_visible

SUGGESTIONS = 5


def optional(module: str, name: str) -> Callable[..., Any] | None:
    """A function of a module that may not be installed yet; errors inside an installed one still surface."""
    if importlib.util.find_spec(module) is None:
        return None
    return getattr(importlib.import_module(module), name, None)


def clock_tone(percent: int, breached: bool) -> str:
    """The colour band of a clock: the desk warns at 50, 75 and 90% of the target, then it is breached."""
    if breached:
        return "breached"
    for threshold in (90, 75, 50):
        if percent >= threshold:
            return f"warn-{threshold}"
    return ""


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


@dataclass(frozen=True)
class ClockRow:
    clock: TicketClock
    elapsed: str
    target: str
    bar: int
    tone: str
    held: list[tuple[str, str]]


def clock_rows(actor: Actor, ticket: Ticket) -> tuple[list[ClockRow], list[ClockRow]]:
    """The ticket's SLA clocks and its OLA clocks (one set per hand-off), with the time each organisation held it."""
    clocks = ticket_clocks(actor=actor, ticket=ticket)
    held_by = {org_id for clock in clocks for org_id in clock.by_organisation}
    visible = directory.organisation_list(actor=actor).filter(pk__in=list(held_by)) if held_by else None
    names = {str(pk): name for pk, name in visible.values_list("pk", "name")} if visible is not None else {}
    rows = [
        ClockRow(
            clock=clock,
            elapsed=duration(clock.elapsed_seconds),
            target=duration(clock.target_seconds),
            bar=min(clock.percent, 100),
            tone=clock_tone(clock.percent, clock.breached),
            held=[
                (names.get(org_id, "another organisation"), duration(seconds))
                for org_id, seconds in sorted(clock.by_organisation.items(), key=lambda kv: -kv[1])
            ],
        )
        for clock in clocks
    ]
    return [r for r in rows if r.clock.handoff_id is None], [r for r in rows if r.clock.handoff_id is not None]


def timeline_rows(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """The events, each with the state it left the ticket in put in words ("Pending: awaiting requester")."""
    rows = list(events)
    for event in rows:
        state, _, reason = event.state.partition("_") if event.state.startswith("pending") else (event.state, "", "")
        label = State(state).label if state in State.values else state
        if reason in PendingReason.values:
            label = f"{label}: {PendingReason(reason).label.lower()}"
        event.state_label = label  # type: ignore[attr-defined]
    return rows


@dataclass(frozen=True)
class KnownErrorRow:
    reference: str
    title: str
    workaround: str
    why: str


def _known_error_rows(actor: Actor, ticket: Ticket, found: list[Any]) -> list[KnownErrorRow]:
    """Known errors from the problem module's matcher when installed, else those the search suggested."""
    matching = optional("towers.servicedesk.services.problems", "known_errors_matching")
    if matching is not None:
        return [
            KnownErrorRow(m.problem.reference, m.problem.title, m.workaround, ", ".join(m.reasons))
            for m in matching(actor=actor, ticket=ticket)
        ]
    return [
        KnownErrorRow(s.number, s.title, s.workaround, "same service" if s.same_service else "similar words")
        for s in found
        if s.kind == "known_error"
    ]


def suggestions(actor: Actor, ticket: Ticket) -> dict[str, list[Any]] | None:
    """Articles and known errors that may answer the ticket; None when neither module is installed yet."""
    suggest = optional("towers.servicedesk.search", "articles_suggested")
    if suggest is None and optional("towers.servicedesk.services.problems", "known_errors_matching") is None:
        return None
    found = list(suggest(actor=actor, ticket=ticket, limit=SUGGESTIONS)) if suggest else []
    return {
        "articles": [s for s in found if s.kind == "article"],
        "known_errors": _known_error_rows(actor, ticket, found),
    }


def attachments_of(actor: Actor, ticket: Ticket) -> list[Attachment]:
    attachments = visible_to(actor, Attachment.objects).filter(ticket=ticket)
    if is_requester_only(actor):
        attachments = attachments.filter(public=True)
    return list(attachments.order_by("created_at"))


def attachment_get(*, actor: Actor, pk: UUID, public_only: bool = False) -> Attachment:
    """An attachment on a ticket the actor may see; requesters (and the portal) reach only the public ones."""
    attachments = Attachment.objects.filter(ticket__in=tickets_visible(actor)).select_related("ticket")
    if public_only or is_requester_only(actor):
        attachments = attachments.filter(public=True)
    return get_visible(actor, attachments, pk=pk)


def team_people(actor: Actor, teams: Iterable[Team]) -> list[Person]:
    """The people in these teams whom the actor may see, each once, by name."""
    memberships = (
        visible_to(actor, TeamMembership.objects)
        .filter(team__in=list(teams))
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "person__username")
    )
    return list({m.person_id: m.person for m in memberships}.values())


def hand_off_teams(actor: Actor, ticket: Ticket) -> QuerySet[Team]:
    """Active teams of other organisations the actor may see: where a hand-off can send the ticket."""
    teams = directory.team_list(actor=actor).filter(is_active=True)
    return teams.exclude(organisation_id=ticket.organisation_id) if ticket.organisation_id else teams


def published_articles(actor: Actor, query: str = "") -> QuerySet[Article] | list[Article]:
    """Published articles for everyone, matching `query` if given, through the search module when installed."""
    search = optional("towers.servicedesk.search", "article_search")
    readable = optional("towers.servicedesk.search", "articles_readable")
    base = (readable(actor=actor) if readable else visible_to(actor, Article.objects)).filter(
        status=Article.Status.PUBLISHED, audience=Article.Audience.EVERYONE
    )
    if query.strip():
        if search is not None:
            found = search(actor=actor, query=query, limit=50)
            allowed = set(base.filter(pk__in=[a.pk for a in found]).values_list("pk", flat=True))
            return [article for article in found if article.pk in allowed]
        return base.filter(title__icontains=query.strip()).order_by("title")
    return base.order_by("title")


def article_for_reader(actor: Actor, pk: UUID) -> Article:
    """One article the actor may read: requesters the published ones for everyone (the search module's rule)."""
    get = optional("towers.servicedesk.search", "article_get")
    if get is not None:
        article: Article = get(actor=actor, id=pk)
        return article
    articles = visible_to(actor, Article.objects).filter(status=Article.Status.PUBLISHED)
    if is_requester_only(actor):
        articles = articles.filter(audience=Article.Audience.EVERYONE)
    return get_visible(actor, articles, pk=pk)
