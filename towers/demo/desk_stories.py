"""What happens to the demo's tickets: the situations officers report, and how each is worked across suppliers.

Plain data and the steps of towers.demo.ticketlife. A situation names its category, catalogue service and the
CIs it may concern; the demo's assignment rules route it (the caller passes `route`, the real router, cached).
Tickets arrive with the working day's rhythm; every couple of weeks an outage brings a burst of incidents on
one service within the hour, most linked to a P1 major incident. Then the desk answers, fixes it or hands it
off; the supplier accepts or rejects (sometimes twice: ping-pong); work waits on the requester or a vendor;
the ticket is resolved with a code, sometimes reopened, and closed five days later.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from towers.demo.ticketlife import CLOSE_AFTER, ZERO, Crew, Hop, Life, Pace, Stop, Who, Working, arrivals


@dataclass(frozen=True)
class Situation:
    key: str
    kind: str
    weight: float
    category: str
    service: str
    cis: str  # "|"-separated CI names, or "class:<ci class>" for any CI of that class
    minutes: float  # median working time to fix, once with the team that fixes it
    wrong: str = ""  # a team it is sometimes sent to first, which sends it back
    then: str = ""  # a team the first resolver sometimes passes it on to

    @property
    def titles(self) -> list[str]:
        return TITLES[self.key].split("|")


INCIDENT, REQUEST = "incident", "request"
APPS = "Crime records|Case files|Custody suite|Intelligence hub|Command and control"
SITUATIONS = [
    Situation("locked-out", INCIDENT, 15, "access", "end-user", "", 20),
    Situation("how-to", INCIDENT, 6, "how-to", "end-user", "", 15),
    Situation("laptop", INCIDENT, 9, "hardware", "end-user", "class:end_user_device", 300),
    Situation("email", INCIDENT, 6, "email", "end-user", "Email and collaboration", 240),
    Situation("crime-app", INCIDENT, 13, "application", "application-support", APPS, 480, wrong="mer-end-user"),
    Situation("erp", INCIDENT, 5, "application", "application-support", "ERP", 600),
    Situation("web", INCIDENT, 2, "web-digital", "application-support", "", 480),
    Situation("network", INCIDENT, 6, "network", "network", "class:network_link", 180, "apex-crime", "hw-facilities"),
    Situation("phone", INCIDENT, 5, "mobile", "mobile", "class:mobile_device", 240, then="aw-lines"),
    Situation("line", INCIDENT, 3, "mobile-lines", "mobile", "", 360, wrong="mer-mobile"),
    Situation("vm", INCIDENT, 3, "hosting", "hosting", "class:virtual_machine", 300, then="hw-facilities"),
    Situation("facilities", INCIDENT, 1, "dc-facilities", "hosting", "class:rack", 240),
    Situation("siem", INCIDENT, 0.7, "siem", "soc", "", 360),
    Situation("starter", REQUEST, 6, "accounts", "end-user", "", 960),
    Situation("software", REQUEST, 4, "software", "end-user", "", 720),
    Situation("app-access", REQUEST, 4, "access-request", "application-support", "Crime records|Intelligence hub", 600),
    Situation("sim", REQUEST, 2, "mobile-lines", "mobile", "", 960),
]
TITLES = {
    "locked-out": "Locked out of my account|Password expired, cannot log in|Two-factor prompt not arriving",
    "how-to": "How do I set up an out-of-office?|Cannot find the shared drive|How do I add a delegate?",
    "laptop": "Laptop {ci} will not boot|Docking station not detecting screens|Laptop {ci} very slow",
    "email": "Shared mailbox not updating|Cannot email the CPS secure domain|Teams calls dropping",
    "crime-app": "{ci}: error when saving|{ci} is very slow|{ci}: search returns nothing|{ci}: report fails",
    "erp": "Payslip not showing in ERP|Overtime claim stuck in approval|Cannot book annual leave",
    "web": "Force website contact form failing|Online crime reporting portal error",
    "network": "Network very slow at {place}|No network at {place}|{ci} dropping intermittently",
    "phone": "Phone {ci} will not sync|Mobile working app crashing on {ci}",
    "line": "No mobile data on officer phone|SIM blocked after PIN attempts",
    "vm": "{ci} unresponsive|Disk nearly full on {ci}",
    "facilities": "Temperature alarm on {ci}|UPS alarm for {ci}",
    "siem": "SIEM not receiving firewall logs|Log collection lagging",
    "starter": "New starter: account and laptop|Leaver: disable account and collect kit",
    "software": "Install Analyst's Notebook|Adobe Acrobat Pro licence",
    "app-access": "Access to {ci} for a new detective|Add supervisor role in {ci}",
    "sim": "New SIM for a response car tablet|Raise data allowance on a team's phones",
}


@dataclass(frozen=True)
class Outage:
    service: str
    category: str
    ci: str
    title: str
    reports: str  # "|"-separated titles of the calls it brings
    minutes: float  # median time to restore


OUTAGES = [
    Outage(
        "network",
        "network",
        "class:network_link",
        "Major: {place} offline",
        "No network at {place}|Cannot log in at {place}|Dispatch terminals offline at {place}",
        150,
    ),
    Outage(
        "application-support",
        "application",
        "Crime records",
        "Major: Crime records unavailable force-wide",
        "Crime records not loading|Error 503 from Crime records|Cannot save a crime report",
        150,
    ),
    Outage(
        "end-user",
        "email",
        "Email and collaboration",
        "Major: email and Teams down",
        "Outlook disconnected|Cannot join Teams meetings|Emails not arriving",
        120,
    ),
    Outage(
        "hosting",
        "dc-facilities",
        "DC North",
        "Major: cooling failure in DC North",
        "Several systems very slow|Custody suite timing out|Intelligence hub unavailable",
        200,
    ),
    Outage(
        "application-support",
        "application",
        "ERP",
        "Major: ERP unavailable",
        "Cannot log in to ERP|Duty rosters not loading",
        150,
    ),
]
# Impact and urgency as officers report them: mostly P4 and P3 under the default matrix.
IMPACT_URGENCY = ((3, 3), (2, 3), (3, 2), (2, 2), (3, 1), (1, 3), (2, 1), (1, 2))
IU_WEIGHTS = (34, 20, 16, 19, 4, 3, 3, 1)
CODES = ("fixed", "workaround", "configuration", "user_error", "no_fault_found", "duplicate", "known_error")
CODE_WEIGHTS = (52, 10, 10, 10, 8, 4, 6)
REJECTIONS = (
    "Not ours: diagnostics show the fault is elsewhere.",
    "Missing details: which site and since when?",
    "No fault found on our side; please re-triage.",
)
RESENDS = ("Returned with logs showing it is yours.", "Re-triaged: the fault is on your platform.")
PACE_BY_PRIORITY = {"P1": 0.3, "P2": 0.5, "P3": 1.0, "P4": 1.4}
Route = Callable[[str, str, str], tuple[Crew, str]]  # (service, category, CI name) -> team, why


@dataclass
class Cast:
    """Who takes part: the desk, every team by code, the requesters, their organisation and the matrix."""

    desk: Crew
    teams: dict[str, Crew]
    requesters: list[Who]
    authority_id: uuid.UUID
    matrix: dict[tuple[int, int], str]
    cis: dict[str, list[str]]  # "class:<ci class>" -> CI names
    route: Route


def _title(template: str, ci: str) -> str:
    return template.format(ci=ci, place=ci.removeprefix("WAN ").removesuffix(" police station"))


def _pick_ci(cast: Cast, rng: random.Random, names: str) -> str:
    name = rng.choice(names.split("|"))
    return rng.choice(cast.cis.get(name, [""])) if name.startswith("class:") else name


@dataclass
class Seed:
    """A ticket about to be told: when it opens, what it is about, and which outage (if any) it reports."""

    opened_at: datetime
    kind: str
    situation: Situation | None
    ci: str
    outage: Outage | None = None
    group: int = -1  # the outage's number; its master incident has `master`
    master: bool = False
    reference: str = ""


def plan(
    start: datetime, end: datetime, count: int, outage_every: timedelta, cast: Cast, rng: random.Random
) -> list[Seed]:
    """Every ticket's arrival, in time order and numbered: `count` ordinary ones plus the outages' bursts."""
    working = Working(range(start.year, end.year + 2))
    weights = [s.weight for s in SITUATIONS]
    seeds = [
        Seed(at, situation.kind, situation, _pick_ci(cast, rng, situation.cis))
        for at, situation in zip(
            arrivals(start, end, count, rng, working), rng.choices(SITUATIONS, weights=weights, k=count), strict=True
        )
    ]
    at, group = start + outage_every / 2, 0
    while at < end - timedelta(hours=2):
        outage = rng.choice(OUTAGES)
        ci = _pick_ci(cast, rng, outage.ci)
        seeds.append(Seed(at + timedelta(minutes=rng.uniform(8, 20)), INCIDENT, None, ci, outage, group, master=True))
        seeds += [
            Seed(at + timedelta(minutes=rng.uniform(0, 70)), INCIDENT, None, ci, outage, group)
            for _ in range(rng.randint(6, 30))
        ]
        at += outage_every * rng.uniform(0.5, 1.5)
        group += 1
    seeds.sort(key=lambda s: s.opened_at)
    numbers = {INCIDENT: 0, REQUEST: 0}
    for seed in seeds:
        numbers[seed.kind] += 1
        seed.reference = f"{'INC' if seed.kind == INCIDENT else 'REQ'}{numbers[seed.kind]:07d}"
    return seeds


def tell(seeds: list[Seed], now: datetime, cast: Cast, rng: random.Random) -> Iterator[Life]:
    """Each seed's ticket, lived until it closes or `now` comes, in the order they opened."""
    first = seeds[0].opened_at.year if seeds else now.year
    pace = Pace(rng, Working(range(first, now.year + 2)))
    masters = {s.group: _major(s, now, cast, pace) for s in seeds if s.master}
    for seed in seeds:
        if seed.master:
            yield masters[seed.group]
        elif seed.outage is not None:
            yield _report(seed, masters[seed.group], now, cast, pace)
        else:
            yield _ordinary(seed, now, cast, pace)


def _life(seed: Seed, title: str, impact: int, urgency: int, now: datetime, cast: Cast, rng: random.Random) -> Life:
    life = Life(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        kind=seed.kind,
        title=title,
        impact=impact,
        urgency=urgency,
        priority=cast.matrix[(impact, urgency)],
        opened_at=seed.opened_at,
        now=now,
        desk=cast.desk,
        requester=rng.choice(cast.requesters),
        requester_organisation_id=cast.authority_id,
        rng=rng,
    )
    life.reference, life.ci = seed.reference, seed.ci
    return life


def _ordinary(seed: Seed, now: datetime, cast: Cast, pace: Pace) -> Life:
    situation, rng = seed.situation, pace.rng
    assert situation is not None
    impact, urgency = rng.choices(IMPACT_URGENCY, weights=IU_WEIGHTS)[0]
    life = _life(seed, _title(rng.choice(situation.titles), seed.ci), impact, urgency, now, cast, rng)
    life.service, life.category = situation.service, situation.category
    with contextlib.suppress(Stop):
        _work_through(life, situation, cast, pace)
    return life


def _work_through(life: Life, situation: Situation, cast: Cast, pace: Pace) -> None:
    rng, desk = pace.rng, cast.desk
    target, why = cast.route(situation.service, situation.category, life.ci)
    agent = desk.anyone(rng)
    life.channel = rng.choices(("portal", "phone", "email"), weights=(50, 35, 15))[0]
    raiser = life.requester if life.channel != "phone" else agent
    internal = target.organisation_id == desk.organisation_id
    auto = life.channel == "portal" and target is not desk and rng.random() < 0.6
    life.create(raiser, f"{life.title}. Reported by {life.requester[1]}.", team=target if auto and internal else None)
    hop: Hop | None = None
    if auto and not internal:
        hop = life.hand_off(target, raiser, f"Routed by {why}.", ZERO)
    elif not auto:
        life.transition("in_progress", agent, pace.minutes(6 if life.priority in ("P1", "P2") else 14))
        if rng.random() < 0.012:
            life.transition("cancelled", agent, pace.minutes(10), note="Raised twice: cancelled.")
            return
        if target is desk:
            _fix(life, situation, desk, agent, cast, pace)
            return
        _misroute(life, situation, agent, cast, pace)
        if internal:
            life.assign(target, agent, pace.minutes(8))
        else:
            hop = life.hand_off(
                target, agent, f"{situation.category.title()} fault: please investigate.", pace.minutes(8)
            )
    if hop is not None:
        _decide(life, hop, target, agent, pace)
    elif life.state != "in_progress":
        life.transition("in_progress", target.anyone(rng), pace.by(target, life, 25))
    then = cast.teams.get(situation.then)
    if then is not None and rng.random() < 0.2:
        life.comment(
            "Passing to the team that owns the underlying fault.", target.anyone(rng), pace.by(target, life, 60)
        )
        if then.organisation_id == target.organisation_id:
            life.assign(then, target.anyone(rng), pace.minutes(5))
            life.transition("in_progress", then.anyone(rng), pace.by(then, life, 30))
        else:
            passed = life.hand_off(then, target.anyone(rng), "The underlying fault is yours.", pace.minutes(5))
            _decide(life, passed, then, agent, pace)
        target = then
    _fix(life, situation, target, target.anyone(rng), cast, pace)


def _misroute(life: Life, situation: Situation, agent: Who, cast: Cast, pace: Pace) -> None:
    """Now and then the desk sends it to the wrong team first, which sends it back."""
    rng, wrong = pace.rng, cast.teams.get(situation.wrong)
    if wrong is None or rng.random() >= 0.25:
        return
    if wrong.organisation_id == cast.desk.organisation_id:
        life.assign(wrong, agent, pace.minutes(8))
        life.assign(cast.desk, wrong.anyone(rng), pace.by(wrong, life, 60))
    else:
        first = life.hand_off(wrong, agent, f"Looks like a {situation.category} fault.", pace.minutes(8))
        life.reject(first, wrong.anyone(rng), rng.choice(REJECTIONS), pace.by(wrong, life, 40))


def _decide(life: Life, hop: Hop, team: Crew, agent: Who, pace: Pace) -> None:
    """The receiving team accepts, or rejects and gets it back again (ping-pong), until it accepts."""
    rng, chance = pace.rng, 0.08
    for _ in range(3):
        if rng.random() >= chance:
            break
        life.reject(hop, team.anyone(rng), rng.choice(REJECTIONS), pace.by(team, life, 40))
        hop = life.hand_off(team, agent, rng.choice(RESENDS), pace.minutes(25))
        chance = 0.3
    life.accept(hop, team.anyone(rng), pace.by(team, life, 20 if life.priority in ("P1", "P2") else 45))


def _fix(life: Life, situation: Situation, team: Crew, worker: Who, cast: Cast, pace: Pace) -> None:
    rng = pace.rng
    if life.priority in ("P3", "P4") and rng.random() < 0.03:
        impact = max(1, life.impact - 1)
        life.reprioritise(impact, life.urgency, cast.matrix[(impact, life.urgency)], worker, pace.by(team, life, 30))
    scale = PACE_BY_PRIORITY[life.priority]
    if rng.random() < 0.15:
        reason = rng.choice(("requester", "requester", "supplier"))
        note = "Waiting for the officer to try again." if reason == "requester" else "Waiting for the vendor."
        life.transition(
            "pending", worker, pace.by(team, life, situation.minutes * scale * 0.3), reason=reason, note=note
        )
        if reason == "requester":
            life.comment("Tried again: still the same.", life.requester, pace.minutes(12 * 60, 1.0))
            life.transition("in_progress", life.requester, ZERO, note="The requester replied.")
        else:
            life.transition("in_progress", worker, pace.by(team, life, 8 * 60))
    code = rng.choices(CODES, weights=CODE_WEIGHTS)[0]
    life.resolve(code, f"Resolved: {code.replace('_', ' ')}.", worker, pace.by(team, life, situation.minutes * scale))
    if rng.random() < 0.03:
        within = min(pace.minutes(24 * 60, 1.0), timedelta(days=9))  # the desk's reopening window is ten days
        life.reopen(life.requester, within, "Still happening.")
        life.resolve("fixed", "Fixed properly this time.", worker, pace.by(team, life, situation.minutes * scale * 0.5))
    life.close(CLOSE_AFTER + pace.minutes(30, 0.5))


def _major(seed: Seed, now: datetime, cast: Cast, pace: Pace) -> Life:
    """The outage's P1: the desk opens the bridge, the owning team restores service."""
    rng, outage = pace.rng, seed.outage
    assert outage is not None
    life = _life(seed, _title(outage.title, seed.ci), 1, 1, now, cast, rng)
    life.is_major, life.service, life.category, life.channel = True, outage.service, outage.category, "monitoring"
    target, _why = cast.route(outage.service, outage.category, seed.ci)
    agent = cast.desk.anyone(rng)
    try:
        life.create(agent, f"{life.title}. Many calls in the last few minutes.")
        life.transition("in_progress", agent, pace.minutes(3, 0.4))
        if target.organisation_id != cast.desk.organisation_id:
            hop = life.hand_off(target, agent, "Major incident: please join the bridge.", pace.minutes(4, 0.4))
            life.accept(hop, target.anyone(rng), pace.minutes(10, 0.5), "On the bridge.")
        elif target is not cast.desk:
            life.assign(target, agent, pace.minutes(4, 0.4))
        life.comment("Bridge open; stakeholders told.", agent, pace.minutes(15, 0.3), public=False)
        life.resolve("fixed", "Service restored.", target.anyone(rng), pace.minutes(outage.minutes, 0.5))
        life.close(CLOSE_AFTER + pace.minutes(30, 0.5))
    except Stop:
        pass
    return life


def _report(seed: Seed, master: Life, now: datetime, cast: Cast, pace: Pace) -> Life:
    """A call about the outage: the desk links most to the major incident and resolves them when service is back."""
    rng, outage = pace.rng, seed.outage
    assert outage is not None
    impact, urgency = rng.choice(((2, 2), (3, 2), (2, 3), (3, 3)))
    life = _life(seed, _title(rng.choice(outage.reports.split("|")), seed.ci), impact, urgency, now, cast, rng)
    life.service, life.category = outage.service, outage.category
    life.channel = rng.choice(("phone", "phone", "portal"))
    agent = cast.desk.anyone(rng)
    try:
        life.create(
            agent if life.channel == "phone" else life.requester, f"{life.title}. Reported by {life.requester[1]}."
        )
        life.transition("in_progress", agent, pace.minutes(10, 0.6))
        linked = rng.random() < 0.7
        if linked:  # once the major incident is raised: some calls come before it
            raised = max(ZERO, master.opened_at - life.at)
            life.link(f"Linked to major incident {master.reference}", agent, raised + pace.minutes(3, 0.5))
            life.parent = master
        restored = master.resolved_at if master.resolved_at is not None else now + timedelta(days=1)
        wait = max(ZERO, restored - life.at) + pace.minutes(20, 0.6)
        note = f"Service restored under {master.reference}." if linked else "Service restored."
        life.resolve("fixed" if linked else "no_fault_found", note, agent, wait)
        life.close(CLOSE_AFTER + pace.minutes(30, 0.5))
    except Stop:
        pass
    return life
