"""Segregation of supplier integrations: the integrator (and the authority) see and manage them; a supplier
sees only its own integration, its mappings and its message log, whichever protocol it uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from towers.core import permissions
from towers.core.roles import Role
from towers.integration.models_partners import (
    FieldMapping,
    PartnerIntegration,
    PartnerMessage,
    StateMapping,
    TicketBond,
)

MANAGE_PARTNERS = "integration.manage_partners"


def _integrators(integration: PartnerIntegration) -> Iterable[UUID]:
    """The integrator of the supplier's tower administers its integration (the authority sees everything anyway)."""
    tower = integration.organisation.tower
    return [tower.integrator_id] if tower is not None and tower.integrator_id else []


permissions.register(PartnerIntegration, parties=["organisation"], owner=_integrators)
permissions.register(FieldMapping, parties=["integration__organisation"], owner=lambda m: _integrators(m.integration))
permissions.register(StateMapping, parties=["integration__organisation"], owner=lambda m: _integrators(m.integration))
permissions.register(TicketBond, parties=["integration__organisation"], owner=lambda b: _integrators(b.integration))
permissions.register(PartnerMessage, parties=["integration__organisation"], owner=lambda m: _integrators(m.integration))
permissions.define_action(MANAGE_PARTNERS, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
