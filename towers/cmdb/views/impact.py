"""What breaks if some CIs go down: the figures, the service levels and suppliers concerned, the impacted
CIs with the path that explains each, and the same drawn as a graph (inline SVG, laid out server-side)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from towers.cmdb import selectors
from towers.cmdb.classes import CLASSES
from towers.cmdb.graph_layout import GraphNode, Layout, layout_graph
from towers.cmdb.impact import ImpactedCI, ImpactReport, PathStep, impact_of
from towers.cmdb.models import IMPACT_DIRECTION, INVERSE_LABELS, ConfigurationItem, RelationshipType
from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.organisations.views.common import request_actor, ui_view

GRAPH_NODES = 200  # more boxes than this no longer read as a picture; the table still lists them
TABLE_ROWS = 500
CHOICES = 20  # CIs offered for one name search
MOST_FAILED = 100  # CIs read from one query string, as the API accepts: each is one lookup


@dataclass(frozen=True)
class PathLink:
    """One hop of an explaining path, read forwards: "srv-01 runs crime-app"."""

    words: str
    step: PathStep


def impact_words(via: str) -> str:
    """How an impact travels along a relationship type, as a verb from the failing CI to the next."""
    kind = RelationshipType(via)
    # "app runs on srv" carries srv's outage up to the app: read from srv, that is "srv runs app".
    return INVERSE_LABELS[kind] if IMPACT_DIRECTION[kind] == "up" else kind.label


def path_links(impacted: ImpactedCI) -> list[PathLink]:
    return [PathLink(impact_words(step.via), step) for step in impacted.path[1:]]


def graph_of(report: ImpactReport, limit: int = GRAPH_NODES) -> Layout:
    """The shallowest `limit` impacted CIs, each joined to the nearest CI before it on its path that is drawn.

    Shallowest first keeps every drawn CI's parent drawn; a parent the actor may not see is skipped over,
    so the line goes to the visible CI it came through.
    """
    drawn = report.impacted[:limit]
    nodes = [
        GraphNode(
            key=str(ci.id),
            label=ci.name,
            depth=ci.depth,
            style=f"{'failed' if ci.depth == 0 else ci.severity} layer-{CLASSES[ci.ci_class].layer}",
        )
        for ci in drawn
    ]
    keys = {node.key for node in nodes}
    edges = []
    for ci in drawn:
        parent = next((str(s.id) for s in reversed(ci.path[:-1]) if s.id is not None and str(s.id) in keys), None)
        if parent is not None:
            edges.append((str(ci.id), parent))
    return layout_graph(nodes, edges)


def _chosen(actor: Actor, ids: list[str]) -> list[ConfigurationItem]:
    """The CIs named in the query, each one the actor may see (404 otherwise, as for any page of a CI)."""
    chosen: dict[UUID, ConfigurationItem] = {}
    for value in ids:
        try:
            pk = UUID(value)
        except ValueError:
            raise NotFound("No configuration item matches that id.") from None
        if pk not in chosen:
            chosen[pk] = selectors.ci_get(actor=actor, id=pk)
    return list(chosen.values())


@ui_view
def ci_impact(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    failed = _chosen(actor, request.GET.getlist("ci")[:MOST_FAILED])
    search = request.GET.get("search", "").strip()
    candidates = (
        list(selectors.ci_list(actor=actor, search=search).exclude(pk__in=[ci.pk for ci in failed])[:CHOICES])
        if search
        else []
    )
    context: dict[str, object] = {"failed": failed, "search": search, "candidates": candidates, "report": None}
    if failed:
        report = impact_of(actor=actor, cis=failed)
        down = sum(1 for ci in report.impacted if ci.severity == "down" and ci.depth > 0)
        context |= {
            "report": report,
            "down": down,
            "at_risk": sum(1 for ci in report.impacted if ci.severity == "at_risk"),
            "applications": len(report.applications) + len(report.application_services),
            "rows": [(ci, CLASSES[ci.ci_class].label, path_links(ci)) for ci in report.impacted[:TABLE_ROWS]],
            "graph": graph_of(report),
            "graph_limit": GRAPH_NODES,
            "table_limit": TABLE_ROWS,
        }
    return render(request, "cmdb/ci_impact.html", context)
