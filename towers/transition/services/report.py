"""What a transition run did or would do: each step kept for the log, counted and sampled for the report."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from towers.core import audit

SHOWN = 20  # items of each kind in the report; the step log keeps every one

# The order the report lists step kinds in, and how each reads.
KINDS = {
    "ticket_rehomed": "Open tickets handed to the incoming team",
    "assignment_rule_repointed": "Queues (assignment rules) re-pointed",
    "ci_moved": "Configuration items moved",
    "service_owner_moved": "Services now owned by the incoming supplier",
    "offering_moved": "Service offerings now delivered by the incoming supplier",
    "service_level_ended": "Service levels ended",
    "service_level_created": "Service levels created for the incoming supplier",
    "bond_paused": "Ticket bonds to the outgoing supplier's tool paused",
    "integration_repointed": "Incoming supplier's integrations given the teams taking over",
    "bond_created": "Tickets bonded to the incoming supplier's tool (a create owed)",
    "bond_resumed": "Tickets bonded again to the incoming supplier's tool (an update owed)",
    "integration_paused": "Outgoing supplier's integrations paused",
    "webhook_paused": "Outgoing supplier's webhook subscriptions paused",
}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass(frozen=True)
class Step:
    kind: str
    obj: models.Model
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    label: str = ""  # how the step names its record, where the record's own name says little (a bond)

    @property
    def shown_as(self) -> str:
        return (self.label or str(self.obj))[:300]


@dataclass
class TransitionReport:
    dry_run: bool
    effective_at: datetime
    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    to_set_up: list[str] = field(default_factory=list)

    def add(
        self,
        kind: str,
        obj: models.Model,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        *,
        label: str = "",
    ) -> None:
        self.steps.append(Step(kind, obj, before, after, label))

    @staticmethod
    def as_plain(value: Any) -> Any:
        return _plain(value)

    def counts(self) -> dict[str, int]:
        counted: defaultdict[str, int] = defaultdict(int)
        for step in self.steps:
            counted[step.kind] += 1
        return {kind: counted[kind] for kind in KINDS}

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: stored as the transition's last dry-run report and returned by the API."""
        sampled: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for step in self.steps:
            if len(sampled[step.kind]) < SHOWN:
                sampled[step.kind].append(
                    {
                        "type": audit.object_type(step.obj),
                        "id": str(step.obj.pk),
                        "repr": step.shown_as,
                        "before": _plain(step.before),
                        "after": _plain(step.after),
                    }
                )
        counts = self.counts()
        return {
            "dry_run": self.dry_run,
            "effective_at": self.effective_at.isoformat(),
            "steps": [
                {"kind": kind, "label": label, "count": counts[kind], "items": sampled.get(kind, [])}
                for kind, label in KINDS.items()
            ],
            "problems": list(self.problems),
            "notes": list(self.notes),
            "to_set_up": list(self.to_set_up),
        }
