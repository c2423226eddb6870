"""Segregation of SOC intake: quarantines, counters and evaluation records belong to the SOC's organisation."""

from __future__ import annotations

from towers.core import permissions
from towers.core.roles import Role
from towers.soc.models.intake import EvaluatedEvent, IntakeCounter, QuarantinedEvent

for model in (QuarantinedEvent, IntakeCounter, EvaluatedEvent):
    permissions.register(model, parties=["organisation"], owner="organisation")

permissions.define_action("soc.intake.submit", roles=[Role.SOC_ANALYST, Role.ADMINISTRATOR])
