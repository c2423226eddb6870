"""Segregation of the SOC: its records are seen by the SOC's organisation (and the authority, which sees everything).

A supplier never sees a case; it sees the incident the case raised to its team, which is an ordinary
service desk ticket segregated by that ticket's own parties.
"""

from __future__ import annotations

from towers.core import permissions
from towers.core.roles import Role
from towers.soc.models import (
    Alert,
    CaseClock,
    CaseEvent,
    CaseNote,
    CaseTask,
    DetectionRule,
    Indicator,
    Observable,
    SecurityCase,
    Suppression,
)

for model in (DetectionRule, Alert, Suppression, SecurityCase):
    permissions.register(model, parties=["organisation"], owner="organisation")
permissions.register(Indicator, parties=["organisation"], owner="organisation")
for child in (CaseTask, Observable, CaseNote, CaseEvent, CaseClock):
    permissions.register(child, parties=["case__organisation"], owner="case.organisation")

permissions.define_action("soc.triage", roles=[Role.SOC_ANALYST, Role.TEAM_LEAD, Role.ADMINISTRATOR])
permissions.define_action("soc.hand_off", roles=[Role.SOC_ANALYST, Role.TEAM_LEAD, Role.ADMINISTRATOR])
permissions.define_action("soc.tune", roles=[Role.SOC_ANALYST, Role.TEAM_LEAD, Role.ADMINISTRATOR])
