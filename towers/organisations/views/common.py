"""What every HTML view shares: the acting actor, domain errors as HTTP answers, forms fed by services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from towers.core.permissions import can

T = TypeVar("T")
View = Callable[..., HttpResponse]

PAGE_SIZE = 50
STALE_MESSAGE = (
    "This record was changed by someone else since you opened it. Reload the page to see their "
    "changes, then make yours again."
)


def request_actor(request: HttpRequest) -> Actor:
    """The actor ActorMiddleware put on the request, unwrapped so that dataclasses.replace works on it."""
    actor = request.actor  # type: ignore[attr-defined]
    if isinstance(actor, SimpleLazyObject):
        actor.label  # noqa: B018  (forces the lazy object to build the actor)
        actor = actor._wrapped
    assert isinstance(actor, Actor)
    return actor


def ui_view(view: View) -> View:
    """Signed-in only; an object the actor may not see is a 404, exactly like one that does not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request"):
                # A fragment must not swap the log-in page into the page: send the whole browser there.
                response = HttpResponse(status=401)
                response["HX-Redirect"] = redirect_to_login(request.headers.get("HX-Current-URL", "/")).url
                return response
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    return wrapper


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def call_service(
    form: forms.Form, service: Callable[[], T], *, field_names: dict[str, str] | None = None
) -> tuple[T | None, int]:
    """Run a service for a valid form; put what it refuses on the form. Returns (result, HTTP status).

    field_names maps a service's argument to the form field that feeds it, where their names differ.
    """
    try:
        return service(), 200
    except ValidationFailed as exc:
        for name, messages in exc.fields.items():
            field = (field_names or {}).get(name, name)
            for message in messages:
                if field in form.fields:
                    form.add_error(field, message)
                else:  # a rule across fields ("body"), or one about a field the form does not show
                    form.add_error(None, message if name == "body" else f"{name}: {message}")
        return None, 200
    except StaleVersion:
        form.add_error(None, STALE_MESSAGE)
        return None, 409
    except Forbidden as exc:
        form.add_error(None, str(exc) or "You may not do this.")
        return None, 403


def allowed(actor: Actor, **checks: tuple[str, Model | None]) -> dict[str, bool]:
    """Named permission flags for a template: allowed(actor, edit=("team.update", team)) -> {"edit": True}."""
    return {name: target is not None and can(actor, action, target) for name, (action, target) in checks.items()}


def form_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    saved: str,
    done_url: Callable[[Any], str],
    title: str,
    submit: str,
    cancel_url: str,
) -> HttpResponse:
    """A form that writes through one service: on success a message (`saved` formats the result) and a redirect."""
    status = 200
    if request.method == "POST" and form.is_valid():
        result, status = call_service(form, lambda: save(form.cleaned_data))
        if result is not None:
            messages.success(request, saved.format(result))
            return redirect(done_url(result))
    context = {"form": form, "title": title, "submit": submit, "cancel_url": cancel_url}
    return render(request, "organisations/form.html", context, status=status)


def edit_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    save: Callable[[dict[str, Any], int], Any],
    done_url: str,
    title: str,
) -> HttpResponse:
    """The edit form of a versioned record: saves through `save(changes, version_read)`, or shows why not."""

    def save_changes(data: dict[str, Any]) -> Any:
        return save({name: value for name, value in data.items() if name != "version"}, data["version"])

    return form_page(
        request,
        form=form,
        save=save_changes,
        saved="{} was saved.",
        done_url=lambda _saved: done_url,
        title=title,
        submit="Save",
        cancel_url=done_url,
    )
