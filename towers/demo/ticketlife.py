"""The life of a ticket across suppliers, simulated for the demo: who holds it, what happens to it, and when.

Pure Python (ids, datetimes and strings in, plain records out, no ORM), so the small history and the
million-ticket load share it. Each step does what the service desk's service of the same name does
(towers.servicedesk.services): who holds the ticket, which hand-offs are pending, accepted, rejected or
superseded, when an organisation's hold is released, the hop count and ping-pong flag, and the state every
timeline event keeps for the clock engine. towers.demo.tests checks the result against the engine.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from towers.contracts.businesstime import england_and_wales_holidays

LONDON = ZoneInfo("Europe/London")
ZERO = timedelta(0)
SYSTEM = (None, "system:servicedesk")  # the job that closes resolved tickets
CLOSE_AFTER = timedelta(days=5)  # DeskSettings.close_after's default
Who = tuple[uuid.UUID | None, str]  # (person id, label) of whoever acts


@dataclass(frozen=True)
class Crew:
    """A team as the simulation needs it: its organisation, its people and whether it keeps office hours."""

    id: uuid.UUID
    code: str
    name: str
    organisation_id: uuid.UUID
    people: tuple[tuple[uuid.UUID, str], ...]
    office_hours: bool

    def anyone(self, rng: random.Random) -> Who:
        return rng.choice(self.people) if self.people else (None, f"{self.code} engineer")


@dataclass
class Step:
    """One timeline event and the ticket as it left it (TicketEvent's columns)."""

    at: datetime
    kind: str
    actor: str
    person_id: uuid.UUID | None
    state: str
    priority: str
    team_id: uuid.UUID
    organisation_id: uuid.UUID
    body: str = ""
    public: bool = False
    data: dict[str, object] = field(default_factory=dict)


@dataclass
class Hop:
    """One hand-off (HandOff's columns)."""

    id: uuid.UUID
    at: datetime
    from_team: Crew
    to_team: Crew
    reason: str
    sent_by: str
    status: str = "pending"
    decided_by: str = ""
    decided_at: datetime | None = None
    response: str = ""
    released_at: datetime | None = None


class Stop(Exception):
    """The next step would happen after `now`: the ticket stays as it is."""


class Life:
    """One ticket, moved step by step the way the services move it; a step past `now` raises Stop."""

    def __init__(
        self,
        *,
        id: uuid.UUID,
        kind: str,
        title: str,
        impact: int,
        urgency: int,
        priority: str,
        opened_at: datetime,
        now: datetime,
        desk: Crew,
        requester: Who,
        requester_organisation_id: uuid.UUID,
        rng: random.Random,
        ping_pong_threshold: int = 3,
    ) -> None:
        self.id, self.kind, self.title = id, kind, title
        self.impact, self.urgency, self.priority = impact, urgency, priority
        self.opened_at = self.at = opened_at
        self.now, self.desk, self.requester, self.rng = now, desk, requester, rng
        self.requester_organisation_id = requester_organisation_id
        self.threshold = ping_pong_threshold
        self.team, self.state, self.pending_reason = desk, "new", ""
        self.assignee: uuid.UUID | None = None
        self.responded_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.resolution_code = self.resolution_notes = ""
        self.reopen_count = self.hop_count = 0
        self.crossed = self.ping_pong = self.is_major = False
        self.parent: Life | None = None
        self.steps: list[Step] = []
        self.hops: list[Hop] = []
        self.parties = {requester_organisation_id, desk.organisation_id}
        self.reference = ""
        self.service = self.category = self.ci = ""  # codes and the CI's name, for the caller to resolve
        self.channel = "portal"

    @property
    def is_open(self) -> bool:
        return self.state in ("new", "assigned", "in_progress", "pending")

    def wait(self, delay: timedelta) -> datetime:
        at = self.at + delay
        if at > self.now:
            raise Stop
        self.at = at
        return at

    def _event(self, kind: str, who: Who, body: str = "", *, public: bool = False, **data: object) -> None:
        state = f"pending_{self.pending_reason}" if self.state == "pending" and self.pending_reason else self.state
        self.steps.append(
            Step(
                self.at,
                kind,
                who[1],
                who[0],
                state,
                self.priority,
                self.team.id,
                self.team.organisation_id,
                body,
                public,
                data,
            )
        )

    # -- ticket_create, ticket_transition, ticket_assign, ticket_update ---------------------------------

    def create(self, who: Who, description: str, team: Crew | None = None) -> None:
        self.team, self.state = team or self.desk, "assigned"
        self.parties.add(self.team.organisation_id)
        self._event("created", who, description, public=True)

    def transition(self, state: str, who: Who, delay: timedelta, *, reason: str = "", note: str = "") -> None:
        self.wait(delay)
        self.state, self.pending_reason = state, reason
        if state == "in_progress" and self.responded_at is None:
            self.responded_at = self.at
        if state == "cancelled":
            self._release()
        self._event("state", who, note)

    def assign(self, team: Crew, who: Who, delay: timedelta) -> None:
        self.wait(delay)
        self.team, self.assignee = team, None
        if self.state == "new":
            self.state = "assigned"
        self.parties.add(team.organisation_id)
        self._event("assigned", who, f"Assigned to {team.name}")

    def reprioritise(self, impact: int, urgency: int, priority: str, who: Who, delay: timedelta) -> None:
        self.wait(delay)
        changed = [
            n for n, old, new in (("impact", self.impact, impact), ("urgency", self.urgency, urgency)) if old != new
        ]
        self.impact, self.urgency = impact, urgency
        kind = "priority" if priority != self.priority else "update"
        if priority != self.priority:
            changed.append("priority")
        self.priority = priority
        self._event(kind, who, changed=sorted(changed))

    def comment(self, body: str, who: Who, delay: timedelta, *, public: bool = True) -> None:
        self.wait(delay)
        self._event("comment", who, body, public=public)

    def link(self, body: str, who: Who, delay: timedelta) -> None:
        self.wait(delay)
        self._event("link", who, body, public=False)

    def resolve(self, code: str, notes: str, who: Who, delay: timedelta) -> None:
        self.wait(delay)
        self.state, self.pending_reason = "resolved", ""
        self.resolution_code, self.resolution_notes, self.resolved_at = code, notes, self.at
        self._event("resolved", who, notes, public=True)
        self._release()

    def reopen(self, who: Who, delay: timedelta, note: str) -> None:
        self.wait(delay)
        self.state, self.resolved_at = "in_progress", None
        self.reopen_count += 1
        self._event("reopened", who, note, public=True)

    def close(self, delay: timedelta) -> None:
        self.wait(delay)
        self.state, self.closed_at = "closed", self.at
        self._event("closed", SYSTEM, "Closed automatically after resolution.", public=True)
        self._release()

    # -- hand-offs (towers.servicedesk.services.handoffs) -----------------------------------------------

    def _release(self) -> None:
        for hop in self.hops:
            if hop.released_at is None and hop.to_team.organisation_id == self.team.organisation_id:
                hop.released_at = self.at

    def _moves_between(self, a: uuid.UUID, b: uuid.UUID) -> int:
        pair = [h for h in self.hops if {h.from_team.organisation_id, h.to_team.organisation_id} == {a, b} and a != b]
        return len(pair) + sum(h.status == "rejected" for h in pair)

    def _flag_hop(self, from_org: uuid.UUID, to_org: uuid.UUID) -> None:
        self.hop_count += 1
        if from_org != to_org:
            self.crossed = True
            if self._moves_between(from_org, to_org) >= self.threshold:
                self.ping_pong = True

    def hand_off(self, team: Crew, who: Who, reason: str, delay: timedelta) -> Hop:
        self.wait(delay)
        for pending in self.hops:
            if pending.status == "pending":
                pending.status, pending.decided_at, pending.released_at = "superseded", self.at, self.at
        self._release()
        hop = Hop(uuid.UUID(int=self.rng.getrandbits(128), version=4), self.at, self.team, team, reason, who[1])
        self.hops.append(hop)
        from_org = self.team.organisation_id
        self.team, self.assignee, self.state = team, None, "assigned"
        self._flag_hop(from_org, team.organisation_id)
        self.parties.add(team.organisation_id)
        self._event("handed_off", who, reason, handoff=str(hop.id), to=team.name)
        return hop

    def accept(self, hop: Hop, who: Who, delay: timedelta, note: str = "") -> None:
        self.wait(delay)
        hop.status, hop.decided_by, hop.decided_at, hop.response = "accepted", who[1], self.at, note
        self.state, self.pending_reason = "in_progress", ""
        if self.responded_at is None:
            self.responded_at = self.at
        if who[0] is not None and self.assignee is None:
            self.assignee = who[0]
        self._event("accepted", who, note, handoff=str(hop.id))

    def reject(self, hop: Hop, who: Who, reason: str, delay: timedelta) -> None:
        self.wait(delay)
        hop.status, hop.decided_by, hop.decided_at = "rejected", who[1], self.at
        hop.response, hop.released_at = reason, self.at
        back = hop.from_team
        self.team, self.assignee, self.state = back, None, "assigned"
        self._flag_hop(hop.to_team.organisation_id, back.organisation_id)
        self._event("rejected", who, reason, handoff=str(hop.id), to=back.name)


# -- when things happen --------------------------------------------------------------------------------

# Relative arrivals by local hour on a working day: peaks 08-10 and 13-15, quiet nights.
MORNING = (0.12, 0.08, 0.06, 0.06, 0.07, 0.1, 0.25, 0.7, 1.8, 2.0, 1.5, 1.2)  # 00:00-11:59
AFTERNOON = (1.0, 1.6, 1.7, 1.4, 1.0, 0.7, 0.45, 0.35, 0.3, 0.25, 0.2, 0.15)  # 12:00-23:59
WEEKDAY_HOURS = MORNING + AFTERNOON
WEEKEND_HOURS = tuple(0.3 * w if 7 <= h <= 20 else 0.6 * w for h, w in enumerate(WEEKDAY_HOURS))
DAY_FACTOR = (1.3, 1.05, 1.0, 1.0, 0.85, 1.0, 1.0)  # Monday's bump, a quieter Friday afternoon overall


class Working:
    """Office hours (Monday to Friday 08:00-18:00 in London, closed on bank holidays), for teams that keep them."""

    def __init__(self, years: range) -> None:
        self.holidays = set(england_and_wales_holidays(years))

    def open_at(self, at: datetime) -> bool:
        local = at.astimezone(LONDON)
        return local.weekday() < 5 and time(8) <= local.time() < time(18) and local.date() not in self.holidays

    def next_open(self, at: datetime) -> datetime:
        local = at.astimezone(LONDON)
        day = local.date() if local.time() < time(8) else local.date() + timedelta(days=1)
        while day.weekday() >= 5 or day in self.holidays:
            day += timedelta(days=1)
        return datetime.combine(day, time(8), LONDON)

    def add(self, at: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of office time after `at`."""
        at = at if self.open_at(at) else self.next_open(at)
        while True:
            closing = datetime.combine(at.astimezone(LONDON).date(), time(18), LONDON)
            if amount <= closing - at:
                return at + amount
            amount -= closing - at
            at = self.next_open(closing)


def arrival_weights(start: datetime, hours: int, working: Working) -> list[float]:
    """Relative arrivals for each hour from `start`: the working-day shape, weekends and bank holidays quieter."""
    weights = []
    for n in range(hours):
        local = (start + timedelta(hours=n)).astimezone(LONDON)
        quiet = local.weekday() >= 5 or local.date() in working.holidays
        shape = WEEKEND_HOURS if quiet else WEEKDAY_HOURS
        weights.append(shape[local.hour] * (0.8 if quiet else DAY_FACTOR[local.weekday()]))
    return weights


def arrivals(start: datetime, end: datetime, count: int, rng: random.Random, working: Working) -> list[datetime]:
    """`count` arrival instants between `start` and `end` with the working day's rhythm, in time order."""
    hours = max(1, math.ceil((end - start).total_seconds() / 3600))
    weights = arrival_weights(start, hours, working)
    picks = rng.choices(range(hours), weights=weights, k=count)
    return sorted(min(end, start + timedelta(hours=h, seconds=rng.uniform(0, 3600))) for h in picks)


class Pace:
    """How long things take: lognormal delays, counted in office hours for teams that keep them."""

    def __init__(self, rng: random.Random, working: Working) -> None:
        self.rng, self.working = rng, working

    def minutes(self, median: float, sigma: float = 0.8) -> timedelta:
        return timedelta(minutes=median * math.exp(self.rng.gauss(0, sigma)))

    def by(self, team: Crew, life: Life, median: float, sigma: float = 0.8) -> timedelta:
        """The delay until `team` acts on `life`: about `median` minutes of the team's working time.

        Office-hours teams work P3 and P4 tickets in office hours only; P1 and P2 get their on-call engineers.
        """
        delay = self.minutes(median, sigma)
        if team.office_hours and life.priority not in ("P1", "P2"):
            return self.working.add(life.at, delay) - life.at
        return delay
