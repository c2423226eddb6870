"""Organisation screens: list, detail, create, edit."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.organisations import selectors
from towers.organisations.forms import OrganisationCreateForm, OrganisationEditForm, OrganisationFilterForm
from towers.organisations.models import Organisation
from towers.organisations.services import organisations as services
from towers.organisations.views.common import (
    allowed,
    edit_page,
    form_page,
    paginate,
    request_actor,
    ui_view,
)

DETAIL_ROWS = 50  # teams and people shown on the page; the lists behind "all" page the rest


def _authority() -> Organisation | None:
    # New organisations are registered "on" the authority: that is where organisation.create is checked.
    try:
        return selectors.authority_get()
    except Organisation.DoesNotExist:
        return None


@ui_view
def organisation_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = OrganisationFilterForm(request.GET)
    filters.is_valid()
    organisations = selectors.organisation_list(
        actor=actor, kind=filters.cleaned_data.get("kind") or None, search=filters.cleaned_data.get("search", "")
    )
    return render(
        request,
        "organisations/organisation_list.html",
        {
            "filters": filters,
            "page": paginate(request, organisations),
            "may": allowed(actor, create=("organisation.create", _authority())),
        },
    )


@ui_view
def organisation_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    organisation = selectors.organisation_get(actor=actor, id=pk)
    teams = selectors.team_list(actor=actor, organisation=pk)
    people = selectors.person_list(actor=actor, organisation=pk)
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "organisation": organisation,
            "teams": teams[:DETAIL_ROWS],
            "team_count": teams.count(),
            "people": people[:DETAIL_ROWS],
            "person_count": people.count(),
            "may": allowed(
                actor,
                edit=("organisation.update", organisation),
                create_team=("team.create", organisation),
                create_person=("person.create", organisation),
            ),
        },
    )


@ui_view
def organisation_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    authority = _authority()
    if authority is not None:
        ensure_can(actor, "organisation.create", authority)
    return form_page(
        request,
        form=OrganisationCreateForm(request.POST or None, towers=selectors.tower_list(actor=actor)),
        save=lambda data: services.organisation_create(actor=actor, **data),
        saved="{} was registered.",
        done_url=lambda organisation: reverse("organisation_detail", args=[organisation.pk]),
        title="Register an organisation",
        submit="Register",
        cancel_url=reverse("organisation_list"),
    )


def _edit_form(request: HttpRequest, actor: Actor, organisation: Organisation) -> OrganisationEditForm:
    initial = {
        "name": organisation.name,
        "kind": organisation.kind,
        "tower": organisation.tower,
        "email": organisation.email,
        "is_active": organisation.is_active,
        "version": organisation.version,
    }
    return OrganisationEditForm(
        request.POST or None,
        initial=initial,
        towers=selectors.tower_list(actor=actor),
        structure_editable=actor.scope.everything,
    )


@ui_view
def organisation_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    organisation = selectors.organisation_get(actor=actor, id=pk)
    ensure_can(actor, "organisation.update", organisation)
    return edit_page(
        request,
        form=_edit_form(request, actor, organisation),
        save=lambda changes, version: services.organisation_update(
            actor=actor, organisation=organisation, changes=changes, expected_version=version
        ),
        done_url=reverse("organisation_detail", args=[pk]),
        title=f"Edit {organisation}",
    )
