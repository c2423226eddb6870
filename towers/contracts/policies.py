"""How contracts and catalogue records are segregated, and who may change them.

Contracts and their charges are commercial: a supplier sees its own; the integrator sees another
supplier's only while the authority grants it. The catalogue, calendars and service levels are
operational: the integrator needs every tower's targets to run the desk. Only the authority changes
contracts and the catalogue (their owner rule names no organisation, so only the authority's scope
passes); the customer of a service level defines it, so the integrator maintains its own OLAs and UCs.
"""

from towers.contracts.models import (
    Calendar,
    CalendarClosure,
    CalendarHours,
    Contract,
    ContractCharge,
    Service,
    ServiceLevel,
    ServiceOffering,
)
from towers.core import permissions
from towers.core.actor import Sensitivity
from towers.core.roles import Role


def _authority_only(_obj: object) -> tuple[()]:
    return ()


COMMERCIAL = Sensitivity.COMMERCIAL
permissions.register(Contract, parties=["supplier"], owner=_authority_only, sensitivity=COMMERCIAL)
permissions.register(ContractCharge, parties=["contract__supplier"], owner=_authority_only, sensitivity=COMMERCIAL)
permissions.register(Calendar, parties=["owner"], owner="owner", directory=True)
permissions.register(CalendarHours, parties=["calendar__owner"], owner="calendar.owner", directory=True)
permissions.register(CalendarClosure, parties=["calendar__owner"], owner="calendar.owner", directory=True)
permissions.register(
    Service, parties=["owner", "offerings__supplier"], owner=_authority_only, directory=True, spans_many=True
)
permissions.register(ServiceOffering, parties=["supplier", "service__owner"], owner=_authority_only, directory=True)
permissions.register(ServiceLevel, parties=["provider", "customer"], owner="customer")

permissions.define_action("contract.manage", roles=[Role.CONTRACT_MANAGER, Role.ADMINISTRATOR])
permissions.define_action("catalogue.manage", roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.CONTRACT_MANAGER])
permissions.define_action("calendar.manage", roles=[Role.ADMINISTRATOR, Role.CONTRACT_MANAGER])
permissions.define_action(
    "service_level.manage", roles=[Role.CONTRACT_MANAGER, Role.SERVICE_MANAGER, Role.ADMINISTRATOR]
)
