"""Who works tickets and who only raises them."""

from towers.core.actor import Actor
from towers.core.roles import Role

WORKER_ROLES = (Role.AGENT, Role.RESOLVER, Role.TEAM_LEAD, Role.SERVICE_MANAGER, Role.ADMINISTRATOR, Role.SOC_ANALYST)


def is_requester_only(actor: Actor) -> bool:
    """An officer raising their own tickets, not someone who works them (auditors read everything)."""
    return not actor.is_system and not actor.has_role(*WORKER_ROLES, Role.AUDITOR)
