"""CMDB import: identify each incoming CI, reconcile its values by source authority, write through the CI services.

Identification follows ServiceNow's IRE: the source's own key for the CI if it reported it before, then
the class family's identification rules in order (dependent rules once the item's targets are resolved,
so a batch is taken in dependency order), else a new CI. Authority follows iTop: per attribute, rules
name the sources that may write it and their priority, and a higher-priority value stands until it goes
stale. Each item is applied in its own savepoint, so a bad one is reported and the rest go ahead; a dry
run does the same work and rolls it back, so its report is the one a real run gives. Lookups are made
for the whole batch (or one dependency level of it) at once, and new CIs with no relationship to write are
checked one by one but inserted, audited and evented together: the per-item cost is the other writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from typing import Any, TypeVar
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from towers.cmdb.classes import CLASSES, attributes_of, descendants
from towers.cmdb.identification import family, identifier_values
from towers.cmdb.models import (
    AttributeRule,
    CIIdentifier,
    ConfigurationItem,
    Criticality,
    DataSource,
    Environment,
    Lifecycle,
    Relationship,
    RelationshipType,
    SourceKey,
)
from towers.cmdb.reconciliation import (
    Authority,
    CmdbImportReport,
    Conflict,
    Current,
    Identifier,
    ItemIn,
    ItemReport,
    LayoutError,
    Plan,
    Reconciler,
    RelationshipRef,
    dependencies,
    dependency_levels,
    items_from_csv,
    read_item,
)
from towers.cmdb.selectors import may_see_commercials
from towers.cmdb.services.items import (
    ci_build,
    ci_create,
    ci_create_many,
    ci_update,
    clean_attributes,
    relationship_create,
)
from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.core.permissions import ensure_can, permitted, visible_to
from towers.organisations.models import Organisation, Team

MAX_ITEMS = 500
# Lookups go in chunks below SQLite's limit on query parameters.
CHUNK = 900
CHOICES: dict[str, list[Any]] = {
    "criticality": Criticality.values,
    "environment": Environment.values,
    "lifecycle": Lifecycle.values,
}
RELATIONSHIP_TYPES = frozenset(RelationshipType.values)
UNSEEN = "a CI you may not see"
REFUSED_ITEM = (ValidationFailed, NotFound, Forbidden, StaleVersion)
Progress = Callable[[int], None]
T = TypeVar("T")


class _DryRunRollback(Exception):
    pass


def ci_import(
    *,
    actor: Actor,
    source: DataSource,
    items: list[dict[str, Any]],
    dry_run: bool,
    progress: Progress | None = None,
) -> CmdbImportReport:
    """Reconcile up to MAX_ITEMS CIs reported by `source` into the CMDB; the report says what happened to each."""
    ensure_can(actor, "cmdb.import", source.organisation)
    if len(items) > MAX_ITEMS:
        raise ValidationFailed.one("items", f"at most {MAX_ITEMS} items per import, not {len(items)}: send batches")
    report = CmdbImportReport(source.code, dry_run)
    try:
        with transaction.atomic():
            report.items = _Import(actor, source, items, progress).run()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def ci_import_batches(
    *,
    actor: Actor,
    source: DataSource,
    items: list[dict[str, Any]],
    dry_run: bool,
    progress: Progress | None = None,
    batch_size: int = MAX_ITEMS,
) -> CmdbImportReport:
    """Any number of items, in batches ordered so that relationship targets come before what points at them.

    A real run commits batch by batch, so a long file never holds the audit chain for its whole length. A
    dry run runs every batch in one transaction and rolls it back, so later batches find what earlier ones
    would have written and the report is the one a real run would give; the price is that it holds the
    audit chain (and so other writers) for the whole file.
    """
    ensure_can(actor, "cmdb.import", source.organisation)
    order = [i for level in dependency_levels(dependencies(_read(items))) for i in level]
    report = CmdbImportReport(source.code, dry_run, batches=0)

    def run_all() -> None:
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            done = (lambda n, before=start: progress(before + n)) if progress else None
            part = ci_import(actor=actor, source=source, items=[items[i] for i in chunk], dry_run=False, progress=done)
            for item in part.items:
                item.index = chunk[item.index]
            report.items += part.items
            report.batches += 1

    try:
        with transaction.atomic() if dry_run else nullcontext():
            run_all()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    report.items.sort(key=lambda item: item.index)
    return report


def read_items_csv(data: bytes | str) -> list[dict[str, Any]]:
    """Import items from a CSV file (see reconciliation.items_from_csv for the columns)."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        return items_from_csv(text)
    except UnicodeDecodeError as exc:
        raise ValidationFailed.one("file", f"is not UTF-8 text (byte {exc.start} is not valid)") from None
    except LayoutError as exc:
        raise ValidationFailed.one(exc.field, str(exc)) from None


def _read(items: list[dict[str, Any]]) -> list[ItemIn]:
    return [read_item(i, raw, choices=CHOICES, relationship_types=RELATIONSHIP_TYPES) for i, raw in enumerate(items)]


def _chunks(values: Iterable[T]) -> Iterator[list[T]]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class _Import:
    """One batch: parsed, looked up in bulk, then applied level by level in dependency order."""

    def __init__(self, actor: Actor, source: DataSource, raw: list[dict[str, Any]], progress: Progress | None) -> None:
        self.actor, self.source, self.progress = actor, source, progress
        self.items = _read(raw)
        self.reports = [ItemReport(i.index, i.line, i.native_key, problems=i.problems) for i in self.items]
        self.now = timezone.now()
        self.done = 0
        self.ci_for_key: dict[str, UUID] = {}
        self.class_for_key: dict[str, str] = {}
        self.ci_for_identifier: dict[Identifier, UUID] = {}
        self.looked_up: set[Identifier] = set()
        self.cis: dict[UUID, ConfigurationItem] = {}  # loaded or written by this batch
        self.manageable: set[UUID] = set()
        self.checked: set[UUID] = set()  # CIs whose manageability is known
        self.visible: set[UUID] = set()  # CIs the actor may point a relationship at
        self.links: set[tuple[UUID, str, UUID]] = set()  # existing relationships of the CIs in hand
        self.seen: dict[str, UUID] = {}  # native keys to remember, with the CI each names
        self.unapplied: set[int] = set()  # positions of valid items not applied yet
        self.position_for_key = {i.native_key: i.index for i in reversed(self.items) if i.native_key}
        self.position_for_identifier = {x: i.index for i in reversed(self.items) for x in i.identifiers()}
        self.deferred: list[tuple[ItemIn, RelationshipRef]] = []

    def run(self) -> list[ItemReport]:
        self._resolve_codes()
        self._prefetch()
        self._tick(sum(1 for report in self.reports if report.problems))
        for level in dependency_levels(dependencies(self.items)):
            self._apply_level([self.items[i] for i in level if not self.items[i].problems])
        self._apply_deferred()
        if self.seen:
            now = timezone.now()
            SourceKey.objects.bulk_create(
                [SourceKey(source=self.source, native_key=k, ci_id=ci, last_seen=now) for k, ci in self.seen.items()],
                update_conflicts=True,
                unique_fields=["source", "native_key"],
                update_fields=["ci", "last_seen"],
            )
        return self.reports

    def _tick(self, count: int) -> None:
        self.done += count
        if self.progress and count:
            self.progress(self.done)

    def _resolve_codes(self) -> None:
        owners = {i.owner for i in self.items if i.owner}
        teams = {i.support_team for i in self.items if i.support_team}
        self.organisations = {o.code: o for o in visible_to(self.actor, Organisation.objects).filter(code__in=owners)}
        self.teams = {t.code: t for t in visible_to(self.actor, Team.objects).filter(code__in=teams)}
        for item in self.items:
            if item.owner and item.owner not in self.organisations:
                item.problem("owner", f"no organisation has the code {item.owner!r}")
            if item.support_team and item.support_team not in self.teams:
                item.problem("support_team", f"no team has the code {item.support_team!r}")
        self.unapplied = {i.index for i in self.items if not i.problems}

    def _prefetch(self) -> None:
        refs = [r.target for i in self.items for r in i.relationships]
        keys = {i.native_key for i in self.items if i.native_key} | {r.native_key for r in refs if r.native_key}
        for chunk in _chunks(sorted(keys)):
            found = SourceKey.objects.filter(source=self.source, native_key__in=chunk)
            for key, ci_id, ci_class in found.values_list("native_key", "ci_id", "ci__ci_class"):
                self.ci_for_key[key], self.class_for_key[key] = ci_id, ci_class
        self._load_identifiers(set().union(*(i.identifiers() for i in self.items), *(r.identifiers() for r in refs)))
        targets = {self.ci_for_key[r.native_key] for r in refs if r.native_key in self.ci_for_key}
        targets |= {self.ci_for_identifier[x] for r in refs for x in r.identifiers() if x in self.ci_for_identifier}
        self.cis.update(visible_to(self.actor, ConfigurationItem.objects).in_bulk(targets))
        self.visible = set(self.cis)
        # Rules and sources are reference data of a few hundred rows at most: read them whole.
        rules: dict[tuple[str, str], list[Authority]] = defaultdict(list)
        for rule in AttributeRule.objects.select_related("source").order_by("priority"):
            rules[(rule.ci_class, rule.attribute)].append(Authority(rule.source.code, rule.priority, rule.stale_after))
        priorities = dict(DataSource.objects.values_list("code", "priority"))
        self.reconciler = Reconciler(self.source.code, self.source.priority, rules, priorities, self.now)

    def _load_identifiers(self, wanted: set[Identifier]) -> None:
        missing = wanted - self.looked_up
        self.looked_up |= missing
        families, keys = {f for f, _, _ in missing}, {k for _, k, _ in missing}
        for chunk in _chunks(sorted({v for _, _, v in missing})):
            rows = CIIdentifier.objects.filter(family__in=families, key__in=keys, value__in=chunk)
            for family_, key, value, ci_id in rows.values_list("family", "key", "value", "ci_id"):
                if (family_, key, value) in missing:
                    self.ci_for_identifier[(family_, key, value)] = ci_id

    # Resolution

    def _target(self, item: ItemIn, number: int, relationship: RelationshipRef) -> UUID | None:
        """The CI a relationship points at; None when it must wait for an item later in this batch (a cycle)."""
        ref, where = relationship.target, f"relationships[{number}].target"
        if ref.native_key:
            found = self.ci_for_key.get(ref.native_key)
            pending = self.position_for_key.get(ref.native_key) in self.unapplied
            ci_class = self.class_for_key.get(ref.native_key, "")
            if found and ref.ci_class and ci_class and family(ci_class) != family(ref.ci_class):
                raise ValidationFailed.one(where, f"{ref.native_key!r} is a {CLASSES[ci_class].label}")
        else:
            matches = {self.ci_for_identifier[x] for x in ref.identifiers() if x in self.ci_for_identifier}
            if len(matches) > 1:
                raise ValidationFailed.one(where, "its values identify more than one CI")
            found = next(iter(matches), None)
            pending = any(self.position_for_identifier.get(x) in self.unapplied for x in ref.identifiers())
        if (found is None and not pending) or (found is not None and found not in self.visible):
            raise ValidationFailed.one(where, "no CI you can see matches it")
        return found

    def _resolve(self, item: ItemIn) -> list[tuple[str, UUID]]:
        links = []
        for number, relationship in enumerate(item.relationships):
            try:
                target = self._target(item, number, relationship)
            except ValidationFailed as exc:
                for name, messages in exc.fields.items():
                    item.problems.setdefault(name, []).extend(messages)
                continue
            if target is None:
                self.deferred.append((item, relationship))
            else:
                links.append((relationship.type, target))
        return links

    def _identify(self, item: ItemIn, related: dict[str, UUID]) -> UUID | None:
        """The existing CI the item is, if any; two rules naming two CIs is a conflict and stops the item."""
        if item.native_key in self.ci_for_key:
            return self.ci_for_key[item.native_key]
        kin = family(item.ci_class)
        matches = [
            (key, self.ci_for_identifier[(kin, key, value)])
            for key, value in identifier_values(item.ci_class, item.name, item.attributes, related)
            if (kin, key, value) in self.ci_for_identifier
        ]
        if len(ids := {ci for _, ci in matches}) > 1:
            shown = set(
                visible_to(self.actor, ConfigurationItem.objects).filter(pk__in=ids).values_list("pk", flat=True)
            )
            detail = "; ".join(f"{key} identifies {f'CI {ci}' if ci in shown else UNSEEN}" for key, ci in matches)
            self.reports[item.index].conflicts.append(
                Conflict("identification", None, None, None, self.source.code, "ambiguous", detail)
            )
            raise ValidationFailed.one("identification", "the item matches more than one CI; nothing was written")
        return matches[0][1] if matches else None

    def _apply_level(self, level: list[ItemIn]) -> None:
        links = {item.index: self._resolve(item) for item in level}
        items = [item for item in level if not item.problems]
        related = {item.index: dict(reversed(links[item.index])) for item in items}  # the first of each type
        self._load_identifiers(
            {
                (family(i.ci_class), key, value)
                for i in items
                for key, value in identifier_values(i.ci_class, i.name, i.attributes, related[i.index])
            }
        )
        found: dict[int, UUID | None] = {}
        for item in items:
            try:
                found[item.index] = self._identify(item, related[item.index])
            except ValidationFailed as exc:
                item.problems.update(exc.fields)
        existing = {ci for ci in found.values() if ci}
        if unchecked := existing - self.checked:  # a CI loaded only as a target is (re)loaded whole here
            cis = ConfigurationItem.objects.select_related("owner", "support_team")
            self.cis.update(cis.in_bulk(unchecked))
            self.manageable |= set(
                permitted(self.actor, "ci.manage", cis.filter(pk__in=unchecked)).values_list("pk", flat=True)
            )
            self.checked |= unchecked
        if existing:
            outgoing = Relationship.objects.filter(source_id__in=existing)
            self.links |= set(outgoing.values_list("source_id", "type", "target_id"))
        fresh: list[ItemIn] = []  # new CIs with no relationship to write, saved together
        for item in level:
            if item.index in found and not item.problems:
                if found[item.index] is None and not links[item.index]:
                    fresh.append(item)
                else:
                    self._create_fresh(fresh)  # first, so the items are written in the order given
                    fresh = []
                    self._apply(item, found[item.index], links[item.index])
            self.unapplied.discard(item.index)
            self._tick(1)
        self._create_fresh(fresh)

    # Writing

    def _apply(self, item: ItemIn, found: UUID | None, links: list[tuple[str, UUID]]) -> None:
        report = self.reports[item.index]
        if found is not None and found not in self.manageable:
            item.problem("ci", "it is an existing configuration item that you may not change")
            return
        ci = self.cis[found] if found is not None else None
        try:
            plan = self._plan(item, ci)
            new_links = [(k, target) for k, target in links if ci is None or (ci.pk, k, target) not in self.links]
            if ci is not None and not (plan.fields or plan.attributes or new_links):
                self._restamp(ci, plan.confirmed)
                report.outcome = "unchanged"
            else:
                # Each service call is atomic by itself: a savepoint is needed only to undo one call when a
                # later one fails, and skipping it for the usual single call saves two round trips an item.
                calls = (ci is None or bool(plan.fields or plan.attributes)) + len(new_links)
                with transaction.atomic() if calls > 1 else nullcontext():
                    ci, report.outcome = self._write(item, ci, plan)
                    for kind, target in new_links:
                        relationship_create(
                            actor=self.actor, source=ci, target=self.cis[target], type=kind, origin=self.source.code
                        )
                    if new_links and report.outcome == "unchanged":
                        report.outcome = "updated"
        except REFUSED_ITEM as exc:
            report.outcome = "rejected"
            item.problems.update(_problems(exc))
            if found is not None:
                self.cis[found].refresh_from_db()  # the savepoint undid what the services changed on it
            return
        report.ci, report.conflicts = str(ci.pk), plan.conflicts
        self._register(item, ci, links)
        self.links |= {(ci.pk, kind, target) for kind, target in new_links}

    def _create_fresh(self, items: list[ItemIn]) -> None:
        """New CIs without relationships to write: checked one by one in Python, then saved together.

        What only the database can settle goes the per-item way, in its turn: an item whose identification
        keys are already taken (to be rejected naming the CI that has them), and the whole run if the bulk
        insert fails after all. The outcomes are the ones `_apply` gives item by item.
        """
        built: list[tuple[ItemIn, Plan, ConfigurationItem]] = []
        for item in items:
            try:
                plan = self._plan(item, None)
                built.append((item, plan, ci_build(**self._new_ci(item, plan))))
            except REFUSED_ITEM as exc:
                self.reports[item.index].outcome = "rejected"
                item.problems.update(_problems(exc))
        keys = [_identifiers(ci) for _, _, ci in built]
        self._load_identifiers(set().union(*keys))
        ready: list[tuple[ItemIn, Plan, ConfigurationItem]] = []
        claimed: set[Identifier] = set()
        for (item, plan, ci), wanted in zip(built, keys, strict=True):
            if wanted & claimed or any(key in self.ci_for_identifier for key in wanted):
                self._save_fresh(ready)
                ready, claimed = [], set()
                self._apply(item, None, [])
            else:
                ready.append((item, plan, ci))
                claimed |= wanted
        self._save_fresh(ready)

    def _save_fresh(self, built: list[tuple[ItemIn, Plan, ConfigurationItem]]) -> None:
        if not built:
            return
        try:
            ci_create_many(actor=self.actor, cis=[ci for _, _, ci in built], source=self.source.code)
        except IntegrityError:  # a key taken since it was looked up: the per-item way finds which
            for item, _, _ in built:
                self._apply(item, None, [])
            return
        for item, plan, ci in built:
            for conflict in plan.conflicts:
                conflict.ci = str(ci.pk)
            report = self.reports[item.index]
            report.outcome, report.ci, report.conflicts = "created", str(ci.pk), plan.conflicts
            self._register(item, ci, [])

    def _new_ci(self, item: ItemIn, plan: Plan) -> dict[str, Any]:
        """The arguments of ci_create (or ci_build) for the CI a new item makes."""
        if not item.name or not item.owner:
            raise ValidationFailed.one("name" if not item.name else "owner", "is required to create a CI")
        return {
            "actor": self.actor,
            "ci_class": item.ci_class,
            "name": item.name,
            "attributes": plan.attributes,
            "source": self.source.code,
            "owner": self.organisations[item.owner],
            **plan.fields,
        }

    def _write(self, item: ItemIn, ci: ConfigurationItem | None, plan: Plan) -> tuple[ConfigurationItem, str]:
        code = self.source.code
        if ci is None:
            created = ci_create(**self._new_ci(item, plan))
            for conflict in plan.conflicts:
                conflict.ci = str(created.pk)
            return created, "created"
        version = ci.version
        ci_update(actor=self.actor, ci=ci, changes=plan.fields, attributes=plan.attributes or None, source=code)
        self._restamp(ci, plan.confirmed)
        return ci, "updated" if ci.version != version else "unchanged"

    def _plan(self, item: ItemIn, ci: ConfigurationItem | None) -> Plan:
        """What the item may change on its CI (a new one when `ci` is None), and the conflicts it meets."""
        upgrade = ci is not None and item.ci_class != ci.ci_class and item.ci_class in descendants(ci.ci_class)
        ci_class = item.ci_class if ci is None or upgrade else ci.ci_class
        # Reported as a related class (a server for a virtual machine): its values must suit the CI's class.
        attributes = item.attributes if ci_class == item.ci_class else clean_attributes(ci_class, item.attributes)
        fields = {**item.fields, "owner": item.owner, "support_team": item.support_team}
        current = None
        if ci is not None:
            fields["name"] = item.name  # a new CI takes its name and owner whatever the rules say
            team = ci.support_team.code if ci.support_team else ""
            state = {name: getattr(ci, name) for name in item.fields} | {"name": ci.name, "support_team": team}
            current = Current(str(ci.pk), ci.attributes, ci.provenance, state | {"owner": ci.owner.code})
        plan = self.reconciler.plan(ci_class, attributes, {k: v for k, v in fields.items() if v}, current)
        if "support_team" in plan.fields:
            plan.fields["support_team"] = self.teams[plan.fields["support_team"]]
        if ci is not None and ci_class != ci.ci_class:
            plan.fields["ci_class"] = ci_class
        if ci is not None and not may_see_commercials(self.actor, ci):
            # A supplier may support a CI whose costs it may not see: a conflict must not tell them.
            specs = attributes_of(ci_class)
            for conflict in plan.conflicts:
                if conflict.attribute in specs and specs[conflict.attribute].commercial:
                    conflict.current_value = None
        return plan

    def _restamp(self, ci: ConfigurationItem, names: set[str]) -> None:
        """Record that this source still reports these values, so they stay fresh for as long as it does.

        The version guard skips the write if anyone changed the CI since it was read; provenance is
        bookkeeping, not audited content (ci_update leaves it out of the audit entry too).
        """
        stamp = {"source": self.source.code, "at": self.now.isoformat()}
        if not names or all(ci.provenance.get(name) == stamp for name in names):
            return
        provenance = {**ci.provenance, **dict.fromkeys(names, stamp)}
        if ConfigurationItem.objects.filter(pk=ci.pk, version=ci.version).update(provenance=provenance):
            ci.provenance = provenance

    def _register(self, item: ItemIn, ci: ConfigurationItem, links: list[tuple[str, UUID]]) -> None:
        """Make the item's CI findable by the rest of the batch, by its native key and identifiers."""
        self.cis[ci.pk] = ci
        self.manageable.add(ci.pk)
        self.checked.add(ci.pk)
        self.visible.add(ci.pk)
        if item.native_key:
            self.ci_for_key[item.native_key], self.class_for_key[item.native_key] = ci.pk, ci.ci_class
            self.seen[item.native_key] = ci.pk
        kin = family(ci.ci_class)
        for key, value in identifier_values(ci.ci_class, ci.name, ci.attributes, dict(reversed(links))):
            self.ci_for_identifier[(kin, key, value)] = ci.pk
            self.looked_up.add((kin, key, value))

    def _apply_deferred(self) -> None:
        """Relationships inside a cycle of the batch, once every item of it has been applied."""
        for item, relationship in self.deferred:
            report = self.reports[item.index]
            if report.ci is None:
                continue
            source = self.cis[UUID(report.ci)]
            number = item.relationships.index(relationship)
            try:
                target = self._target(item, number, relationship)  # every item is applied now: never None
                if target is None or (source.pk, relationship.type, target) in self.links:
                    continue
                relationship_create(
                    actor=self.actor,
                    source=source,
                    target=self.cis[target],
                    type=relationship.type,
                    origin=self.source.code,
                )
            except REFUSED_ITEM as exc:
                # The CI itself was written; only this relationship is missing, and the report says so.
                item.problems.update(_problems(exc))
                continue
            self.links.add((source.pk, relationship.type, target))
            if report.outcome == "unchanged":
                report.outcome = "updated"


def _identifiers(ci: ConfigurationItem) -> set[Identifier]:
    """The keys ci_create gives a new CI (it has no relationships yet, so no dependent ones)."""
    kin = family(ci.ci_class)
    return {(kin, key, value) for key, value in identifier_values(ci.ci_class, ci.name, ci.attributes)}


def _problems(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ValidationFailed):
        return exc.fields
    if isinstance(exc, StaleVersion):
        return {"ci": ["it changed while the import ran; import the item again"]}
    return {"ci": [str(exc)]}
