"""The demo estate of a police force run under a two-tower model, built through the real services.

Everything is written by a system actor through the same services as the UI and API, so the demo
also has a full, verifiable audit trail. Running it twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from towers.core.actor import Actor
from towers.core.roles import Role
from towers.demo.cmdb import seed_cmdb
from towers.demo.contracts import seed_contracts
from towers.demo.people import names, rank
from towers.organisations.models import Organisation, OrganisationKind, Person, Team, Tower
from towers.organisations.services.organisations import (
    commercial_grant_create,
    organisation_create,
    team_create,
    tower_create,
    tower_update,
)
from towers.organisations.services.people import membership_grant, person_create, team_member_add

DEMO_PASSWORD = "towers-demo"  # noqa: S105  (printed for everyone on purpose: a demo log-in)
SIZES = {"small": 200, "large": 20000}  # officers and staff who raise tickets

ORGANISATIONS = [
    # code, name, kind, tower
    ("northshire-police", "Northshire Police", OrganisationKind.AUTHORITY, None),
    ("meridian", "Meridian Infrastructure Services", OrganisationKind.SUPPLIER, "infrastructure"),
    ("apex", "Apex Applications Ltd", OrganisationKind.SUPPLIER, "applications"),
    ("carrier-networks", "Carrier Networks plc", OrganisationKind.THIRD_PARTY, "infrastructure"),
    ("hostwell", "Hostwell Data Centres", OrganisationKind.THIRD_PARTY, "infrastructure"),
    ("airwave-mobile", "Airwave Mobile Operator", OrganisationKind.THIRD_PARTY, "infrastructure"),
    ("sentinel", "Sentinel SOC Tooling", OrganisationKind.THIRD_PARTY, "infrastructure"),
]
TEAMS = {
    "northshire-police": [("np-ict", "Force ICT client team")],
    "meridian": [
        ("mer-service-desk", "Service desk"),
        ("mer-major-incident", "Major incident management"),
        ("mer-hosting", "Hosting and platforms"),
        ("mer-end-user", "End-user services"),
        ("mer-soc", "Security operations centre"),
        ("mer-mobile", "Mobile services"),
        ("mer-change", "Change and release"),
    ],
    "apex": [
        ("apex-crime", "Crime and intelligence systems"),
        ("apex-erp", "ERP and HR systems"),
        ("apex-web", "Web and digital"),
    ],
    "carrier-networks": [("cn-noc", "Network operations centre")],
    "hostwell": [("hw-facilities", "Data centre facilities")],
    "airwave-mobile": [("aw-lines", "Lines and SIM management")],
    "sentinel": [("sen-platform", "SIEM platform support")],
}
# username, first, last, organisation, roles, teams
LOGINS = [
    ("admin", "Alex", "Morgan", "northshire-police", [Role.ADMINISTRATOR, Role.CONTRACT_MANAGER], ["np-ict"]),
    ("auditor", "Pat", "Reid", "northshire-police", [Role.AUDITOR], []),
    ("contract.manager", "Sam", "Okafor", "northshire-police", [Role.CONTRACT_MANAGER], ["np-ict"]),
    ("officer", "Chris", "Dale", "northshire-police", [Role.REQUESTER], []),
    ("sd.agent", "Jordan", "Price", "meridian", [Role.AGENT], ["mer-service-desk"]),
    ("mim", "Morgan", "Hale", "meridian", [Role.AGENT, Role.SERVICE_MANAGER], ["mer-major-incident"]),
    ("int.admin", "Robin", "Shah", "meridian", [Role.ADMINISTRATOR, Role.SERVICE_MANAGER], ["mer-service-desk"]),
    ("soc.analyst", "Kai", "Nguyen", "meridian", [Role.SOC_ANALYST], ["mer-soc"]),
    ("apps.resolver", "Taylor", "Byrne", "apex", [Role.RESOLVER], ["apex-crime"]),
    ("apps.lead", "Jamie", "Fox", "apex", [Role.RESOLVER, Role.TEAM_LEAD], ["apex-crime"]),
    ("apps.manager", "Avery", "Lowe", "apex", [Role.SERVICE_MANAGER], []),
    ("apps.admin", "Drew", "Pike", "apex", [Role.ADMINISTRATOR], []),
    ("net.engineer", "Casey", "Burns", "carrier-networks", [Role.RESOLVER], ["cn-noc"]),
    ("net.admin", "Riley", "Stone", "carrier-networks", [Role.ADMINISTRATOR], []),
]
# A person who works for two organisations and switches between them.
BRIDGE = (
    "jo.bridge",
    "Jo",
    "Bridge",
    [("meridian", Role.AGENT, "mer-mobile"), ("airwave-mobile", Role.RESOLVER, "aw-lines")],
)


@dataclass
class SeedResult:
    created: bool
    people: int
    logins: list[tuple[str, str, str]]  # username, organisation, roles


def _logins() -> list[tuple[str, str, str]]:
    organisations = {code: name for code, name, _kind, _tower in ORGANISATIONS}
    rows = [(u, organisations[o], ", ".join(Role(r).label for r in roles)) for u, _f, _l, o, roles, _t in LOGINS]
    rows.append((BRIDGE[0], "Meridian + Airwave (switch in the top bar)", "Service desk agent / Resolver"))
    return rows


def seed(size: str = "small", progress: Callable[[int, int], None] | None = None) -> SeedResult:
    """Build the estate of `size` unless it is there already."""
    if Organisation.objects.filter(kind=OrganisationKind.AUTHORITY).exists():
        return SeedResult(False, Person.objects.count(), _logins())
    actor = Actor.system("demo")
    with transaction.atomic():
        organisations = _organisations(actor)
        teams = {
            code: team_create(actor=actor, organisation=organisations[org], code=code, name=name)
            for org, team_list in TEAMS.items()
            for code, name in team_list
        }
        for username, first, last, org, roles, team_codes in LOGINS:
            person = person_create(
                actor=actor,
                organisation=organisations[org],
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.towers.invalid",
                roles=list(roles),
                password=DEMO_PASSWORD,
            )
            for code in team_codes:
                team_member_add(actor=actor, team=teams[code], person=person)
        _bridge(actor, organisations, teams)
        _resolvers(actor, teams)
        commercial_grant_create(
            actor=actor,
            grantee=organisations["meridian"],
            supplier=organisations["apex"],
            reason="Integrator reviews the applications tower's service credits with the force",
        )
    with transaction.atomic():
        seed_contracts(actor, organisations)
        seed_cmdb(actor, organisations, {team.code: team for team in Team.objects.all()})
    _officers(actor, organisations["northshire-police"], SIZES[size], progress)
    return SeedResult(True, Person.objects.count(), _logins())


def _organisations(actor: Actor) -> dict[str, Organisation]:
    organisations: dict[str, Organisation] = {}
    towers: dict[str, Tower] = {}
    for code, name, kind, tower_code in ORGANISATIONS:
        if tower_code and tower_code not in towers:
            towers[tower_code] = tower_create(
                actor=actor,
                code=tower_code,
                name=tower_code.title(),
                description=f"The {tower_code} tower of the force's IT contracts",
            )
        organisations[code] = organisation_create(
            actor=actor,
            code=code,
            name=name,
            kind=kind,
            tower=towers.get(tower_code or ""),
            email=f"service@{code}.demo.towers.invalid",
        )
    for tower in towers.values():
        tower_update(actor=actor, tower=tower, changes={"integrator": organisations["meridian"]})
    return organisations


def _bridge(actor: Actor, organisations: dict[str, Organisation], teams: dict[str, Team]) -> None:
    username, first, last, places = BRIDGE
    first_org, first_role, _team = places[0]
    person = person_create(
        actor=actor,
        organisation=organisations[first_org],
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@demo.towers.invalid",
        roles=[first_role],
        password=DEMO_PASSWORD,
    )
    for org, role, team in places:
        membership_grant(actor=actor, person=person, organisation=organisations[org], role=role)
        team_member_add(actor=actor, team=teams[team], person=person)


def _resolvers(actor: Actor, teams: dict[str, Team]) -> None:
    """A handful of engineers in every team, so queues and team pages have people in them."""
    for index, (code, team) in enumerate(sorted(teams.items())):
        organisation = team.organisation
        for n, (first, last) in enumerate(names(4, seed=index)):
            person = person_create(
                actor=actor,
                organisation=organisation,
                username=f"{code}.{n + 1}",
                first_name=first,
                last_name=last,
                email=f"{code}.{n + 1}@demo.towers.invalid",
                roles=[Role.RESOLVER] if organisation.kind != OrganisationKind.AUTHORITY else [Role.REQUESTER],
            )
            team_member_add(actor=actor, team=team, person=person)


def _officers(actor: Actor, force: Organisation, count: int, progress: Callable[[int, int], None] | None) -> None:
    """The force's officers and staff: requesters. Committed in batches so a large run shows progress."""
    batch = 500
    people = names(count, seed=2026)
    for start in range(0, count, batch):
        with transaction.atomic():
            for index in range(start, min(start + batch, count)):
                first, last = people[index]
                person_create(
                    actor=actor,
                    organisation=force,
                    username=f"np{index + 1:06d}",
                    first_name=first,
                    last_name=last,
                    email=f"np{index + 1:06d}@demo.towers.invalid",
                    job_title=rank(index),
                )
        if progress:
            progress(min(start + batch, count), count)
