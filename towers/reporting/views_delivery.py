"""Pages of scheduled pack delivery (thin): subscribe to the pack being read, stop a subscription."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import get_visible
from towers.organisations.models import Person
from towers.organisations.views.common import request_actor, ui_view
from towers.reporting.access import supplier_by_code, tower_by_code
from towers.reporting.delivery import FORMATS, subscription_cancel, subscription_create
from towers.reporting.models import PackSubscription


@require_POST
@ui_view
def review_subscribe(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    code = request.POST.get("supplier", "")
    tower = tower_by_code(actor, code.removeprefix("tower:")) if code.startswith("tower:") else None
    supplier = supplier_by_code(actor, code) if code and tower is None else None
    formats = [name for name in FORMATS if request.POST.get(name)] or ["pdf"]
    person = Person.objects.filter(pk=actor.person_id).first() if actor.person_id else None
    if person is None:
        raise Forbidden("Only a person subscribes to a pack.")
    try:
        subscription_create(
            actor=actor,
            person=person,
            supplier=supplier,
            tower=tower,
            formats=formats,
            day_of_month=int(request.POST.get("day_of_month") or 3),
        )
    except (ValidationFailed, ValueError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        whose = supplier or (f"the {tower.name} tower" if tower else "the estate")
        messages.success(request, f"You will get {whose}'s pack by email each month.")
    return redirect("review_index")


@require_POST
@ui_view
def review_unsubscribe(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    subscription_cancel(actor=actor, subscription=get_visible(actor, PackSubscription.objects, pk=pk))
    messages.success(request, "That pack will no longer be emailed.")
    return redirect("review_index")
