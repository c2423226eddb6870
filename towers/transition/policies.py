"""Who sees and runs transitions: the authority and the integrator of the suppliers' towers run them; the
outgoing and incoming suppliers read the ones naming them; any other supplier sees nothing."""

from collections.abc import Iterable
from uuid import UUID

from towers.core import permissions
from towers.core.roles import Role
from towers.transition.models import Transition, TransitionStep

MANAGE = "transition.manage"


def _integrators(transition: Transition) -> Iterable[UUID]:
    """The integrators of both suppliers' towers (the authority passes on its scope)."""
    towers = [org.tower for org in (transition.outgoing, transition.incoming) if org.tower_id]
    return {tower.integrator_id for tower in towers if tower is not None and tower.integrator_id}


permissions.register(Transition, parties=["outgoing", "incoming"], owner=_integrators)
permissions.register(
    TransitionStep,
    parties=["transition__outgoing", "transition__incoming"],
    owner=lambda step: _integrators(step.transition),
)
permissions.define_action(MANAGE, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
