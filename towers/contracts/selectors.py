"""Reads of contracts, the catalogue, calendars and service levels, each restricted to the actor."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet

from towers.contracts.models import Calendar, CalendarHours, Contract, Service, ServiceLevel, ServiceOffering
from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to


def contract_list(*, actor: Actor, supplier: UUID | None = None, search: str = "") -> QuerySet[Contract]:
    qs = visible_to(actor, Contract.objects).select_related("supplier", "tower")
    if supplier:
        qs = qs.filter(supplier_id=supplier)
    if search:
        qs = qs.filter(Q(reference__icontains=search) | Q(title__icontains=search))
    return qs.order_by("supplier__name", "reference")


def contract_get(*, actor: Actor, id: UUID | str) -> Contract:
    return get_visible(actor, Contract.objects.select_related("supplier", "tower"), pk=id)


def service_list(*, actor: Actor, category: str = "", search: str = "") -> QuerySet[Service]:
    qs = (
        visible_to(actor, Service.objects)
        .select_related("owner", "tower")
        .prefetch_related(Prefetch("offerings", queryset=ServiceOffering.objects.select_related("supplier")))
        .annotate(service_level_count=Count("service_levels", distinct=True))
    )
    if category:
        qs = qs.filter(category=category)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("name")


def service_get(*, actor: Actor, id: UUID | str) -> Service:
    return get_visible(actor, Service.objects.select_related("owner", "tower"), pk=id)


def calendar_list(*, actor: Actor) -> QuerySet[Calendar]:
    return visible_to(actor, Calendar.objects).select_related("owner").order_by("name")


def calendar_get(*, actor: Actor, id: UUID | str) -> Calendar:
    return get_visible(actor, Calendar.objects.select_related("owner"), pk=id)


def calendar_hours(*, calendar: Calendar) -> QuerySet[CalendarHours]:
    """Every version of the calendar's hours, oldest first (the caller fetched the calendar through a selector)."""
    return calendar.hours.order_by("effective_from", "weekday", "start")


def service_level_list(
    *,
    actor: Actor,
    contract: UUID | str | None = None,
    service: UUID | str | None = None,
    kind: str = "",
    provider: UUID | None = None,
) -> QuerySet[ServiceLevel]:
    qs = visible_to(actor, ServiceLevel.objects).select_related(
        "service", "provider", "customer", "calendar", "contract"
    )
    if contract:
        qs = qs.filter(contract_id=contract)
    if service:
        qs = qs.filter(service_id=service)
    if kind:
        qs = qs.filter(kind=kind)
    if provider:
        qs = qs.filter(provider_id=provider)
    return qs.order_by("service__name", "kind", "metric", "priority")


def service_level_get(*, actor: Actor, id: UUID | str) -> ServiceLevel:
    return get_visible(
        actor, ServiceLevel.objects.select_related("service", "provider", "customer", "calendar", "contract"), pk=id
    )
