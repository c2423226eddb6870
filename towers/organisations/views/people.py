"""People screens: list, detail with roles and teams, create, edit, grant and revoke roles."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from towers.core.errors import Forbidden
from towers.core.permissions import can, ensure_can, permitted
from towers.organisations import selectors
from towers.organisations.forms import MembershipGrantForm, PersonCreateForm, PersonEditForm, PersonFilterForm
from towers.organisations.services import people as services
from towers.organisations.views.common import (
    allowed,
    call_service,
    edit_page,
    form_page,
    paginate,
    request_actor,
    ui_view,
)


@ui_view
def person_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = PersonFilterForm(request.GET, organisations=selectors.organisation_list(actor=actor))
    filters.is_valid()
    organisation = filters.cleaned_data.get("organisation")
    people = selectors.person_list(
        actor=actor,
        organisation=organisation.pk if organisation else None,
        role=filters.cleaned_data.get("role") or None,
        search=filters.cleaned_data.get("search", ""),
    )
    own = selectors.organisation_get(actor=actor, id=actor.organisation_id) if actor.organisation_id else None
    return render(
        request,
        "organisations/person_list.html",
        {"filters": filters, "page": paginate(request, people), "may": allowed(actor, create=("person.create", own))},
    )


@ui_view
def person_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    person = selectors.person_get(actor=actor, id=pk)
    own = selectors.organisation_get(actor=actor, id=actor.organisation_id) if actor.organisation_id else None
    memberships = [(m, can(actor, "membership.manage", m)) for m in person.visible_memberships]  # type: ignore[attr-defined]
    return render(
        request,
        "organisations/person_detail.html",
        {
            "person": person,
            "memberships": memberships,
            "teams": selectors.person_teams(actor=actor, person=person),
            "may": allowed(actor, edit=("person.update", person), grant=("membership.manage", own)),
        },
    )


@ui_view
def person_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    organisations = permitted(actor, "person.create", selectors.organisation_list(actor=actor))
    if not organisations:
        raise Forbidden("You may not add people to any organisation.")
    default = request.GET.get("organisation") or actor.organisation_id
    return form_page(
        request,
        form=PersonCreateForm(request.POST or None, initial={"organisation": default}, organisations=organisations),
        save=lambda data: services.person_create(actor=actor, **{**data, "password": data["password"] or None}),
        saved="{} was added.",
        done_url=lambda person: reverse("person_detail", args=[person.pk]),
        title="Add a person",
        submit="Add person",
        cancel_url=reverse("person_list"),
    )


@ui_view
def person_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    person = selectors.person_get(actor=actor, id=pk)
    ensure_can(actor, "person.update", person)
    fields = ["first_name", "last_name", "email", "job_title", "phone", "is_active", "version"]
    return edit_page(
        request,
        form=PersonEditForm(request.POST or None, initial={name: getattr(person, name) for name in fields}),
        save=lambda changes, version: services.person_update(
            actor=actor, person=person, changes=changes, expected_version=version
        ),
        done_url=reverse("person_detail", args=[pk]),
        title=f"Edit {person}",
    )


@ui_view
def membership_grant(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    person = selectors.person_get(actor=actor, id=pk)
    organisations = permitted(actor, "membership.manage", selectors.organisation_list(actor=actor))
    if not organisations:
        raise Forbidden("You may not grant roles in any organisation.")
    form = MembershipGrantForm(
        request.POST or None, initial={"organisation": actor.organisation_id}, organisations=organisations
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        membership, status = call_service(
            form,
            lambda: services.membership_grant(
                actor=actor, person=person, organisation=data["organisation"], role=data["role"]
            ),
        )
        if membership is not None:
            messages.success(request, f"{person} is now {membership.get_role_display()} at {membership.organisation}.")
            return redirect("person_detail", pk=person.pk)
    return render(
        request,
        "organisations/form.html",
        {
            "form": form,
            "title": f"Grant a role to {person}",
            "submit": "Grant role",
            "cancel_url": reverse("person_detail", args=[pk]),
        },
        status=status,
    )


@require_POST
@ui_view
def membership_revoke(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    membership = selectors.membership_get(actor=actor, id=pk)
    try:
        services.membership_revoke(actor=actor, membership=membership)
    except Forbidden as exc:
        if not can(actor, "membership.manage", membership):
            raise  # not theirs to manage at all: the 403 page
        messages.error(request, str(exc))  # a rule about this one role, e.g. one's own administrator role
    else:
        messages.success(
            request, f"{membership.person} is no longer {membership.get_role_display()} at {membership.organisation}."
        )
    return redirect("person_detail", pk=membership.person_id)
