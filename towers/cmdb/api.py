"""REST routes for configuration items and relationships (thin): /configuration-items, /relationships."""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from towers.cmdb import selectors
from towers.cmdb.classes import CLASSES, attributes_of, identification_of
from towers.cmdb.identification import rule_key
from towers.cmdb.models import ConfigurationItem
from towers.cmdb.schemas import CIClassOut, CIIn, CIOut, CIPatch, RelationshipIn, RelationshipOut, RelationshipsOut
from towers.cmdb.services import items
from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version, set_etag
from towers.core.errors import NotFound
from towers.organisations.selectors import organisation_get, team_get

router = Router(tags=["CMDB"])
ATTRIBUTE_PREFIX = "attr."


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _out(request: HttpRequest, ci: ConfigurationItem) -> ConfigurationItem:
    ci.attributes = selectors.visible_attributes(_actor(request), ci)
    ci.provenance = {k: v for k, v in ci.provenance.items() if k in ci.attributes}
    return ci


@router.get("/cmdb/classes", response=list[CIClassOut], summary="The CI classes, their attributes and keys")
def class_list(request: HttpRequest) -> Any:
    return [
        {
            "name": c.name,
            "label": c.label,
            "parent": c.parent,
            "layer": c.layer,
            "attributes": [
                {"name": n, "type": s.type, "commercial": s.commercial} for n, s in attributes_of(c.name).items()
            ],
            "identification": [rule_key(rule) for rule in identification_of(c.name)],
        }
        for c in CLASSES.values()
    ]


@router.get(
    "/configuration-items",
    response=list[CIOut],
    description="Filter on any attribute with `attr.<name>=<value>` parameters, e.g. `attr.fqdn=crime.police.uk`.",
)
@paginate(Page)
def ci_list(
    request: HttpRequest,
    ci_class: str = "",
    owner: UUID | None = None,
    environment: str = "",
    lifecycle: str = "",
    criticality: int | None = None,
    search: str = "",
) -> Any:
    attributes = {k[len(ATTRIBUTE_PREFIX) :]: str(v) for k, v in request.GET.items() if k.startswith(ATTRIBUTE_PREFIX)}
    cis = selectors.ci_list(
        actor=_actor(request),
        ci_class=ci_class,
        owner=owner,
        environment=environment,
        lifecycle=lifecycle,
        criticality=criticality,
        search=search,
        attributes=attributes,
    )
    return _MaskedPage(request, cis)


class _MaskedPage:
    """Masks commercial attributes on the one page actually served, not the whole result set."""

    def __init__(self, request: HttpRequest, queryset: Any) -> None:
        self.request, self.queryset = request, queryset

    def __getitem__(self, index: slice) -> list[ConfigurationItem]:
        return [_out(self.request, ci) for ci in self.queryset[index]]

    def count(self) -> int:
        return int(self.queryset.count())


class _MaskedHistory:
    """History pages as the actor may read them (commercial attributes and unseen CIs masked)."""

    def __init__(self, actor: Any, ci: ConfigurationItem, queryset: Any) -> None:
        self.actor, self.ci, self.queryset = actor, ci, queryset

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        entries = selectors.ci_history_masked(actor=self.actor, ci=self.ci, entries=self.queryset[index])
        fields = ("seq", "at", "actor_label", "channel", "action", "before", "after")
        return [{name: getattr(entry, name) for name in fields} for entry in entries]

    def count(self) -> int:
        return int(self.queryset.count())


@router.post("/configuration-items", response={201: CIOut})
def ci_create(request: HttpRequest, body: CIIn) -> Any:
    actor = _actor(request)
    ci = items.ci_create(
        actor=actor,
        ci_class=body.ci_class,
        name=body.name,
        attributes=body.attributes,
        owner=organisation_get(actor=actor, id=body.owner),
        support_team=team_get(actor=actor, id=body.support_team) if body.support_team else None,
        criticality=body.criticality,
        environment=body.environment,
        lifecycle=body.lifecycle,
        service=service_get(actor=actor, id=body.service) if body.service else None,
    )
    return Status(201, _out(request, ci))


@router.get("/configuration-items/{id}", response=CIOut)
def ci_get(request: HttpRequest, response: HttpResponse, id: UUID) -> ConfigurationItem:
    ci = selectors.ci_get(actor=_actor(request), id=id)
    set_etag(response, ci)
    return _out(request, ci)


@router.get("/configuration-items/{id}/as-of", response=dict[str, Any], summary="The CI as it was at an instant")
def ci_as_of(request: HttpRequest, id: UUID, when: datetime | None = None) -> Any:
    actor = _actor(request)
    ci = selectors.ci_get(actor=actor, id=id)
    state = selectors.ci_as_of(actor=actor, ci=ci, when=when or timezone.now())
    if state is None:
        raise NotFound("The CI did not exist yet.")
    return state


@router.patch("/configuration-items/{id}", response=CIOut)
def ci_update(request: HttpRequest, response: HttpResponse, id: UUID, body: CIPatch) -> ConfigurationItem:
    actor = _actor(request)
    ci = selectors.ci_get(actor=actor, id=id)
    changes = body.dict(exclude_unset=True)
    attributes = changes.pop("attributes", None)
    if "support_team" in changes and changes["support_team"] is not None:
        changes["support_team"] = team_get(actor=actor, id=changes["support_team"])
    ci = items.ci_update(
        actor=actor, ci=ci, changes=changes, attributes=attributes, expected_version=expected_version(request)
    )
    set_etag(response, ci)
    return _out(request, ci)


@router.get("/configuration-items/{id}/relationships", response=RelationshipsOut)
def relationship_list(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    outgoing, incoming = selectors.relationships_of(actor=actor, ci=selectors.ci_get(actor=actor, id=id))
    return {"outgoing": outgoing, "incoming": incoming}


@router.post("/configuration-items/{id}/relationships", response={201: RelationshipOut})
def relationship_create(request: HttpRequest, id: UUID, body: RelationshipIn) -> Any:
    actor = _actor(request)
    relationship = items.relationship_create(
        actor=actor,
        source=selectors.ci_get(actor=actor, id=id),
        target=selectors.ci_get(actor=actor, id=body.target),
        type=body.type,
    )
    return Status(201, relationship)


@router.delete("/relationships/{id}", response={204: None})
def relationship_delete(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    relationship = selectors.relationship_get(actor=actor, id=id)
    items.relationship_delete(actor=actor, relationship=relationship)
    return Status(204, None)


@router.get("/configuration-items/{id}/history", response=list[dict[str, Any]])
@paginate(Page)
def ci_history(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    ci = selectors.ci_get(actor=actor, id=id)
    return _MaskedHistory(actor, ci, selectors.ci_history(ci=ci))
