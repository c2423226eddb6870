"""Commercial access: the authority lets an organisation (usually the integrator) see a supplier's commercials."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core.errors import Forbidden
from towers.core.permissions import can
from towers.organisations import selectors
from towers.organisations.forms import CommercialGrantForm
from towers.organisations.services import organisations as services
from towers.organisations.views.common import call_service, request_actor, ui_view
from towers.organisations.views.tokens import end_of_day


@ui_view
def commercial_grant_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    authority = selectors.authority_get()
    may_manage = can(actor, "commercial_grant.manage", authority)
    form = CommercialGrantForm(request.POST or None, organisations=selectors.organisation_list(actor=actor))
    status = 200
    if request.method == "POST" and not may_manage:
        raise Forbidden("Only the force's administrators and contract managers grant commercial access.")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grant, status = call_service(
            form,
            lambda: services.commercial_grant_create(
                actor=actor,
                grantee=data["grantee"],
                supplier=data["supplier"],
                reason=data["reason"],
                expires_at=end_of_day(data["expires_on"]),
            ),
            field_names={"expires_at": "expires_on"},
        )
        if grant is not None:
            messages.success(request, f"{grant.grantee} may now see {grant.supplier}'s commercial records.")
            return redirect("commercial_grant_list")
    return render(
        request,
        "organisations/grant_list.html",
        {"grants": selectors.commercial_grant_list(actor=actor), "form": form, "may_manage": may_manage},
        status=status,
    )


@require_POST
@ui_view
def commercial_grant_revoke(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    grant = selectors.commercial_grant_get(actor=actor, id=pk)
    services.commercial_grant_revoke(actor=actor, grant=grant)
    messages.success(request, f"{grant.grantee} no longer sees {grant.supplier}'s commercial records.")
    return redirect("commercial_grant_list")
