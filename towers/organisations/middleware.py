"""Puts `request.actor` on every signed-in UI request, built once and only when used."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from towers.core.actor import Channel
from towers.organisations.auth import session_actor


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not hasattr(request, "actor"):
            request.actor = SimpleLazyObject(lambda: session_actor(request, Channel.WEB))  # type: ignore[attr-defined]
        return self.get_response(request)
