"""Reads of exit packs, each restricted to the actor."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.errors import NotFound
from towers.core.permissions import can, get_visible, visible_to
from towers.organisations.models import Organisation, OrganisationKind
from towers.reporting.models import ExitPack
from towers.reporting.policies import EXIT_PACK

RELATED = ("supplier", "requester_organisation")


def exit_pack_list(*, actor: Actor) -> QuerySet[ExitPack]:
    return visible_to(actor, ExitPack.objects).select_related(*RELATED).order_by("-created_at", "id")


def exit_pack_get(*, actor: Actor, id: UUID | str) -> ExitPack:
    return get_visible(actor, ExitPack.objects.select_related(*RELATED), pk=id)


def exit_pack_ready(*, actor: Actor, id: UUID | str) -> ExitPack:
    """A visible pack whose file is built; a queued or failed one has nothing to download."""
    pack = exit_pack_get(actor=actor, id=id)
    if pack.status != ExitPack.Status.DONE or not pack.file:
        raise NotFound("The pack is not built yet.")
    return pack


def exit_pack_suppliers(*, actor: Actor) -> list[Organisation]:
    """Organisations the actor may ask an exit pack for (the choices of the page's form)."""
    candidates = (
        visible_to(actor, Organisation.objects)
        .exclude(kind=OrganisationKind.AUTHORITY)
        .select_related("tower")
        .order_by("name")
    )
    return [
        organisation
        for organisation in candidates
        if can(actor, EXIT_PACK, ExitPack(supplier=organisation, requester_organisation_id=actor.organisation_id))
    ]
