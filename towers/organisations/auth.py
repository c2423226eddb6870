"""How API callers are recognised: a bearer token, or the browser session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden
from towers.organisations.models import ApiToken, Organisation, Person
from towers.organisations.selectors import actor_for
from towers.organisations.services.tokens import token_authenticate

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SESSION_ORGANISATION_KEY = "organisation_id"


def session_actor(request: HttpRequest, channel: Channel) -> Actor:
    organisation_id = request.session.get(SESSION_ORGANISATION_KEY)
    organisation = Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    assert isinstance(request.user, Person)
    return actor_for(request.user, organisation=organisation, channel=channel)


class TokenAuth(HttpBearer):
    openapi_description = "An API token created under Account → API tokens: `Authorization: Bearer twr_…`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        if request.method not in SAFE_METHODS and api_token.scope != ApiToken.Scope.WRITE:
            raise Forbidden("This token has the read scope; changes need a token with the write scope.")
        request.actor = actor_for(  # type: ignore[attr-defined]
            api_token.person, organisation=api_token.organisation, channel=Channel.API, token=api_token
        )
        return api_token.person


class SessionActorAuth(SessionAuth):
    """The signed-in browser session; writes need the CSRF token, as in the UI."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user:
            request.actor = session_actor(request, Channel.API)  # type: ignore[attr-defined]
        return user
