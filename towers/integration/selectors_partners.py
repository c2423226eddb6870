"""Reads of supplier integrations and their message log, each already restricted to what the actor may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.integration.models_partners import FieldMapping, PartnerIntegration, PartnerMessage, StateMapping


def partner_integration_list(*, actor: Actor) -> QuerySet[PartnerIntegration]:
    return (
        visible_to(actor, PartnerIntegration.objects)
        .select_related("organisation")
        .prefetch_related("teams", "field_mappings", "state_mappings")
        .order_by("name", "id")
    )


def partner_integration_get(*, actor: Actor, id: UUID | str) -> PartnerIntegration:
    return get_visible(actor, partner_integration_list(actor=actor), pk=id)


def partner_mapping_get(
    *, actor: Actor, kind: str, integration: PartnerIntegration, id: int
) -> FieldMapping | StateMapping:
    if kind == "field":
        return get_visible(actor, FieldMapping.objects.select_related("integration"), pk=id, integration=integration)
    return get_visible(actor, StateMapping.objects.select_related("integration"), pk=id, integration=integration)


def partner_message_list(
    *, actor: Actor, ticket: UUID | None = None, status: str = "", integration: UUID | None = None
) -> QuerySet[PartnerMessage]:
    qs = visible_to(actor, PartnerMessage.objects).select_related("integration__organisation", "ticket", "bond")
    if ticket is not None:
        qs = qs.filter(ticket_id=ticket)
    if status:
        qs = qs.filter(status=status)
    if integration is not None:
        qs = qs.filter(integration_id=integration)
    return qs.order_by("-id")


def partner_message_get(*, actor: Actor, id: int) -> PartnerMessage:
    return get_visible(actor, PartnerMessage.objects.select_related("integration__organisation"), pk=id)
