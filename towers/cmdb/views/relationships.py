"""Adding and removing a CI's relationships, and the name search that finds the CI to link to."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from towers.cmdb import selectors
from towers.cmdb.forms import RelationshipForm
from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services import items as services
from towers.cmdb.views.detail import detail_page, relationship_targets
from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.organisations.views.common import call_service, request_actor, ui_view


def _posted_target(actor: Actor, value: str) -> list[ConfigurationItem]:
    """The posted target, if it is a CI the actor may see: the only choice the form then accepts."""
    try:
        target = UUID(value)
    except ValueError:
        return []
    return list(selectors.ci_list(actor=actor).filter(pk=target))


@ui_view
def ci_relationship_targets(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The target choice for a name search: an HTMX fragment swapped into the add form."""
    actor = request_actor(request)
    ci = selectors.ci_get(actor=actor, id=pk)
    form = RelationshipForm(targets=relationship_targets(actor, ci, request.GET.get("target_search", "")))
    return render(request, "cmdb/_relationship_target.html", {"field": form["target"]})


@require_POST
@ui_view
def ci_relationship_add(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    ci = selectors.ci_get(actor=actor, id=pk)
    # Refused before the form is read, so someone who may not change the CI gets 403 whatever they send.
    ensure_can(actor, "ci.manage", ci)
    form = RelationshipForm(request.POST, targets=_posted_target(actor, request.POST.get("target", "")))
    if not form.is_valid():
        return detail_page(request, ci, form)
    data = form.cleaned_data
    relationship, status = call_service(
        form,
        lambda: services.relationship_create(actor=actor, source=ci, target=data["target"], type=data["type"]),
    )
    if relationship is None:
        return detail_page(request, ci, form, status=status)
    messages.success(request, f"{relationship} was recorded.")
    return redirect(reverse("ci_detail", args=[pk]) + "#relationships")


@require_POST
@ui_view
def relationship_delete(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    relationship = selectors.relationship_get(actor=actor, id=pk)
    described = str(relationship)
    # Back to the page the button was on: the target's, when removed from there.
    back = relationship.target_id if request.POST.get("from") == str(relationship.target_id) else relationship.source_id
    services.relationship_delete(actor=actor, relationship=relationship)
    messages.success(request, f"{described} was removed.")
    return redirect(reverse("ci_detail", args=[back]) + "#relationships")
