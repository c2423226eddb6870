"""Reads of the CMDB, each restricted to the actor; commercial attributes masked where the actor may not see them."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from towers.cmdb.classes import AttrSpec, attributes_of, descendants
from towers.cmdb.models import ConfigurationItem, DataSource, Relationship
from towers.core.actor import Actor, Sensitivity
from towers.core.audit import object_type
from towers.core.models import AuditEntry
from towers.core.permissions import get_visible, visible_to

CI_RELATED = ("owner", "support_team__organisation", "service", "offering__supplier")


def ci_list(
    *,
    actor: Actor,
    ci_class: str = "",
    owner: UUID | None = None,
    environment: str = "",
    lifecycle: str = "",
    criticality: int | None = None,
    search: str = "",
    attributes: dict[str, str] | None = None,
) -> QuerySet[ConfigurationItem]:
    """Visible CIs; a class includes its subclasses; `attributes` filters on any attribute's exact value."""
    qs = visible_to(actor, ConfigurationItem.objects).select_related(*CI_RELATED)
    if ci_class:
        qs = qs.filter(ci_class__in=descendants(ci_class))
    if owner:
        qs = qs.filter(owner_id=owner)
    if environment:
        qs = qs.filter(environment=environment)
    if lifecycle:
        qs = qs.filter(lifecycle=lifecycle)
    if criticality:
        qs = qs.filter(criticality=criticality)
    if search:
        qs = qs.filter(name__icontains=search)
    specs = attributes_of(ci_class) if ci_class else {}
    commercial_owners = actor.scope.organisations(Sensitivity.COMMERCIAL)
    if commercial_owners is not None and any(specs.get(name, AttrSpec()).commercial for name in attributes or {}):
        # Otherwise what a filter on "licence_cost" lists would tell a cost the CI's page masks.
        qs = qs.filter(owner_id__in=commercial_owners)
    for name, value in (attributes or {}).items():
        # JSON values are typed: match the number or the text a user typed.
        options = Q(**{f"attributes__{name}": value})
        for cast in (int, float):
            with suppress(ValueError):
                options |= Q(**{f"attributes__{name}": cast(value)})
        qs = qs.filter(options)
    return qs.order_by("ci_class", "name", "id")


def ci_get(*, actor: Actor, id: UUID | str) -> ConfigurationItem:
    return get_visible(actor, ConfigurationItem.objects.select_related(*CI_RELATED), pk=id)


def may_see_commercials(actor: Actor, ci: ConfigurationItem) -> bool:
    organisations = actor.scope.organisations(Sensitivity.COMMERCIAL)
    return organisations is None or ci.owner_id in organisations


def visible_attributes(actor: Actor, ci: ConfigurationItem) -> dict[str, Any]:
    """The CI's attributes, with commercial ones left out unless the actor may see the owner's commercials."""
    if may_see_commercials(actor, ci):
        return dict(ci.attributes)
    specs = attributes_of(ci.ci_class)
    return {k: v for k, v in ci.attributes.items() if not (k in specs and specs[k].commercial)}


def relationships_of(*, actor: Actor, ci: ConfigurationItem) -> tuple[list[Relationship], list[Relationship]]:
    """(what the CI points at, what points at it), each end visible to the actor."""
    visible = visible_to(actor, ConfigurationItem.objects).values("pk")
    outgoing = Relationship.objects.filter(source=ci, target__in=visible).select_related("target")
    incoming = Relationship.objects.filter(target=ci, source__in=visible).select_related("source")
    return list(outgoing.order_by("type", "target__name")), list(incoming.order_by("type", "source__name"))


def ci_history(*, ci: ConfigurationItem) -> QuerySet[AuditEntry]:
    """Every recorded change of the CI, newest first (the caller fetched the CI through a selector)."""
    return AuditEntry.objects.filter(object_type=object_type(ci), object_id=str(ci.pk)).order_by("-seq")


UNSEEN_CI = "a CI you may not see"


def hidden_attributes(actor: Actor, ci: ConfigurationItem) -> set[str]:
    """The CI's commercial attributes, when the actor may not see the owner's commercials."""
    if may_see_commercials(actor, ci):
        return set()
    return {name for name, spec in attributes_of(ci.ci_class).items() if spec.commercial}


def visible_ci_ids(actor: Actor, ids: Iterable[object]) -> set[str]:
    wanted = {str(pk) for pk in ids if pk}
    if not wanted:
        return set()
    visible = visible_to(actor, ConfigurationItem.objects).filter(pk__in=wanted).values_list("pk", flat=True)
    return {str(pk) for pk in visible}


def _mask_side(side: dict[str, Any] | None, hidden: set[str], visible: set[str]) -> dict[str, Any] | None:
    if side is None:
        return None
    masked = dict(side)
    if isinstance(masked.get("attributes"), dict):
        masked["attributes"] = {k: v for k, v in masked["attributes"].items() if k not in hidden}
    if "target" in masked and str(masked["target"]) not in visible:
        masked["target"], masked["target_name"] = "", UNSEEN_CI
    return masked


def ci_history_masked(*, actor: Actor, ci: ConfigurationItem, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """History entries as the actor may read them: no commercial attributes it may not see, no unseen CIs named.

    Changes the entries in memory only.
    """
    entries = list(entries)
    hidden = hidden_attributes(actor, ci)
    targets = [side.get("target") for e in entries for side in (e.before or {}, e.after or {}) if "target" in side]
    visible = visible_ci_ids(actor, targets)
    for entry in entries:
        entry.before, entry.after = _mask_side(entry.before, hidden, visible), _mask_side(entry.after, hidden, visible)
    return entries


def ci_as_of(*, actor: Actor, ci: ConfigurationItem, when: datetime) -> dict[str, Any] | None:
    """What the CI looked like at `when`, rebuilt from its audit entries (None if it did not exist yet)."""
    state: dict[str, Any] | None = None
    relationships: dict[tuple[str, str], str] = {}
    for entry in ci_history(ci=ci).filter(at__lte=when).order_by("seq"):
        after, before = entry.after or {}, entry.before or {}
        if entry.action == "ci.created":
            state = {k: v for k, v in after.items() if k != "source"}
        elif entry.action == "ci.updated" and state is not None:
            state.update({k: v for k, v in after.items() if k != "source"})
        elif entry.action == "ci.related":
            relationships[(after["type"], str(after["target"]))] = after.get("target_name", "")
        elif entry.action == "ci.unrelated":
            relationships.pop((before["type"], str(before["target"])), None)
    if state is None:
        return None
    hidden = hidden_attributes(actor, ci)
    state["attributes"] = {k: v for k, v in state.get("attributes", {}).items() if k not in hidden}
    visible = visible_ci_ids(actor, [target for _type, target in relationships])
    state["relationships"] = [
        {"type": t, "target": target, "target_name": name}
        if target in visible
        else {"type": t, "target": "", "target_name": UNSEEN_CI}
        for (t, target), name in sorted(relationships.items())
    ]
    return state


def relationship_get(*, actor: Actor, id: UUID | str) -> Relationship:
    return get_visible(actor, Relationship.objects.select_related("source", "target"), pk=id)


def source_list(*, actor: Actor) -> QuerySet[DataSource]:
    return visible_to(actor, DataSource.objects).select_related("organisation")


def source_get(*, actor: Actor, code: str) -> DataSource:
    return get_visible(actor, DataSource.objects.select_related("organisation"), code=code)


def ci_for_host(host: str) -> ConfigurationItem | None:
    """The item a host name names (fully qualified or short, any case); the most critical when several match.

    For machine callers (detection, monitoring) that resolve a name from an event, not for a person's search.
    """
    if not host:
        return None
    query = Q(name__iexact=host) | Q(name__iexact=host.split(".", 1)[0])
    candidates = ConfigurationItem.objects.select_related("service", "owner", "support_team").filter(query)
    return min(candidates, key=lambda ci: (ci.criticality, str(ci.pk)), default=None)
