"""Service level screens (SLA, OLA, UC): list, detail, define, edit; and how a target reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from towers.contracts import selectors
from towers.contracts.forms import (
    ServiceLevelCreateForm,
    ServiceLevelEditForm,
    ServiceLevelFilterForm,
    point_bands_text,
)
from towers.contracts.models import Contract, ServiceLevel
from towers.contracts.services import catalogue as services
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import ensure_can
from towers.organisations import selectors as directory
from towers.organisations.views.common import allowed, edit_page, form_page, paginate, request_actor, ui_view


def duration_label(delta: timedelta, *, business: bool) -> str:
    """ "8 business hours" on an office-hours calendar (a business day has no fixed length); "2 d 4 h" on 24x7."""
    hours, minutes = divmod(int(delta.total_seconds() // 60), 60)
    if business:
        if not hours:
            return f"{minutes} business minutes"
        label = f"{hours} business hour{'s' if hours != 1 else ''}"
        return f"{label} {minutes} min" if minutes else label
    days, hours = divmod(hours, 24)
    parts = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if value]
    return " ".join(parts) or "0 min"


def target_label(level: ServiceLevel) -> str:
    if level.target is None:
        return "—"
    calendar = level.calendar
    return duration_label(level.target, business=calendar is not None and not calendar.always_open)


def with_target_labels(levels: Iterable[ServiceLevel]) -> list[ServiceLevel]:
    """The levels with `target_label` attached, for templates (which cannot call functions with arguments)."""
    labelled = list(levels)
    for level in labelled:
        level.target_label = target_label(level)  # type: ignore[attr-defined]
    return labelled


def draft_level(actor: Actor) -> ServiceLevel | None:
    # A new level is the customer's to define: an unsaved one of the actor's organisation asks "may I define any?".
    return ServiceLevel(customer_id=actor.organisation_id) if actor.organisation_id else None


@ui_view
def service_level_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = ServiceLevelFilterForm(request.GET, services=selectors.service_list(actor=actor).prefetch_related(None))
    filters.is_valid()
    service = filters.cleaned_data.get("service")
    levels = selectors.service_level_list(
        actor=actor, service=service.pk if service else None, kind=filters.cleaned_data.get("kind", "")
    )
    if metric := filters.cleaned_data.get("metric"):
        levels = levels.filter(metric=metric)
    page = paginate(request, levels)
    page.object_list = with_target_labels(page.object_list)
    return render(
        request,
        "contracts/service_level_list.html",
        {"filters": filters, "page": page, "may": allowed(actor, create=("service_level.manage", draft_level(actor)))},
    )


@ui_view
def service_level_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    level = selectors.service_level_get(actor=actor, id=pk)
    return render(
        request,
        "contracts/service_level_detail.html",
        {
            "level": with_target_labels([level])[0],
            "may": allowed(actor, edit=("service_level.manage", level)),
        },
    )


def _create_initial(request: HttpRequest, actor: Actor, contracts: Iterable[Contract]) -> dict[str, Any]:
    """Prefilled from the page it was opened on: a contract's levels are SLAs its supplier provides."""
    contract = next((c for c in contracts if str(c.pk) == request.GET.get("contract")), None)
    return {
        "contract": contract,
        "kind": "sla" if contract else "ola",
        "provider": contract.supplier_id if contract else None,
        "customer": actor.organisation_id,
        "service": request.GET.get("service"),
        "higher_is_better": True,
    }


@ui_view
def service_level_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    draft = draft_level(actor)
    if draft is None or actor.organisation_id is None:
        raise Forbidden("Service levels are defined by the organisation that receives them; you act for none.")
    ensure_can(actor, "service_level.manage", draft)
    contracts = selectors.contract_list(actor=actor)
    organisations = directory.organisation_list(actor=actor)
    form = ServiceLevelCreateForm(
        request.POST or None,
        initial=_create_initial(request, actor, contracts),
        contracts=contracts,
        services=selectors.service_list(actor=actor).prefetch_related(None),
        organisations=organisations,
        # Only the authority defines levels for others; everyone else is the customer of their own.
        customers=organisations if actor.scope.everything else organisations.filter(pk=actor.organisation_id),
        calendars=selectors.calendar_list(actor=actor),
    )
    return form_page(
        request,
        form=form,
        save=lambda data: services.service_level_create(actor=actor, **data),
        saved="The service level {} was defined.",
        done_url=lambda level: reverse("service_level_detail", args=[level.pk]),
        title="Define a service level",
        submit="Define service level",
        cancel_url=reverse("service_level_list"),
    )


@ui_view
def service_level_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    level = selectors.service_level_get(actor=actor, id=pk)
    ensure_can(actor, "service_level.manage", level)
    initial = {name: getattr(level, name) for name in ServiceLevelEditForm.base_fields}
    initial |= {
        "calendar": level.calendar,
        "pause_states": ", ".join(level.pause_states),
        "point_bands": point_bands_text(level.point_bands),
    }
    return edit_page(
        request,
        form=ServiceLevelEditForm(
            request.POST or None, initial=initial, calendars=selectors.calendar_list(actor=actor)
        ),
        save=lambda changes, version: services.service_level_update(
            actor=actor, level=level, changes=changes, expected_version=version
        ),
        done_url=reverse("service_level_detail", args=[pk]),
        title=f"Edit {level}",
    )
