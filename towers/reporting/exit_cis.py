"""The CIs part: each CI the supplier owns or supports, with its attributes, relationships and audit history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import Prefetch, Q

from towers.cmdb.models import ConfigurationItem, Relationship
from towers.cmdb.selectors import UNSEEN_CI, hidden_attributes, visible_ci_ids
from towers.core.audit import object_type
from towers.core.models import AuditEntry
from towers.reporting.exit_scope import PackScope, batches
from towers.reporting.exit_writer import Part, Row

COLUMNS = (
    ("id", "the CI's UUID"),
    ("ci_class", "its class (application, server, …)"),
    ("name", "its name"),
    ("owner", "the owning organisation (code)"),
    ("support_team", "the supporting team (code)"),
    ("support_organisation", "that team's organisation (code)"),
    ("criticality", "1 critical … 4 low"),
    ("environment", "production, dr, test or development"),
    ("lifecycle", "planned, build, live, maintenance or retired"),
    ("service", "the catalogue service it delivers (code)"),
    ("offering", "the service offering (code)"),
    ("attributes", "its class's attributes, as JSON"),
    ("depends_on", "what it points at: 'type:name' separated by ';'"),
    ("used_by", "what points at it: 'type:name' separated by ';'"),
    ("history_entries", "entries in its audit history (cis.jsonl has them)"),
    ("created_at", "when it was recorded"),
    ("updated_at", "when it last changed"),
)
DESCRIPTION = (
    "Configuration items the supplier owns or whose support team is the supplier's. cis.jsonl holds each with "
    "`attributes`, `provenance` (which source wrote each attribute), `identifiers`, `relationships` (outgoing "
    "and incoming, other end named) and `history`: every audit entry for the CI, oldest first, with its "
    "sequence number and hash in the Towers audit chain. Commercial attributes are left out where a reader "
    "of the pack may not see them, and so are CIs at the other end of a relationship that a reader may not see."
)


def cis_of(scope: PackScope) -> Any:
    supplier = scope.supplier
    owned = ConfigurationItem.objects.filter(Q(owner=supplier) | Q(support_team__organisation=supplier))
    return scope.within(owned)


def _masked(side: dict[str, Any] | None, hidden: set[str], shown: set[str]) -> dict[str, Any] | None:
    if side is None:
        return None
    side = dict(side)
    for key in ("attributes", "provenance"):
        if isinstance(side.get(key), dict):
            side[key] = {k: v for k, v in side[key].items() if k not in hidden}
    if "target" in side and str(side["target"]) not in shown:
        side["target"], side["target_name"] = "", UNSEEN_CI
    return side


def _histories(batch: Sequence[ConfigurationItem]) -> dict[str, list[AuditEntry]]:
    """The audit entries of a batch of CIs in one query, keyed by CI id."""
    found: dict[str, list[AuditEntry]] = defaultdict(list)
    ids = [str(ci.pk) for ci in batch]
    entries = AuditEntry.objects.filter(object_type=object_type(batch[0]), object_id__in=ids).order_by("seq")
    for entry in entries:
        found[entry.object_id].append(entry)
    return found


def _shown_targets(scope: PackScope, histories: dict[str, list[AuditEntry]]) -> set[str]:
    targets = [
        side["target"] for entries in histories.values() for e in entries for side in (e.before, e.after)
        if isinstance(side, dict) and side.get("target")
    ]  # fmt: skip
    shown: set[str] | None = None
    for reader in scope.readers:
        seen = visible_ci_ids(reader, targets)
        shown = seen if shown is None else shown & seen
    return shown or set()


def _entry(entry: AuditEntry, hidden: set[str], shown: set[str]) -> dict[str, Any]:
    return {
        "seq": entry.seq, "at": entry.at, "action": entry.action, "actor": entry.actor_label,
        "organisation": entry.organisation_name, "channel": entry.channel,
        "before": _masked(entry.before, hidden, shown), "after": _masked(entry.after, hidden, shown),
        "hash": entry.hash,
    }  # fmt: skip


def _code(obj: Any) -> str | None:
    return getattr(obj, "code", None) if obj is not None else None


def ci_row(ci: ConfigurationItem, scope: PackScope, history: list[AuditEntry], shown: set[str]) -> Row:
    hidden = set().union(*(hidden_attributes(reader, ci) for reader in scope.readers))
    attributes = {k: v for k, v in ci.attributes.items() if k not in hidden}
    outgoing = [{"type": r.type, "id": r.target.id, "name": r.target.name} for r in ci.outgoing.all()]
    incoming = [{"type": r.type, "id": r.source.id, "name": r.source.name} for r in ci.incoming.all()]
    team = ci.support_team
    flat: dict[str, Any] = {
        "id": ci.id, "ci_class": ci.ci_class, "name": ci.name, "owner": _code(ci.owner),
        "support_team": _code(team), "support_organisation": _code(team.organisation) if team else None,
        "criticality": ci.criticality, "environment": ci.environment, "lifecycle": ci.lifecycle,
        "service": _code(ci.service), "offering": _code(ci.offering), "attributes": attributes,
        "depends_on": ";".join(f"{r['type']}:{r['name']}" for r in outgoing),
        "used_by": ";".join(f"{r['type']}:{r['name']}" for r in incoming),
        "history_entries": len(history), "created_at": ci.created_at, "updated_at": ci.updated_at,
    }  # fmt: skip
    obj = {
        **{k: v for k, v in flat.items() if k not in {"depends_on", "used_by", "history_entries"}},
        "provenance": {k: v for k, v in ci.provenance.items() if k not in hidden},
        "identifiers": [f"{i.key}={i.value}" for i in ci.identifiers.all() if i.key not in hidden],
        "relationships": {"outgoing": outgoing, "incoming": incoming},
        "history": [_entry(e, hidden, shown) for e in history],
    }
    return obj, flat


def _rows(scope: PackScope) -> Iterator[Row]:
    visible = scope.within(ConfigurationItem.objects.all()).values("pk")
    cis = cis_of(scope).select_related("owner", "support_team__organisation", "service", "offering").prefetch_related(
        Prefetch("outgoing", Relationship.objects.filter(target__in=visible).select_related("target").order_by(
            "type", "target__name")),
        Prefetch("incoming", Relationship.objects.filter(source__in=visible).select_related("source").order_by(
            "type", "source__name")),
        "identifiers",
    )  # fmt: skip
    for batch in batches(cis):
        histories = _histories(batch)
        shown = _shown_targets(scope, histories)
        for ci in batch:
            yield ci_row(ci, scope, histories.get(str(ci.pk), []), shown)


def cis_part(scope: PackScope) -> Part:
    return Part("cis", "Configuration items with relationships and history", DESCRIPTION, COLUMNS,
                lambda: _rows(scope))  # fmt: skip
