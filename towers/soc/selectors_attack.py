"""The ATT&CK heat map: visible alerts counted by tactic and technique, in the enterprise matrix's tactic order."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from towers.core.actor import Actor
from towers.core.permissions import visible_to
from towers.soc.models import Alert

TACTIC_ORDER = (
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
)
UNMAPPED = "unmapped"  # techniques on alerts whose rule names no tactic
HEAT_LEVELS = 5


@dataclass(frozen=True)
class TechniqueCell:
    technique: str
    alerts: int
    events: int
    heat: int  # 0..HEAT_LEVELS, relative to the busiest cell


@dataclass(frozen=True)
class TacticColumn:
    tactic: str
    alerts: int
    techniques: list[TechniqueCell]

    @property
    def label(self) -> str:
        return self.tactic.replace("-", " ").title().replace(" And ", " and ")


@dataclass(frozen=True)
class AttackMatrix:
    columns: list[TacticColumn]
    alerts: int  # alerts counted, each once however many tactics it names
    busiest: int  # the largest cell, which sets the heat scale


def heat(count: int, busiest: int) -> int:
    return 0 if count <= 0 or busiest <= 0 else max(1, math.ceil(HEAT_LEVELS * count / busiest))


def attack_heatmap(*, actor: Actor, since: datetime | None = None) -> AttackMatrix:
    """Each technique under each tactic of the alerts naming it; one query.

    Alerts keep tactics and techniques as separate lists (Sigma tags do not pair them), so a technique is counted
    under every tactic its alert names, as the matrix itself lists one technique under several tactics.
    """
    qs = visible_to(actor, Alert.objects)
    if since is not None:
        qs = qs.filter(last_seen__gte=since)
    alerts_by_cell: Counter[tuple[str, str]] = Counter()
    events_by_cell: Counter[tuple[str, str]] = Counter()
    alerts_by_tactic: Counter[str] = Counter()
    total = 0
    for tactics, techniques, count in qs.order_by().values_list("tactics", "techniques", "count"):
        total += 1
        columns = sorted(set(tactics or [])) or [UNMAPPED]
        for tactic in columns:
            alerts_by_tactic[tactic] += 1
            for technique in sorted(set(techniques or [])):
                alerts_by_cell[tactic, technique] += 1
                events_by_cell[tactic, technique] += count
    busiest = max(alerts_by_cell.values(), default=0)
    extra = sorted(t for t in alerts_by_tactic if t not in TACTIC_ORDER and t != UNMAPPED)
    order = [*TACTIC_ORDER, *extra, *([UNMAPPED] if UNMAPPED in alerts_by_tactic else [])]
    columns = []
    for tactic in order:
        cells = sorted(
            (
                TechniqueCell(technique, n, events_by_cell[tactic, technique], heat(n, busiest))
                for (column, technique), n in alerts_by_cell.items()
                if column == tactic
            ),
            key=lambda cell: (-cell.alerts, cell.technique),
        )
        columns.append(TacticColumn(tactic, alerts_by_tactic[tactic], cells))
    return AttackMatrix(columns=columns, alerts=total, busiest=busiest)
