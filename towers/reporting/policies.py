"""Segregation of reporting records.

An exit pack is the authority's record of a supplier's services. It holds commercials (service credits),
so it is registered as commercial: the authority sees every pack; the supplier sees its own (it needs it
for its handover); the integrator sees the packs it asked for (built within its own view, so without
credits unless granted) and, under a commercial grant, the supplier's others. Another supplier sees none.
Packs are asked for by the authority or by the integrator of the supplier's tower.
"""

from __future__ import annotations

from uuid import UUID

from towers.core import permissions
from towers.core.actor import Sensitivity
from towers.core.roles import Role
from towers.reporting.models import ExitPack, PackDelivery, PackSubscription

EXIT_PACK = "reporting.exit_pack"


def _pack_owners(pack: ExitPack) -> set[UUID]:
    """The integrator of the supplier's tower (the authority passes on its scope); an integrator leaving is the
    authority's to pack, as any supplier's own pack is."""
    tower = pack.supplier.tower
    integrator = tower.integrator_id if tower is not None else None
    return {integrator} if integrator and integrator != pack.supplier_id else set()


permissions.register(
    ExitPack,
    parties=["supplier", "requester_organisation"],
    owner=_pack_owners,
    sensitivity=Sensitivity.COMMERCIAL,
)
permissions.define_action(EXIT_PACK, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.CONTRACT_MANAGER])

# A subscription is its organisation's: seen by it (and the authority); the person or an administrator changes it.
permissions.register(PackSubscription, parties=["organisation"], owner="organisation")
permissions.register(PackDelivery, parties=["subscription__organisation"], owner="subscription.organisation")
