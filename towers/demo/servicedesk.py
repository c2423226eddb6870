"""The service desk's demo: its configuration, months of ticket history across suppliers, and queues open now.

`seed_history` configures the desk (settings, categories, the priority matrix, assignment rules), then loads
about six months of history told by towers.demo.desk_stories: the working day's rhythm, outages with bursts
of calls linked to a P1, hand-offs to the owning supplier's team with rejections and ping-pong, pending
periods, resolutions with codes, reopenings. Every ticket's clocks are replayed by the real clock engine
(the service-level families of towers.servicedesk.services.clocks), so the history shows what the engine says,
breaches included. Last, a few dozen tickets are raised and worked *now* through the real services.

The history is a bulk load (bulk_create): it writes ONE audit entry for the whole load
("servicedesk.history_loaded", with what it wrote) rather than one per ticket, hand-off or event. It is
the record of work done before this Towers existed, not changes anyone made through it, so per-row
entries would attribute to people actions they never took here (and would cost ten times the load). It
writes no outbox events either: nothing is waiting to react to the past. The reference counters are
advanced past the loaded references, so tickets raised afterwards continue the sequence.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.core import audit
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.demo.desk_now import raise_open_tickets
from towers.demo.desk_rows import Clocks, HistoryWriter
from towers.demo.desk_stories import SITUATIONS, Cast, plan, tell
from towers.demo.largedesk import CopyWriter
from towers.demo.ticketlife import Crew
from towers.organisations.models import Organisation, OrganisationKind, Person, Team, TeamMembership
from towers.servicedesk.models import (
    AssignmentRule,
    Category,
    DeskSettings,
    PriorityRule,
    ReferenceCounter,
    Ticket,
)
from towers.servicedesk.services.config import DEFAULT_MATRIX, DEFAULT_RESOLUTION_CODES, route

LOADED = "servicedesk.history_loaded"
HISTORY = {"small": (182, 3600), "large": (400, 1_000_000)}  # days back, tickets
OUTAGE_EVERY = timedelta(days=12)
ROUND_THE_CLOCK = {"mer-service-desk", "mer-major-incident", "mer-soc", "cn-noc"}
CATEGORIES = [
    ("access", "Access and passwords", ["incident"]),
    ("how-to", "How do I…", ["incident"]),
    ("hardware", "Hardware", ["incident"]),
    ("email", "Email and collaboration", ["incident"]),
    ("application", "Application fault", ["incident", "problem"]),
    ("web-digital", "Web and digital", ["incident"]),
    ("network", "Network", ["incident", "problem"]),
    ("mobile", "Mobile devices", ["incident", "request"]),
    ("mobile-lines", "Mobile lines and SIMs", ["incident", "request"]),
    ("hosting", "Servers and hosting", ["incident", "problem"]),
    ("dc-facilities", "Data-centre facilities", ["incident"]),
    ("siem", "Security monitoring platform", ["incident"]),
    ("accounts", "Starters and leavers", ["request"]),
    ("software", "Software", ["request"]),
    ("access-request", "Access to systems", ["request"]),
]
# order, name, service, category, CI name, CI class, team: the most specific matching rule wins, then the order.
RULES = [
    (10, "Passwords and access: the desk fixes them", None, "access", None, "", "mer-service-desk"),
    (10, "How-to questions: the desk answers them", None, "how-to", None, "", "mer-service-desk"),
    (20, "ERP faults to Apex's ERP team", "application-support", None, "ERP", "", "apex-erp"),
    (20, "Web and digital to Apex's web team", "application-support", "web-digital", None, "", "apex-web"),
    (30, "Applications to Apex", "application-support", None, None, "", "apex-crime"),
    (20, "WAN links to Carrier Networks", None, None, None, "network_link", "cn-noc"),
    (30, "Network to Carrier Networks", "network", None, None, "", "cn-noc"),
    (20, "Mobile lines to Airwave", "mobile", "mobile-lines", None, "", "aw-lines"),
    (30, "Mobile devices to Meridian mobile", "mobile", None, None, "", "mer-mobile"),
    (20, "Data-centre facilities to Hostwell", "hosting", "dc-facilities", None, "", "hw-facilities"),
    (30, "Hosting to Meridian platforms", "hosting", None, None, "", "mer-hosting"),
    (20, "SIEM platform to Sentinel", "soc", "siem", None, "", "sen-platform"),
    (30, "Security operations", "soc", None, None, "", "mer-soc"),
    (40, "End-user services", "end-user", None, None, "", "mer-end-user"),
]
CI_CLASSES = ("end_user_device", "network_link", "mobile_device", "virtual_machine", "rack")


@dataclass
class HistoryResult:
    created: bool
    tickets: int
    counts: dict[str, int]


def loaded() -> AuditEntry | None:
    """The audit entry of the history load in this database, if it is there."""
    return AuditEntry.objects.filter(action=LOADED).order_by("seq").first()


def seed_history(
    size: str = "small",
    progress: Callable[[int, int], None] | None = None,
    *,
    tickets: int | None = None,
    days: int | None = None,
    open_now: int = 36,
    seed: int = 2026,
) -> HistoryResult:
    """Configure the desk and load its history unless it is there; `tickets`/`days` shrink it (for tests)."""
    if loaded() is not None:
        return HistoryResult(False, Ticket.objects.count(), {})
    actor = Actor.system("demo")
    back, count = HISTORY[size]
    back, count = days or back, tickets if tickets is not None else count
    now = timezone.now()
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not secrets)
    with transaction.atomic():
        settings = configure_desk(actor)
    cast = cast_of(settings)
    seeds = plan(now - timedelta(days=back), now - timedelta(hours=6), count, OUTAGE_EVERY, cast, rng)
    offsets = _numbers_in_use()
    for s in seeds:
        prefix, number = s.reference[:3], int(s.reference[3:])
        s.reference = f"{prefix}{number + offsets.get(prefix, 0):07d}"
    writer = history_writer(settings, now, large=size == "large")
    total = len(seeds) + open_now
    with transaction.atomic():
        with writer.loading():
            for done, life in enumerate(tell(seeds, now, cast, rng), start=1):
                writer.add(life)
                if progress and done % 1000 == 0:
                    progress(done, total)
        _advance_counters()
        method = writer.method if isinstance(writer, CopyWriter) else "bulk_create"
        start = seeds[0].opened_at if seeds else now
        audit.record(actor, LOADED, settings, after={"from": start, "to": now, **writer.counts, "method": method})
    if isinstance(writer, CopyWriter):
        writer.settle()
    raise_open_tickets(cast, open_now, random.Random(seed + 1))  # noqa: S311
    if progress:
        progress(total, total)
    return HistoryResult(True, Ticket.objects.count(), dict(writer.counts))


def history_writer(settings: DeskSettings, now: datetime, *, large: bool) -> HistoryWriter | CopyWriter:
    """What turns lives into rows: bulk_create with every clock from the engine, or (large) COPY."""
    clocks = Clocks(settings.desk_service_id)
    rows = HistoryWriter(
        clocks=clocks,
        cis=_ci_ids(),
        services=dict(Service.objects.values_list("code", "id")),
        categories=dict(Category.objects.values_list("code", "id")),
        emails=dict(Person.objects.filter(username__startswith="np").values_list("id", "email")),
        manager=Person.objects.filter(username="mim").values_list("id", flat=True).first(),
        now=now,
    )
    return CopyWriter(rows, clocks) if large else rows


def configure_desk(actor: Actor) -> DeskSettings:
    """The desk run by Meridian: its settings, categories, the priority matrix and the routing rules."""
    meridian = Organisation.objects.get(code="meridian")
    teams = {t.code: t for t in Team.objects.all()}
    fields = {
        "desk_organisation": meridian,
        "triage_team": teams["mer-service-desk"],
        "desk_service": Service.objects.get(code="service-desk"),
        "resolution_codes": DEFAULT_RESOLUTION_CODES,
    }
    settings = DeskSettings.objects.first()
    if settings is None:
        settings = DeskSettings.objects.create(**fields)
    else:
        DeskSettings.objects.filter(pk=settings.pk).update(**fields)
        settings.refresh_from_db()
    # Whatever another part of the demo configured already stays; what is missing is added.
    have = set(Category.objects.values_list("code", flat=True))
    Category.objects.bulk_create([Category(code=c, name=n, kinds=k) for c, n, k in CATEGORIES if c not in have])
    cells = set(PriorityRule.objects.values_list("impact", "urgency"))
    PriorityRule.objects.bulk_create(
        [PriorityRule(impact=i, urgency=u, priority=p) for (i, u), p in DEFAULT_MATRIX.items() if (i, u) not in cells]
    )
    services = dict(Service.objects.values_list("code", "id"))
    categories = dict(Category.objects.values_list("code", "id"))
    cis = dict(ConfigurationItem.objects.filter(name__in=[r[4] for r in RULES if r[4]]).values_list("name", "id"))
    named = set(AssignmentRule.objects.values_list("name", flat=True))
    AssignmentRule.objects.bulk_create(
        [
            AssignmentRule(
                order=order,
                name=name,
                service_id=services.get(service or ""),
                category_id=categories.get(category or ""),
                ci_id=cis.get(ci or ""),
                ci_class=ci_class,
                team=teams[team],
            )
            for order, name, service, category, ci, ci_class, team in RULES
            if name not in named
        ]
    )
    audit.record(
        actor,
        "servicedesk.desk_configured",
        settings,
        after={"categories": len(CATEGORIES), "priority_rules": len(DEFAULT_MATRIX), "assignment_rules": len(RULES)},
    )
    return settings


def crews() -> dict[str, Crew]:
    """Every team as the stories need it, with its people (those who belong to the team's organisation)."""
    people: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for team_id, person_id, username in (
        TeamMembership.objects.filter(person__memberships__organisation=F("team__organisation"))
        .order_by("person__username")
        .values_list("team_id", "person_id", "person__username")
        .distinct()
    ):
        people.setdefault(team_id, []).append((person_id, username))
    return {
        team.code: Crew(
            team.id,
            team.code,
            team.name,
            team.organisation_id,
            tuple(people.get(team.id, [])),
            team.code not in ROUND_THE_CLOCK,
        )
        for team in Team.objects.all()
    }


def cast_of(settings: DeskSettings) -> Cast:
    """The desk, its teams and people, the requesters and CIs the stories draw on, and the real router."""
    teams = crews()
    desk = next(c for c in teams.values() if c.id == settings.triage_team_id)
    authority = Organisation.objects.get(kind=OrganisationKind.AUTHORITY)
    requesters: list[tuple[uuid.UUID | None, str]] = list(
        Person.objects.filter(memberships__organisation=authority, username__startswith="np")
        .order_by("username")
        .values_list("id", "username")[:5000]
    )
    pools: dict[str, list[str]] = {}
    for ci_class, name in (
        ConfigurationItem.objects.filter(ci_class__in=CI_CLASSES).exclude(provenance={}).values_list("ci_class", "name")
    ):
        pools.setdefault(f"class:{ci_class}", []).append(name)
    return Cast(
        desk=desk,
        teams=teams,
        requesters=requesters or [(None, "officer")],
        authority_id=authority.id,
        matrix=dict(DEFAULT_MATRIX),
        cis={key: sorted(names)[:40] for key, names in pools.items()},
        route=_router(teams, desk),
    )


def _router(teams: dict[str, Crew], desk: Crew) -> Callable[[str, str, str], tuple[Crew, str]]:
    """The real assignment rules (towers.servicedesk.services.config.route), asked once per combination."""
    services = {s.code: s for s in Service.objects.all()}
    categories = {c.code: c for c in Category.objects.all()}
    by_id = {c.id: c for c in teams.values()}
    cache: dict[tuple[str, str, str], tuple[Crew, str]] = {}

    def routed(service: str, category: str, ci: str) -> tuple[Crew, str]:
        key = (service, category, ci)
        if key not in cache:
            cis = list(ConfigurationItem.objects.filter(name=ci)[:1]) if ci else []
            team, why = route(service=services.get(service), category=categories.get(category), cis=cis)
            cache[key] = (by_id[team.id], why) if team is not None else (desk, "")
        return cache[key]

    return routed


def _ci_ids() -> dict[str, uuid.UUID]:
    names = {n for s in SITUATIONS for n in s.cis.split("|") if n and not n.startswith("class:")}
    found = ConfigurationItem.objects.filter(ci_class__in=CI_CLASSES).exclude(provenance={})
    ids = dict(found.values_list("name", "id"))
    ids.update(ConfigurationItem.objects.filter(name__in=names | {"DC North"}).values_list("name", "id"))
    return ids


def _numbers_in_use() -> dict[str, int]:
    return dict(ReferenceCounter.objects.values_list("prefix", "value"))


def _advance_counters() -> None:
    """Each prefix's counter past the highest reference loaded, so the next ticket continues the sequence."""
    highest: Counter[str] = Counter()
    for prefix in ("INC", "REQ"):
        top = Ticket.objects.filter(reference__startswith=prefix).aggregate(top=Max("reference"))["top"]
        if top:
            highest[prefix] = int(top[3:])
    for prefix, value in highest.items():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(prefix=prefix)
        if counter.value < value:
            ReferenceCounter.objects.filter(prefix=prefix).update(value=value)
