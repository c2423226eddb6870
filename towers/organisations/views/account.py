"""A person's own account: changing their password (through the service, so it is audited)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from towers.organisations.models import Person
from towers.organisations.services.people import person_set_password
from towers.organisations.views.common import request_actor, ui_view


@ui_view
def password_change(request: HttpRequest) -> HttpResponse:
    person = request.user
    assert isinstance(person, Person)
    form: forms.Form = PasswordChangeForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        person_set_password(actor=request_actor(request), person=person, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, person)  # stay signed in on this browser; other sessions end
        messages.success(request, "Your password was changed.")
        return redirect("home")
    return render(
        request,
        "organisations/form.html",
        {"form": form, "title": "Change your password", "submit": "Change password", "cancel_url": "/"},
    )
