"""Pages of the fleet (thin): the device list and detail, and compliance (rules and the devices breaching them)."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from towers.mobile import selectors
from towers.mobile.models import Compliance, DeviceStatus, Platform
from towers.mobile.views_lifecycle import device_page
from towers.organisations.views.common import paginate, request_actor, ui_view


def _choices(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "Any"), *choices]


class DeviceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="IMEI, serial, name or SIM number")
    status = forms.ChoiceField(required=False, choices=_choices(DeviceStatus.choices))
    compliance = forms.ChoiceField(required=False, choices=_choices(Compliance.choices))
    platform = forms.ChoiceField(required=False, choices=_choices(Platform.choices))
    model = forms.CharField(required=False)

    def filters(self) -> selectors.DeviceFilters:
        data = self.cleaned_data if self.is_valid() else {}
        fields = ("q", "status", "compliance", "platform", "model")
        return selectors.DeviceFilters(**{name: data.get(name, "") for name in fields})


@ui_view
def device_list(request: HttpRequest) -> HttpResponse:
    form = DeviceFilterForm(request.GET)
    devices = selectors.device_list(actor=request_actor(request), filters=form.filters())
    return render(request, "mobile/device_list.html", {"filters": form, "page": paginate(request, devices)})


@ui_view
def device_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    # The page carries the lifecycle's panels and forms, whose POSTs re-render it with their errors.
    return device_page(request, pk)


@ui_view
def compliance(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    context = {
        "rules": selectors.rule_list(actor=actor),
        "page": paginate(request, selectors.non_compliant_list(actor=actor)),
    }
    return render(request, "mobile/compliance.html", context)
