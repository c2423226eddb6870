"""The decisions of a CMDB import, as plain data: reading an item, resolving order, attribute authority, the report.

No Django here. The import service (towers.cmdb.services.reconcile) looks things up and writes; this module
says what an item means, which items must be resolved before which, and whether a source may overwrite a
value, so those rules can be tested and timed alone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from towers.cmdb.classes import CLASSES, coerce, lineage
from towers.cmdb.identification import family, identifier_values

FIELDS = ("criticality", "environment", "lifecycle")
ITEM_KEYS = {"class", "native_key", "name", "owner", "support_team", *FIELDS, "attributes", "relationships", "line"}
CSV_COLUMNS = ("class", "native_key", "name", "owner", "support_team", *FIELDS)
Identifier = tuple[str, str, str]  # (family, rule key, value), as CIIdentifier stores it


# Reading items


@dataclass(frozen=True)
class TargetRef:
    """Where a relationship points: a native key of the importing source, or identifying values of a class."""

    ci_class: str = ""
    native_key: str = ""
    name: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def identifiers(self) -> set[Identifier]:
        if not self.ci_class:
            return set()
        found = identifier_values(self.ci_class, self.name, self.attributes)
        return {(family(self.ci_class), key, value) for key, value in found}


@dataclass(frozen=True)
class RelationshipRef:
    type: str
    target: TargetRef


@dataclass
class ItemIn:
    """One incoming CI, typed; `problems` by field when it cannot be imported at all."""

    index: int
    line: int | None = None
    ci_class: str = ""
    native_key: str = ""
    name: str = ""
    owner: str = ""
    support_team: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: list[RelationshipRef] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, name: str, message: str) -> None:
        self.problems.setdefault(name, []).append(message)

    def identifiers(self) -> set[Identifier]:
        """The identification keys the item carries by itself (dependent ones need its targets resolved)."""
        if self.problems:
            return set()
        return {(family(self.ci_class), k, v) for k, v in identifier_values(self.ci_class, self.name, self.attributes)}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def read_item(
    index: int, raw: Any, *, choices: Mapping[str, Collection[Any]], relationship_types: Collection[str]
) -> ItemIn:
    """Check one raw item's shape, class, field values and typed attributes; record each problem by field."""
    if not isinstance(raw, Mapping):
        item = ItemIn(index)
        item.problem("item", "must be an object")
        return item
    line = raw.get("line")
    item = ItemIn(index, line if isinstance(line, int) else None, _text(raw.get("class")))
    item.native_key, item.name = _text(raw.get("native_key")), _text(raw.get("name"))
    item.owner, item.support_team = _text(raw.get("owner")), _text(raw.get("support_team"))
    for unknown in sorted(set(raw) - ITEM_KEYS):
        item.problem(str(unknown), f"unknown key (allowed: {', '.join(sorted(ITEM_KEYS - {'line'}))})")
    if item.ci_class not in CLASSES:
        item.problem("class", f"{item.ci_class!r} is not a CI class" if item.ci_class else "is required")
        return item
    for name in FIELDS:
        value = raw.get(name)
        if value is None or value == "":
            continue
        allowed = choices[name]
        typed: Any = _text(value)
        if all(isinstance(c, int) for c in allowed):
            typed = int(typed) if typed.isdigit() else typed
        if typed in allowed:
            item.fields[name] = typed
        else:
            item.problem(name, f"{value!r} is not one of {', '.join(str(c) for c in allowed)}")
    attributes = raw.get("attributes") or {}
    if not isinstance(attributes, Mapping):
        item.problem("attributes", "must be an object of attribute names and values")
        attributes = {}
    for name, value in attributes.items():
        try:
            typed = coerce(item.ci_class, str(name), value)
        except ValueError as exc:
            item.problem(f"attributes.{name}", str(exc).split(": ", 1)[-1])
            continue
        if typed is not None:  # an empty value is "not reported", never "remove it"
            item.attributes[str(name)] = typed
    _read_relationships(item, raw.get("relationships") or [], relationship_types)
    return item


def _read_relationships(item: ItemIn, raw: Any, types: Collection[str]) -> None:
    if not isinstance(raw, list):
        item.problem("relationships", "must be a list")
        return
    for number, entry in enumerate(raw):
        where = f"relationships[{number}]"
        target = entry.get("target") if isinstance(entry, Mapping) else None
        if not isinstance(entry, Mapping) or not isinstance(target, Mapping):
            item.problem(where, 'must be {"type": …, "target": {…}}')
            continue
        kind = _text(entry.get("type"))
        if kind not in types:
            item.problem(f"{where}.type", f"{kind!r} is not one of {', '.join(sorted(types))}")
            continue
        ref = TargetRef(_text(target.get("class")), _text(target.get("native_key")), _text(target.get("name")))
        attributes = target.get("attributes") or {}
        if ref.ci_class and ref.ci_class not in CLASSES:
            item.problem(f"{where}.target.class", f"{ref.ci_class!r} is not a CI class")
        elif not isinstance(attributes, Mapping):
            item.problem(f"{where}.target.attributes", "must be an object")
        elif not ref.native_key and not ref.ci_class:
            item.problem(f"{where}.target", "needs a native_key, or a class with identifying attributes")
        else:
            ref = TargetRef(ref.ci_class, ref.native_key, ref.name, {str(k): v for k, v in attributes.items()})
            if not ref.native_key and not ref.identifiers():
                item.problem(f"{where}.target", f"names nothing that identifies a {CLASSES[ref.ci_class].label}")
            else:
                item.relationships.append(RelationshipRef(kind, ref))


# Order: targets before the items that point at them


def dependencies(items: Sequence[ItemIn]) -> list[set[int]]:
    """For each item, the positions of the items in `items` that its relationships point at."""
    by_key: dict[str, int] = {}
    by_identifier: dict[Identifier, int] = {}
    for position, item in enumerate(items):
        if item.native_key:
            by_key.setdefault(item.native_key, position)
        for identifier in item.identifiers():
            by_identifier.setdefault(identifier, position)
    found: list[set[int]] = []
    for position, item in enumerate(items):
        targets = set()
        for relationship in item.relationships:
            ref = relationship.target
            if ref.native_key and ref.native_key in by_key:
                targets.add(by_key[ref.native_key])
            targets |= {by_identifier[i] for i in ref.identifiers() if i in by_identifier}
        found.append(targets - {position})
    return found


def dependency_levels(depends_on: Sequence[set[int]]) -> list[list[int]]:
    """Positions grouped so every item's targets sit in an earlier group; items caught in a cycle come last."""
    waiting = {i: set(targets) for i, targets in enumerate(depends_on)}
    levels = []
    while ready := sorted(i for i, targets in waiting.items() if not targets):
        levels.append(ready)
        for i in ready:
            del waiting[i]
        for targets in waiting.values():
            targets.difference_update(ready)
    return [*levels, sorted(waiting)] if waiting else levels


# Authority: may this source overwrite this value?


@dataclass(frozen=True)
class Authority:
    """One source's standing on one attribute of a class: an AttributeRule, as plain data."""

    source: str
    priority: int
    stale_after: timedelta | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""  # a stable code when refused: "not_authoritative" or "higher_priority"
    detail: str = ""


ALLOWED = Verdict(True)


def rules_for(
    lineage: Sequence[str], attribute: str, rules: Mapping[tuple[str, str], Sequence[Authority]]
) -> Sequence[Authority]:
    """The rules of the nearest class (the CI's own first, then its ancestors') that has any for `attribute`."""
    for ci_class in lineage:
        if found := rules.get((ci_class, attribute)):
            return found
    return ()


def _written_at(stamp: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(stamp.get("at")))
    except ValueError:
        return None


def judge(
    *,
    source: str,
    priority: int,
    stamp: Mapping[str, Any] | None,
    rules: Sequence[Authority],
    priorities: Mapping[str, int],
    now: datetime,
) -> Verdict:
    """May `source` (default `priority`) write a value whose current one carries the provenance `stamp`?

    With rules for the attribute, only their sources may write it, and a higher-priority (lower number)
    holder keeps it until it goes stale. Without rules, sources compare by their default priority and a
    value never goes stale. A value nobody stamped (typed in by a person) may be written.
    """
    holder = str((stamp or {}).get("source") or "")
    if not rules:
        held = priorities.get(holder) if holder and holder != source else None
        if held is None or held >= priority:
            return ALLOWED
        return Verdict(False, "higher_priority", f"{holder} (priority {held}) outranks {source} (priority {priority})")
    mine = next((r for r in rules if r.source == source), None)
    if mine is None:
        listed = ", ".join(f"{r.source} ({r.priority})" for r in sorted(rules, key=lambda r: r.priority))
        return Verdict(False, "not_authoritative", f"{source} is not authoritative for it; these are: {listed}")
    theirs = next((r for r in rules if r.source == holder), None) if holder != source else None
    # A holder the rules no longer name has no standing left.
    if theirs is None or theirs.priority >= mine.priority:
        return ALLOWED
    written = _written_at(stamp or {})
    if theirs.stale_after is None:
        until = "its value does not go stale"
    elif written is None or written + theirs.stale_after <= now:  # an undated value cannot prove it is fresh
        return ALLOWED
    else:
        until = f"its value is fresh until {(written + theirs.stale_after).isoformat(timespec='minutes')}"
    return Verdict(
        False, "higher_priority", f"{holder} (priority {theirs.priority}) outranks {source} ({mine.priority}); {until}"
    )


@dataclass(frozen=True)
class Current:
    """An existing CI's values as plain data: its attributes with their provenance, and its fields."""

    id: str
    attributes: Mapping[str, Any]
    provenance: Mapping[str, Any]
    fields: Mapping[str, Any]  # name, owner, support_team (codes), criticality, environment, lifecycle


@dataclass
class Plan:
    """What an item would change on its CI, and what it may not."""

    attributes: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)  # equal values the source now vouches for
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class Reconciler:
    """One source's standing in a batch: its default priority, the attribute rules and every source's priority."""

    source: str
    priority: int
    rules: Mapping[tuple[str, str], Sequence[Authority]]
    priorities: Mapping[str, int]
    now: datetime

    def plan(
        self, ci_class: str, attributes: Mapping[str, Any], fields: Mapping[str, Any], current: Current | None
    ) -> Plan:
        """Judge each incoming value against the current one (None for a new CI); the owner is never taken."""
        chain, plan = [c.name for c in lineage(ci_class)], Plan()
        have = current or Current("", {}, {}, {})
        values = [(name, have.attributes.get(name), value, True) for name, value in attributes.items()]
        values += [(name, have.fields.get(name), value, False) for name, value in fields.items() if name != "owner"]
        for name, was, value, is_attribute in values:
            # Only attributes carry provenance (the services stamp none for fields), so rules alone decide fields.
            stamp = have.provenance.get(name) if is_attribute else None
            verdict = judge(
                source=self.source,
                priority=self.priority,
                stamp=stamp,
                rules=rules_for(chain, name, self.rules),
                priorities=self.priorities,
                now=self.now,
            )
            if was == value:
                if verdict.allowed and is_attribute:
                    plan.confirmed.add(name)
            elif verdict.allowed:
                (plan.attributes if is_attribute else plan.fields)[name] = value
            else:
                current_source = (stamp or {}).get("source")
                plan.conflicts.append(
                    Conflict(name, was, current_source, value, self.source, verdict.reason, verdict.detail)
                )
        if current and fields.get("owner") and fields["owner"] != have.fields.get("owner"):
            detail = "ownership is changed in the CMDB by a person, not by an import"
            was = have.fields.get("owner")
            plan.conflicts.append(Conflict("owner", was, None, fields["owner"], self.source, "owner_change", detail))
        for conflict in plan.conflicts:
            conflict.ci = have.id or None
        return plan


# The report


@dataclass
class Conflict:
    """An incoming value that was not written, and why; `ci` is the CI it concerns."""

    attribute: str
    current_value: Any
    current_source: str | None
    incoming_value: Any
    incoming_source: str
    reason: str
    detail: str
    ci: str | None = None


@dataclass
class ItemReport:
    index: int
    line: int | None
    native_key: str
    outcome: str = "rejected"  # created, updated, unchanged or rejected
    ci: str | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)


OUTCOMES = ("created", "updated", "unchanged", "rejected")


@dataclass
class CmdbImportReport:
    source: str
    dry_run: bool
    items: list[ItemReport] = field(default_factory=list)
    batches: int = 1

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for item in self.items:
            counts[item.outcome] += 1
        return {"items": len(self.items), **counts, "conflicts": sum(len(i.conflicts) for i in self.items)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "batches": self.batches,
            "totals": self.totals(),
            "items": [asdict(item) for item in self.items],
        }


# CSV: one CI a row


class LayoutError(ValueError):
    """The file's layout (not one row) is wrong; `field` says where."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


_ATTRIBUTE_REF = re.compile(r"(?P<cls>[a-z_]+):(?P<attr>[a-z_]+)=(?P<value>.+)")


def target_from_text(text: str) -> dict[str, Any]:
    """A CSV relationship cell: a native key of the same source, or `class:attribute=value`."""
    match = _ATTRIBUTE_REF.fullmatch(text)
    if match is None or match["cls"] not in CLASSES:  # native keys may contain ':' and '=' too
        return {"native_key": text}
    if match["attr"] == "name":
        return {"class": match["cls"], "name": match["value"]}
    return {"class": match["cls"], "attributes": {match["attr"]: match["value"]}}


def items_from_csv(text: str) -> list[dict[str, Any]]:
    """Rows as import items: `attr.<name>` columns become attributes, `rel.<type>` cells relationships.

    A relationship cell may hold several targets separated by ';'. Each item carries its `line` (the header
    is line 1) so a report names the row a person can find in the file.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip() for h in reader.fieldnames or []]
    if not header:
        raise LayoutError("file", "is empty: the first line must name the columns")
    unknown = [h for h in header if h not in CSV_COLUMNS and not h.startswith(("attr.", "rel."))]
    if unknown or "class" not in header:
        problems = [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        problems += [] if "class" in header else ["missing required column: class"]
        allowed = ", ".join(CSV_COLUMNS)
        raise LayoutError("columns", "; ".join(problems) + f" (allowed: {allowed}, attr.<name>, rel.<type>)")
    reader.fieldnames = header
    items = []
    for row in reader:
        item: dict[str, Any] = {"line": reader.line_num, "attributes": {}, "relationships": []}
        for column, cell in row.items():
            value = (cell or "").strip() if isinstance(cell, str) else ""
            if column is None or not value:
                continue
            if column.startswith("attr."):
                item["attributes"][column[5:]] = value
            elif column.startswith("rel."):
                for part in filter(None, (p.strip() for p in value.split(";"))):
                    item["relationships"].append({"type": column[4:], "target": target_from_text(part)})
            else:
                item[column] = value
        items.append(item)
    return items
