"""How each organisations record is segregated, and who may change it."""

from uuid import UUID

from towers.core import permissions
from towers.core.actor import Sensitivity
from towers.core.roles import Role
from towers.organisations.models import (
    ApiToken,
    CommercialGrant,
    Membership,
    Organisation,
    Person,
    Team,
    TeamMembership,
    Tower,
)


def _person_owners(person: Person) -> set[UUID]:
    return set(person.memberships.values_list("organisation_id", flat=True))


permissions.register(Organisation, parties=["pk"], owner="pk", directory=True)
# A tower is visible to its members and, through them, to their integrator.
permissions.register(Tower, parties=["organisations"], owner="integrator", directory=True, spans_many=True)
permissions.register(Team, parties=["organisation"], owner="organisation", directory=True)
permissions.register(
    Person, parties=["memberships__organisation"], owner=_person_owners, directory=True, spans_many=True
)
permissions.register(Membership, parties=["organisation"], owner="organisation", directory=True)
permissions.register(TeamMembership, parties=["team__organisation"], owner="team.organisation", directory=True)
permissions.register(
    CommercialGrant, parties=["grantee", "supplier"], owner="grantee", sensitivity=Sensitivity.COMMERCIAL
)
permissions.register(ApiToken, parties=["organisation"], owner="organisation")

ADMINISTRATORS = [Role.ADMINISTRATOR]
permissions.define_action("organisation.create", roles=ADMINISTRATORS)
permissions.define_action("organisation.update", roles=ADMINISTRATORS)
permissions.define_action("tower.manage", roles=ADMINISTRATORS)
permissions.define_action("team.create", roles=ADMINISTRATORS)
permissions.define_action("team.update", roles=[Role.ADMINISTRATOR, Role.TEAM_LEAD])
permissions.define_action("team.members", roles=[Role.ADMINISTRATOR, Role.TEAM_LEAD])
permissions.define_action("person.create", roles=ADMINISTRATORS)
permissions.define_action("person.update", roles=ADMINISTRATORS)
permissions.define_action("membership.manage", roles=ADMINISTRATORS)
permissions.define_action("commercial_grant.manage", roles=[Role.ADMINISTRATOR, Role.CONTRACT_MANAGER])
permissions.define_action("import.run", roles=ADMINISTRATORS)
