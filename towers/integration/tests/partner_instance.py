"""Seeds one of the two Towers instances of the e-bonding end-to-end test (test_partner_e2e); prints JSON.

`supplier --partner-token TOKEN`: the supplier's own Towers (B). NetCo runs it (its authority, and the
integrator of its one tower); the police force's Towers calls it as the customer organisation "Force", through
TOKEN (Force's bridge account's, chosen by the test so that both instances can be seeded at once); NetCo's
engineer works the tickets.
`authority --partner-url URL --partner-token TOKEN`: the force's Towers (A): the authority, the integrator
running the desk, and NetCo as a third party whose team's hand-offs go to B over TMF621.
Run with DATABASE_URL pointing at a migrated database of the instance's own.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def _person(organisation: Any, username: str, *roles: str) -> Any:
    from towers.organisations.models import Membership, Person

    person = Person.objects.create_user(username=username, password="e2e-password", email=f"{username}@e2e.test")
    for role in roles:
        Membership.objects.create(person=person, organisation=organisation, role=role)
    return person


def _token(person: Any, organisation: Any, secret: str = "") -> str:
    """A write token for `person` acting for `organisation`; `secret`: the one the test chose (so that the two
    instances can be seeded at once), else a new one."""
    from towers.core.actor import Channel
    from towers.organisations.models import ApiToken
    from towers.organisations.selectors import actor_for
    from towers.organisations.services.tokens import token_create, token_digest

    if secret:
        ApiToken.objects.create(
            person=person, organisation=organisation, name="e2e", prefix=secret[:10], digest=token_digest(secret),
            scope=ApiToken.Scope.WRITE,
        )  # fmt: skip
        return secret
    actor = actor_for(person, organisation=organisation, channel=Channel.WEB)
    return token_create(actor=actor, name="e2e", scope=ApiToken.Scope.WRITE)[1]


def _world(authority_name: str) -> tuple[Any, Any]:
    from towers.organisations.models import Organisation, OrganisationKind, Tower

    authority = Organisation.objects.create(code="authority", name=authority_name, kind=OrganisationKind.AUTHORITY)
    tower = Tower.objects.create(code="infrastructure", name="Infrastructure")
    return authority, tower


def supplier(customer_token: str) -> dict[str, str]:
    from towers.core.roles import Role
    from towers.organisations.models import Organisation, OrganisationKind, Team, TeamMembership
    from towers.servicedesk.models import DeskSettings

    netco, tower = _world("NetCo")
    tower.integrator = netco
    tower.save()
    force = Organisation.objects.create(code="force", name="Force", kind=OrganisationKind.THIRD_PARTY, tower=tower)
    team = Team.objects.create(organisation=netco, code="net-ops", name="Network operations")
    DeskSettings.objects.create(desk_organisation=netco, triage_team=team, resolution_codes=["fixed", "workaround"])
    engineer = _person(netco, "net.engineer", Role.RESOLVER, Role.AGENT)
    TeamMembership.objects.create(team=team, person=engineer)
    bridge = _person(force, "force.bridge", Role.AGENT, Role.ADMINISTRATOR)  # the hub is an admin's to manage
    return {"customer_token": _token(bridge, force, customer_token), "engineer_token": _token(engineer, netco)}


def authority(partner_url: str, partner_token: str) -> dict[str, str]:
    from towers.core.actor import Actor
    from towers.core.roles import Role
    from towers.integration.services.partner_admin import partner_integration_create
    from towers.organisations.models import Organisation, OrganisationKind, Team, TeamMembership
    from towers.servicedesk.models import DeskSettings

    _authority, tower = _world("Force")
    integrator = Organisation.objects.create(
        code="integrator", name="Integrator", kind=OrganisationKind.SUPPLIER, tower=tower
    )
    tower.integrator = integrator
    tower.save()
    netco = Organisation.objects.create(code="netco", name="NetCo", kind=OrganisationKind.THIRD_PARTY, tower=tower)
    desk = Team.objects.create(organisation=integrator, code="service-desk", name="Service desk")
    network = Team.objects.create(organisation=netco, code="net-ops", name="Network operations")
    DeskSettings.objects.create(
        desk_organisation=integrator, triage_team=desk, resolution_codes=["fixed", "workaround"]
    )
    agent = _person(integrator, "desk.agent", Role.AGENT, Role.ADMINISTRATOR)
    TeamMembership.objects.create(team=desk, person=agent)
    integration = partner_integration_create(
        actor=Actor.system("e2e-seed"),
        organisation=netco,
        name="NetCo's Towers",
        base_url=partner_url,
        auth_token=partner_token,
        teams=[network],
    )
    return {
        "agent_token": _token(agent, integrator),
        "integration": str(integration.id),
        "network_team": str(network.id),
        "desk_team": str(desk.id),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["supplier", "authority"])
    parser.add_argument("--partner-url", default="")
    parser.add_argument("--partner-token", default="")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "towers.settings.base")
    import django

    django.setup()
    from django.db import transaction

    with transaction.atomic():
        out = (
            supplier(args.partner_token) if args.role == "supplier" else authority(args.partner_url, args.partner_token)
        )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
