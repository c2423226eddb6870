"""Segregation of monitoring intake: received alerts belong to the organisation whose monitoring sent them."""

from __future__ import annotations

from towers.core import permissions
from towers.core.roles import Role
from towers.integration.models_monitoring import MonitoringAlert

permissions.register(MonitoringAlert, parties=["organisation"], owner="organisation")

# The token Alertmanager posts with is a desk or operations account of the monitoring organisation.
permissions.define_action(
    "monitoring.submit", roles=[Role.AGENT, Role.RESOLVER, Role.TEAM_LEAD, Role.SERVICE_MANAGER, Role.ADMINISTRATOR]
)
