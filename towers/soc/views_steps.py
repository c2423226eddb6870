"""What the SOC pages share for a posted step (a button or small form on a detail page): run it, say the outcome."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from towers.core.errors import Forbidden, ValidationFailed


def problems(exc: ValidationFailed) -> str:
    return "; ".join(f"{name}: {', '.join(map(str, found))}" for name, found in exc.fields.items()) or exc.message


def form_problems(form: forms.Form) -> str:
    return "; ".join(f"{name}: {', '.join(map(str, found))}" for name, found in form.errors.items())


def run_step(request: HttpRequest, step: Callable[[], object], done: str) -> bool:
    """Run a step and put its outcome in the page's messages; False when it was forbidden (answer 403)."""
    try:
        step()
    except ValidationFailed as exc:
        messages.error(request, problems(exc))
    except Forbidden as exc:
        messages.error(request, str(exc) or "You may not do this.")
        return False
    else:
        messages.success(request, done)
    return True
