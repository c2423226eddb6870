"""Tickets open now, raised and worked through the real services, so the demo's queues hold live, real work.

Officers raise them on the portal and the desk on the phone; ticket_create routes each by the rules and hands
it off to the owning supplier's team. Then the holding team accepts some, rejects a few, starts work on
others or waits on the requester; the rest wait in inboxes. They were opened over the last hours and days
(`opened_at`), so their clocks show every colour from comfortable to breached. Each write has its own audit
entry and outbox events, as in real use.
"""

from __future__ import annotations

import random
from datetime import timedelta
from uuid import UUID

from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core.actor import Actor, Channel
from towers.demo.desk_stories import SITUATIONS, TITLES, Cast, _title
from towers.demo.ticketlife import Crew
from towers.organisations.models import Organisation, Person
from towers.organisations.selectors import actor_for
from towers.servicedesk.models import Category, HandOff, PendingReason, State, Ticket
from towers.servicedesk.services.handoffs import handoff_accept, handoff_reject
from towers.servicedesk.services.tickets import ticket_create, ticket_transition

# Impact and urgency of the live queue: more P2s and P3s than the history, so the clocks have something to show.
NOW_MIX = ((3, 3), (2, 3), (3, 2), (2, 2), (3, 1), (2, 1), (1, 2))
NOW_WEIGHTS = (22, 18, 14, 26, 8, 8, 4)
CRIME = next(s for s in SITUATIONS if s.key == "crime-app")
MAX_AGE_HOURS = {"P1": 4, "P2": 11, "P3": 40, "P4": 80}


class _Actors:
    """Actors for demo people, each acting for the organisation of the team they work in."""

    def __init__(self) -> None:
        self.people: dict[UUID, Person] = {}
        self.organisations: dict[UUID, Organisation] = {o.id: o for o in Organisation.objects.all()}
        self.cache: dict[tuple[UUID, UUID | None], Actor] = {}

    def person(self, person_id: UUID) -> Person:
        if person_id not in self.people:
            self.people[person_id] = Person.objects.get(pk=person_id)
        return self.people[person_id]

    def of(self, person_id: UUID | None, organisation_id: UUID | None = None) -> Actor:
        if person_id is None:
            return Actor.system("demo")
        key = (person_id, organisation_id)
        if key not in self.cache:
            person = self.person(person_id)
            organisation = self.organisations.get(organisation_id) if organisation_id else None
            self.cache[key] = actor_for(person, organisation=organisation, channel=Channel.WEB)
        return self.cache[key]


def raise_open_tickets(cast: Cast, count: int, rng: random.Random) -> list[Ticket]:
    """`count` tickets opened over the last few days and worked now through the real services."""
    actors, now = _Actors(), timezone.now()
    services = {s.code: s for s in Service.objects.all()}
    categories = {c.code: c for c in Category.objects.all()}
    by_id = {crew.id: crew for crew in cast.teams.values()}
    made = []
    for n in range(count):
        # The first is a P1 on the crime system, handed to Apex an hour or three ago.
        situation = CRIME if n == 0 else rng.choices(SITUATIONS, weights=[s.weight for s in SITUATIONS])[0]
        impact, urgency = (1, 1) if n == 0 else rng.choices(NOW_MIX, weights=NOW_WEIGHTS)[0]
        priority = cast.matrix[(impact, urgency)]
        opened_at = now - timedelta(hours=rng.uniform(0.2, MAX_AGE_HOURS[priority]))
        names = situation.cis.split("|")
        name = rng.choice(names)
        ci = rng.choice(cast.cis.get(name, [""])) if name.startswith("class:") else name
        requester_id, requester_name = rng.choice(cast.requesters)
        agent_id, _agent = cast.desk.anyone(rng)
        on_phone = rng.random() < 0.4 or requester_id is None
        ticket = ticket_create(
            actor=actors.of(agent_id, cast.desk.organisation_id) if on_phone else actors.of(requester_id),
            title=_title(rng.choice(TITLES[situation.key].split("|")), ci),
            kind=situation.kind,
            description=f"Reported by {requester_name}.",
            impact=impact,
            urgency=urgency,
            category=categories.get(situation.category),
            service=services.get(situation.service),
            cis=list(ConfigurationItem.objects.filter(name=ci)[:1]) if ci else [],
            requester=actors.person(requester_id) if on_phone and requester_id else None,
            channel="phone" if on_phone else "portal",
            opened_at=opened_at,
        )
        _work(ticket, by_id, actors, rng)
        made.append(ticket)
    return made


def _work(ticket: Ticket, crews: dict[UUID, Crew], actors: _Actors, rng: random.Random) -> None:
    """What the holding team has done with it so far."""
    chance = rng.random()
    waiting = HandOff.objects.filter(ticket=ticket, status=HandOff.Status.PENDING).select_related("ticket").first()
    crew = crews.get(ticket.team_id) if ticket.team_id else None
    if crew is None or not crew.people:
        return
    worker = actors.of(crew.anyone(rng)[0], crew.organisation_id)
    if waiting is not None:
        if chance < 0.45:
            handoff_accept(actor=worker, handoff=waiting, note="Looking at it.")
        elif chance < 0.55:
            handoff_reject(actor=worker, handoff=waiting, reason="Not ours: diagnostics show the fault is elsewhere.")
        return
    if chance < 0.6:
        ticket_transition(actor=worker, ticket=ticket, state=State.IN_PROGRESS)
        if chance < 0.15:
            ticket_transition(
                actor=worker,
                ticket=ticket,
                state=State.PENDING,
                pending_reason=PendingReason.REQUESTER,
                note="Waiting for the officer to try again.",
            )
