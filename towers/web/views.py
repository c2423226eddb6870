"""The shell: sign-in and sign-out, the home page, and choosing which organisation to act for."""

from __future__ import annotations

from collections import Counter
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core import events
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.roles import Role
from towers.organisations import selectors
from towers.organisations.auth import SESSION_ORGANISATION_KEY
from towers.organisations.models import OrganisationKind, Person
from towers.organisations.views.audit import may_read_audit
from towers.organisations.views.common import request_actor
from towers.organisations.views.history import decorate

RECENT_ENTRIES = 10


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if SESSION_ORGANISATION_KEY not in self.request.session:
            organisations = selectors.person_organisations(form.get_user())
            if organisations:
                self.request.session[SESSION_ORGANISATION_KEY] = str(organisations[0].id)
        return response


class SignOutView(auth_views.LogoutView):
    """GET asks for confirmation (signing out must be a POST); POST signs out."""

    http_method_names = ["get", "post", "options"]
    template_name = "web/logout.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("login")
        return render(request, self.template_name)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have signed out.")
        return response


PLURAL_KINDS = {"authority": "Authority", "supplier": "Tower suppliers", "third_party": "Third parties"}


def _pending_events() -> int:
    # The outbox backlog spans every organisation's changes: a figure for the authority only.
    return events.pending_count()


def home_figures(actor: Actor) -> dict[str, Any]:
    """Counts over what the actor may see, each through a selector (so each already segregated)."""
    kinds = Counter(selectors.organisation_list(actor=actor).values_list("kind", flat=True))
    return {
        "organisations": [(PLURAL_KINDS[kind], kinds.get(kind, 0)) for kind in OrganisationKind.values],
        "organisation_total": sum(kinds.values()),
        "teams": selectors.team_list(actor=actor).count(),
        "people": selectors.person_list(actor=actor).count(),
        "pending_events": _pending_events() if actor.scope.everything else None,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    assert isinstance(request.user, Person)
    show_audit = may_read_audit(actor)
    return render(
        request,
        "web/home.html",
        {
            "figures": home_figures(actor),
            "my_teams": selectors.person_teams(actor=actor, person=request.user),
            "roles": sorted(Role(role).label for role in actor.roles),
            "recent": decorate(selectors.audit_list(actor=actor)[:RECENT_ENTRIES]) if show_audit else None,
        },
    )


@require_POST
@login_required
def switch_organisation(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, Person)
    try:
        wanted = UUID(request.POST.get("organisation", ""))
    except ValueError:
        wanted = None
    memberships = {o.id: o for o in selectors.person_organisations(request.user)}
    if wanted not in memberships:
        raise Forbidden("You can act only for an organisation you are a member of.")
    request.session[SESSION_ORGANISATION_KEY] = str(wanted)
    messages.success(request, f"You are now acting for {memberships[wanted]}.")
    return redirect("home")
