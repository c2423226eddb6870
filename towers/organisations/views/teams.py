"""Team screens: list, detail with members, create, edit, add and remove members."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from towers.core.errors import Forbidden
from towers.core.permissions import ensure_can, get_visible, permitted
from towers.organisations import selectors
from towers.organisations.forms import TeamCreateForm, TeamEditForm, TeamFilterForm, TeamMemberAddForm
from towers.organisations.models import Team
from towers.organisations.services import organisations as services
from towers.organisations.services import people as people_services
from towers.organisations.views.common import (
    allowed,
    call_service,
    edit_page,
    form_page,
    paginate,
    request_actor,
    ui_view,
)

# People offered as suggestions when adding a member; anyone else is found by typing the username.
MEMBER_SUGGESTIONS = 500


@ui_view
def team_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = TeamFilterForm(request.GET, organisations=selectors.organisation_list(actor=actor))
    filters.is_valid()
    organisation = filters.cleaned_data.get("organisation")
    teams = selectors.team_list(
        actor=actor,
        organisation=organisation.pk if organisation else None,
        search=filters.cleaned_data.get("search", ""),
    )
    own = selectors.organisation_get(actor=actor, id=actor.organisation_id) if actor.organisation_id else None
    return render(
        request,
        "organisations/team_list.html",
        {"filters": filters, "page": paginate(request, teams), "may": allowed(actor, create=("team.create", own))},
    )


def _member_form(request: HttpRequest, team: Team, data: object = None) -> TeamMemberAddForm:
    actor = request_actor(request)
    members = selectors.team_members(actor=actor, team=team)
    candidates = selectors.person_list(actor=actor, organisation=team.organisation_id).exclude(
        pk__in=members.values("person_id")
    )
    return TeamMemberAddForm(data, suggestions=candidates[:MEMBER_SUGGESTIONS])


def _detail(request: HttpRequest, team: Team, member_form: TeamMemberAddForm, status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    return render(
        request,
        "organisations/team_detail.html",
        {
            "team": team,
            "members": selectors.team_members(actor=actor, team=team),
            "member_form": member_form,
            "may": allowed(actor, edit=("team.update", team), manage_members=("team.members", team)),
        },
        status=status,
    )


@ui_view
def team_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    team = selectors.team_get(actor=request_actor(request), id=pk)
    return _detail(request, team, _member_form(request, team))


@ui_view
def team_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = permitted(actor, "team.create", selectors.organisation_list(actor=actor))
    if not organisations:
        raise Forbidden("You may not create teams in any organisation.")
    default = request.GET.get("organisation") or actor.organisation_id
    return form_page(
        request,
        form=TeamCreateForm(request.POST or None, initial={"organisation": default}, organisations=organisations),
        save=lambda data: services.team_create(actor=actor, **data),
        saved="The team {} was created.",
        done_url=lambda team: reverse("team_detail", args=[team.pk]),
        title="New team",
        submit="Create team",
        cancel_url=reverse("team_list"),
    )


@ui_view
def team_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    team = selectors.team_get(actor=actor, id=pk)
    ensure_can(actor, "team.update", team)
    initial = {
        "name": team.name,
        "email": team.email,
        "description": team.description,
        "is_active": team.is_active,
        "version": team.version,
    }
    return edit_page(
        request,
        form=TeamEditForm(request.POST or None, initial=initial),
        save=lambda changes, version: services.team_update(
            actor=actor, team=team, changes=changes, expected_version=version
        ),
        done_url=reverse("team_detail", args=[pk]),
        title=f"Edit {team}",
    )


@require_POST
@ui_view
def team_member_add(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    team = selectors.team_get(actor=actor, id=pk)
    ensure_can(actor, "team.members", team)
    form = _member_form(request, team, request.POST)
    if not form.is_valid():
        return _detail(request, team, form)
    person = selectors.person_list(actor=actor, organisation=team.organisation_id).filter(
        username=form.cleaned_data["username"]
    )
    if not person:
        form.add_error("username", f"Nobody in {team.organisation} has this username.")
        return _detail(request, team, form)
    added, status = call_service(
        form, lambda: people_services.team_member_add(actor=actor, team=team, person=person[0])
    )
    if added is None:
        return _detail(request, team, form, status=status)
    messages.success(request, f"{person[0]} was added to {team}.")
    return redirect("team_detail", pk=team.pk)


@require_POST
@ui_view
def team_member_remove(request: HttpRequest, pk: UUID, member_pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    team = selectors.team_get(actor=actor, id=pk)
    member = get_visible(actor, selectors.team_members(actor=actor, team=team), pk=member_pk)
    people_services.team_member_remove(actor=actor, member=member)
    messages.success(request, f"{member.person} was removed from {team}.")
    return redirect("team_detail", pk=team.pk)
