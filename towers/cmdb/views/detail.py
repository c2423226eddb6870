"""A CI's page: its fields, attributes with where each came from, identifiers, relationships both ways,
the catalogue service it stands for with that service's levels, and the way to its past states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime

from towers.cmdb import selectors
from towers.cmdb.classes import CLASSES, attributes_of, lineage
from towers.cmdb.forms import AsOfForm, RelationshipForm, attribute_label
from towers.cmdb.models import INVERSE_LABELS, ConfigurationItem, Relationship, RelationshipType
from towers.contracts import selectors as contracts
from towers.contracts.views.service_levels import with_target_labels
from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.core.permissions import can, permitted
from towers.organisations.views.common import request_actor, ui_view

SERVICE_LEVEL_ROWS = 50  # the service's levels shown on the page; the catalogue pages the rest
TARGET_CHOICES = 20  # CIs offered as a relationship's target for one name search


@dataclass(frozen=True)
class AttributeRow:
    label: str
    value: Any
    source: str
    at: datetime | None
    commercial: bool


@dataclass(frozen=True)
class RelationshipRow:
    relationship: Relationship
    label: str
    other: ConfigurationItem
    removable: bool


def attribute_rows(actor: Actor, ci: ConfigurationItem) -> list[AttributeRow]:
    """The class's attributes in its order (then any others the CI carries), commercial ones masked."""
    values = selectors.visible_attributes(actor, ci)
    specs = attributes_of(ci.ci_class)
    source_names = dict(selectors.source_list(actor=actor).values_list("code", "name"))
    rows = []
    for name in [*(n for n in specs if n in values), *(n for n in values if n not in specs)]:
        stamp = ci.provenance.get(name) or {}
        spec = specs.get(name)
        rows.append(
            AttributeRow(
                label=attribute_label(name, spec),
                value=values[name],
                source=source_names.get(stamp.get("source", ""), stamp.get("source", "")),
                at=parse_datetime(stamp["at"]) if stamp.get("at") else None,
                commercial=bool(spec and spec.commercial),
            )
        )
    return rows


def relationship_rows(actor: Actor, ci: ConfigurationItem) -> tuple[list[RelationshipRow], list[RelationshipRow]]:
    """Outgoing rows labelled by type ("runs on"), incoming by its inverse ("runs"), each saying if removable.

    A relationship belongs to its source CI, so removing an incoming one needs the right to manage the
    other CI: those are found in one query rather than a permission check per row.
    """
    outgoing, incoming = selectors.relationships_of(actor=actor, ci=ci)
    manages_this = can(actor, "ci.manage", ci)
    sources = selectors.ci_list(actor=actor).filter(pk__in=[r.source_id for r in incoming])
    managed_sources = set(permitted(actor, "ci.manage", sources).values_list("pk", flat=True)) if incoming else set()
    return (
        [RelationshipRow(r, r.get_type_display(), r.target, manages_this) for r in outgoing],
        [
            RelationshipRow(r, INVERSE_LABELS[RelationshipType(r.type)], r.source, r.source_id in managed_sources)
            for r in incoming
        ],
    )


def relationship_targets(actor: Actor, ci: ConfigurationItem, search: str) -> list[ConfigurationItem]:
    """CIs the actor may see whose name matches, to link to; none until something is searched for."""
    if not search.strip():
        return []
    return list(selectors.ci_list(actor=actor, search=search.strip()).exclude(pk=ci.pk)[:TARGET_CHOICES])


def service_link(actor: Actor, ci: ConfigurationItem) -> dict[str, Any] | None:
    """The catalogue service the CI stands for (directly, or through its offering) and that service's levels."""
    service_id = ci.service_id or (ci.offering.service_id if ci.offering else None)
    if service_id is None:
        return None
    try:
        service = contracts.service_get(actor=actor, id=service_id)
    except NotFound:
        return {"hidden": True}
    levels = contracts.service_level_list(actor=actor, service=service.pk)
    return {
        "service": service,
        "offering": ci.offering,
        "levels": with_target_labels(levels[:SERVICE_LEVEL_ROWS]),
        "level_count": levels.count(),
    }


def detail_page(
    request: HttpRequest, ci: ConfigurationItem, relationship_form: RelationshipForm | None = None, status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    may_edit = can(actor, "ci.manage", ci)
    search = request.GET.get("target_search", "")
    if relationship_form is None and may_edit:
        relationship_form = RelationshipForm(targets=relationship_targets(actor, ci, search))
    outgoing, incoming = relationship_rows(actor, ci)
    return render(
        request,
        "cmdb/ci_detail.html",
        {
            "ci": ci,
            "class_path": list(reversed(lineage(ci.ci_class))),
            "layer": CLASSES[ci.ci_class].layer,
            "attributes": attribute_rows(actor, ci),
            "identifiers": ci.identifiers.order_by("key"),
            "outgoing": outgoing,
            "incoming": incoming,
            "relationship_form": relationship_form,
            "target_search": search,
            "service_link": service_link(actor, ci),
            "as_of_form": AsOfForm(),
            "may": {"edit": may_edit},
        },
        status=status,
    )


@ui_view
def ci_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    return detail_page(request, selectors.ci_get(actor=request_actor(request), id=pk))
