"""What the SOC services share: the timeline line, audit snapshots and finding the CMDB asset of a host."""

from __future__ import annotations

from django.db.models import Q

from towers.cmdb.models import ConfigurationItem
from towers.core.actor import Actor
from towers.soc.models import CaseEvent, SecurityCase
from towers.soc.observables import short_host

ALERT_FIELDS = ["title", "severity", "status", "count", "suppressed_until", "case"]
CASE_FIELDS = ["reference", "title", "severity", "status", "tlp", "pap", "incident", "ci"]


def timeline(case: SecurityCase, kind: str, actor: Actor, body: str = "") -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=kind, actor_label=actor.label, body=body)


def ci_for_host(host: str) -> ConfigurationItem | None:
    """The CMDB asset named as the host (fully qualified or short); the highest criticality when several match."""
    if not host:
        return None
    query = Q(name__iexact=host) | Q(name__iexact=short_host(host))
    candidates = ConfigurationItem.objects.select_related("service", "owner", "support_team").filter(query)
    return min(candidates, key=lambda ci: (ci.criticality, str(ci.pk)), default=None)
