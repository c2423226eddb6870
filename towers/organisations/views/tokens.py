"""The person's own API tokens: list, create (the secret is shown once, in that response only), revoke."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from towers.organisations import selectors
from towers.organisations.forms import TokenCreateForm
from towers.organisations.services import tokens as services
from towers.organisations.views.common import call_service, request_actor, ui_view


def end_of_day(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# never_cache: the response that carries a new secret must not be kept by the browser or a proxy.
@never_cache
@ui_view
def token_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    form = TokenCreateForm(request.POST or None)
    created, secret, status = None, "", 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, status = call_service(
            form,
            lambda: services.token_create(
                actor=actor, name=data["name"], scope=data["scope"], expires_at=end_of_day(data["expires_on"])
            ),
            field_names={"expires_at": "expires_on"},
        )
        if result is not None:
            created, secret = result
            form = TokenCreateForm()
    return render(
        request,
        "organisations/token_list.html",
        {
            "tokens": selectors.token_list(actor=actor),
            "form": form,
            "created": created,
            "secret": secret,
            "now": timezone.now(),
            "may_create": actor.person_id is not None and actor.organisation_id is not None,
        },
        status=status,
    )


@require_POST
@ui_view
def token_revoke(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    token = services.token_revoke(actor=actor, token=selectors.token_get(actor=actor, id=pk))
    messages.success(request, f"The token {token.name} was revoked; it no longer works.")
    return redirect("token_list")
