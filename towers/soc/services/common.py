"""What the SOC services share: the timeline line and audit snapshots."""

from __future__ import annotations

from towers.core.actor import Actor
from towers.soc.models import CaseEvent, SecurityCase

ALERT_FIELDS = ["title", "severity", "status", "count", "suppressed_until", "case"]
CASE_FIELDS = ["reference", "title", "severity", "status", "tlp", "pap", "incident", "ci"]


def timeline(case: SecurityCase, kind: str, actor: Actor, body: str = "") -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor_label=actor.label, body=body)
