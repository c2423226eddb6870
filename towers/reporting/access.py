"""Who may read which service review pack: one rule for the page, the API and the exports.

The authority and the integrator of a supplier's tower read any pack and the estate's; a supplier reads only its
own. Visibility alone is not enough: a supplier's estate pack would be a pack of its own records wearing the
estate's name. Requesters (officers) read none.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound
from towers.core.permissions import get_visible, visible_to
from towers.organisations.models import Organisation, Tower
from towers.servicedesk.access import is_requester_only

REFUSED = "Service review packs are for the authority, the integrator and each supplier's own people."


def _integrates(actor: Actor) -> bool:
    return actor.organisation_id is not None and Tower.objects.filter(integrator_id=actor.organisation_id).exists()


def ensure_may_read_pack(actor: Actor, supplier: Organisation | None) -> None:
    """Raise Forbidden for the estate's pack and NotFound for another supplier's (not telling it exists)."""
    if is_requester_only(actor):
        raise Forbidden(REFUSED)
    if actor.is_system or actor.scope.everything:
        return
    if supplier is None:
        if not _integrates(actor):
            raise Forbidden("The estate's pack is for the authority and the integrator: read your own supplier's.")
        return
    if supplier.pk == actor.organisation_id:
        return
    integrator = supplier.tower.integrator_id if supplier.tower_id and supplier.tower else None
    if integrator is None or integrator != actor.organisation_id:
        raise NotFound(f"No supplier {supplier.code}.")


def pack_suppliers(actor: Actor) -> QuerySet[Organisation]:
    """The suppliers whose packs the actor may read (for the page's picker); empty for requesters."""
    qs = visible_to(actor, Organisation.objects).exclude(kind="authority").filter(is_active=True)
    if is_requester_only(actor):
        return qs.none()
    if actor.is_system or actor.scope.everything:
        return qs.order_by("name")
    return qs.filter(Q(pk=actor.organisation_id) | Q(tower__integrator_id=actor.organisation_id)).order_by("name")


def may_read_estate(actor: Actor) -> bool:
    try:
        ensure_may_read_pack(actor, None)
    except (Forbidden, NotFound):
        return False
    return True


def supplier_by_code(actor: Actor, code: str) -> Organisation:
    """The supplier named in a URL, if the actor may read its pack (NotFound otherwise, whether or not it exists)."""
    if is_requester_only(actor):
        raise Forbidden(REFUSED)
    supplier = get_visible(actor, Organisation.objects.select_related("tower").exclude(kind="authority"), code=code)
    ensure_may_read_pack(actor, supplier)
    return supplier


def tower_by_code(actor: Actor, code: str) -> Tower:
    """A tower whose pack (its suppliers together) the actor may read: the authority's, or its integrator's."""
    if is_requester_only(actor):
        raise Forbidden(REFUSED)
    tower = Tower.objects.filter(code=code).first()
    if tower is None or not (actor.is_system or actor.scope.everything or tower.integrator_id == actor.organisation_id):
        raise NotFound(f"No tower {code}.")
    return tower


def pack_subject(actor: Actor, supplier: str = "", tower: str = "") -> tuple[Organisation | None, Tower | None]:
    """Whose pack a request names (a supplier's code, else a tower's, else the estate's), once the actor may read
    it: checked before anything else in the request, so a refused reader learns nothing from the rest."""
    organisation = supplier_by_code(actor, supplier) if supplier else None
    towers = tower_by_code(actor, tower) if tower and organisation is None else None
    if organisation is None and towers is None:
        ensure_may_read_pack(actor, None)
    return organisation, towers


def pack_towers(actor: Actor) -> QuerySet[Tower]:
    """The towers whose packs the actor may read (for the page's picker)."""
    if is_requester_only(actor):
        return Tower.objects.none()
    if actor.is_system or actor.scope.everything:
        return Tower.objects.order_by("name")
    return Tower.objects.filter(integrator_id=actor.organisation_id).order_by("name")
