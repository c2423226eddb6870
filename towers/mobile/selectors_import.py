"""Reads of MDM import runs, restricted to the organisations the actor may see (a run belongs to its fleet's owner)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.mobile.access import fleet_get, fleet_visible
from towers.mobile.models import MdmImport


def mdm_import_list(*, actor: Actor) -> QuerySet[MdmImport]:
    """Runs without their row report (it can be tens of thousands of rows): pages of a list never need it."""
    return fleet_visible(actor, MdmImport.objects).select_related("organisation").defer("report")


def mdm_import_get(*, actor: Actor, id: UUID | str) -> MdmImport:
    return fleet_get(actor, MdmImport.objects.select_related("organisation"), pk=id)
