"""Who reads the fleet: those who run it (its managers, the desk, resolvers, auditors), within their visibility.

Visibility alone would let an officer of the owning force browse every colleague's phone and number; an officer
(a requester and nothing more) sees only the devices issued to them, under My devices in the portal.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import get_visible, visible_to
from towers.servicedesk.access import is_requester_only

M = TypeVar("M", bound=models.Model)
REFUSED = "The fleet is for those who run it: the devices issued to you are under My devices in the portal."


def ensure_fleet_reader(actor: Actor) -> None:
    if is_requester_only(actor):
        raise Forbidden(REFUSED)


def fleet_visible(actor: Actor, queryset: QuerySet[M] | models.Manager[M]) -> QuerySet[M]:
    ensure_fleet_reader(actor)
    return visible_to(actor, queryset)


def fleet_get(actor: Actor, queryset: QuerySet[M] | models.Manager[M], **lookup: Any) -> M:
    ensure_fleet_reader(actor)
    return get_visible(actor, queryset, **lookup)
