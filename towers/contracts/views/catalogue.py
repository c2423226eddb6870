"""Service catalogue screens: services by category, a service with its offerings and levels, add either."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from towers.contracts import selectors
from towers.contracts.forms import OfferingCreateForm, ServiceCreateForm, ServiceFilterForm
from towers.contracts.models import Service
from towers.contracts.services import catalogue as services
from towers.contracts.views.service_levels import draft_level, with_target_labels
from towers.core.permissions import ensure_can
from towers.organisations import selectors as directory
from towers.organisations.views.common import allowed, form_page, paginate, request_actor, ui_view

DETAIL_ROWS = 50  # service levels shown on the page; the list behind "all" pages the rest


@ui_view
def service_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = ServiceFilterForm(request.GET)
    filters.is_valid()
    catalogue = selectors.service_list(
        actor=actor, category=filters.cleaned_data.get("category", ""), search=filters.cleaned_data.get("search", "")
    )
    # Category first, so that the page reads as one group per category.
    page = paginate(request, catalogue.order_by("category", "name"))
    # Counted through the service level selector, not the selector's annotation: a supplier sees the count
    # of the levels it may see, not of every organisation's levels on a shared service.
    counts = dict(
        selectors.service_level_list(actor=actor)
        .filter(service__in=[service.pk for service in page])
        .order_by()
        .values_list("service")
        .annotate(count=Count("pk"))
    )
    for service in page:
        service.visible_level_count = counts.get(service.pk, 0)
    return render(
        request,
        "contracts/service_list.html",
        # The catalogue is the authority's: a blank service stands for "any new one".
        {"filters": filters, "page": page, "may": allowed(actor, create=("catalogue.manage", Service()))},
    )


@ui_view
def service_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    service = selectors.service_get(actor=actor, id=pk)
    levels = selectors.service_level_list(actor=actor, service=pk)
    return render(
        request,
        "contracts/service_detail.html",
        {
            "service": service,
            "offerings": service.offerings.select_related("supplier").order_by("name"),
            "levels": with_target_labels(levels[:DETAIL_ROWS]),
            "level_count": levels.count(),
            "may": allowed(
                actor, manage=("catalogue.manage", service), define_level=("service_level.manage", draft_level(actor))
            ),
        },
    )


@ui_view
def service_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_can(actor, "catalogue.manage", Service())
    form = ServiceCreateForm(
        request.POST or None,
        initial={"category": request.GET.get("category", "")},
        organisations=directory.organisation_list(actor=actor),
        towers=directory.tower_list(actor=actor),
    )
    return form_page(
        request,
        form=form,
        save=lambda data: services.service_create(actor=actor, **data),
        saved="The service {} was added to the catalogue.",
        done_url=lambda service: reverse("service_detail", args=[service.pk]),
        title="Add a service",
        submit="Add service",
        cancel_url=reverse("service_list"),
    )


@ui_view
def offering_create(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    service = selectors.service_get(actor=actor, id=pk)
    ensure_can(actor, "catalogue.manage", service)
    return form_page(
        request,
        form=OfferingCreateForm(request.POST or None, organisations=directory.organisation_list(actor=actor)),
        save=lambda data: services.offering_create(actor=actor, service=service, **data),
        saved="The offering {} was added.",
        done_url=lambda _offering: reverse("service_detail", args=[pk]),
        title=f"Add an offering to {service}",
        submit="Add offering",
        cancel_url=reverse("service_detail", args=[pk]),
    )
