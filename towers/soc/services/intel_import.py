"""Importing a STIX bundle with a row-by-row report (and its dry run), around `indicators_import`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from towers.core.actor import Actor
from towers.organisations.models import Organisation
from towers.soc.models import Indicator
from towers.soc.services.intel import ImportReport, indicators_import

# Every field indicators_import sets: a change in any one makes the row an update.
_COMPARED = (
    "name",
    "pattern",
    "type",
    "value",
    "observables",
    "labels",
    "valid_from",
    "valid_until",
    "confidence",
    "source",
)


@dataclass(frozen=True)
class ImportRow:
    stix_id: str
    name: str
    outcome: str  # created, updated, unchanged or skipped
    reason: str = ""


@dataclass
class BundleImport:
    source: str
    dry_run: bool
    totals: dict[str, int]  # created, updated, unchanged, skipped
    rows: list[ImportRow] = field(default_factory=list)

    @classmethod
    def of_rows(cls, source: str, dry_run: bool, rows: list[ImportRow]) -> BundleImport:
        totals = {o: sum(1 for row in rows if row.outcome == o) for o in ("created", "updated", "unchanged", "skipped")}
        return cls(source, dry_run, totals, rows)


def _states(organisation: Organisation, stix_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    rows = Indicator.objects.filter(organisation=organisation, stix_id__in=stix_ids).values_list("stix_id", *_COMPARED)
    return {row[0]: row[1:] for row in rows}


def _outcomes(
    objects: list[Any], unsupported: dict[str, str], before: dict[str, tuple[Any, ...]], after: dict[str, Any]
) -> list[ImportRow]:
    rows = []
    for obj in objects:
        if not isinstance(obj, Mapping):
            rows.append(ImportRow("", "", "skipped", "not a STIX object"))
            continue
        stix_id, name = str(obj.get("id", "")), str(obj.get("name") or obj.get("pattern") or "")[:300]
        if obj.get("type") != "indicator":
            rows.append(ImportRow(stix_id, name, "skipped", f"not an indicator ({obj.get('type')})"))
        elif stix_id in unsupported:
            rows.append(ImportRow(stix_id, name, "skipped", unsupported[stix_id]))
        elif stix_id not in before:
            rows.append(ImportRow(stix_id, name, "created"))
        else:
            rows.append(ImportRow(stix_id, name, "updated" if before[stix_id] != after.get(stix_id) else "unchanged"))
    return rows


def bundle_import(
    *, actor: Actor, organisation: Organisation, bundle: Mapping[str, Any], source: str, dry_run: bool
) -> BundleImport:
    """Import a STIX bundle through `indicators_import` and say what happened to each object, and why.

    A dry run is the same import rolled back, so it is checked exactly as the real one (permission, bundle,
    patterns) and changes nothing, not even the audit log.
    """
    objects = bundle.get("objects") if isinstance(bundle.get("objects"), list) else []
    ids = [str(o.get("id", "")) for o in objects or [] if isinstance(o, Mapping) and o.get("type") == "indicator"]
    with transaction.atomic():
        before = _states(organisation, ids)
        report = indicators_import(actor=actor, organisation=organisation, bundle=bundle, source=source)
        after = _states(organisation, ids)
        if dry_run:
            transaction.set_rollback(True)
    rows = _outcomes(list(objects or []), dict(report.unsupported), before, after)
    return BundleImport.of_rows(source, dry_run, rows)


def taxii_report(*, report: ImportReport, source: str) -> BundleImport:
    """A TAXII fetch's outcome in the same shape: its counts, and each skipped indicator with its reason."""
    rows = [ImportRow(stix_id, "", "skipped", reason) for stix_id, reason in report.unsupported]
    totals = report.as_dict() | {"skipped": len(rows)}
    totals.pop("unsupported")
    return BundleImport(source, False, totals, rows)
