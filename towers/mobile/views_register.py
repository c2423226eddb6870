"""Pages to register a device, or a SIM into one, by hand (thin); most arrive through the MDM import."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from towers.mobile import selectors
from towers.mobile.forms_register import DeviceRegisterForm, SimRegisterForm
from towers.mobile.services.devices import device_register, sim_register
from towers.organisations.selectors import organisation_list, team_list
from towers.organisations.views.common import call_service, request_actor, ui_view


@ui_view
def device_new(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    # The service decides who may register for whom: an owner for itself, a mobile supplier for its customers.
    owners = list(organisation_list(actor=actor).order_by("name"))
    teams = list(team_list(actor=actor))
    form = DeviceRegisterForm(request.POST or None, organisations=owners, teams=teams)
    status = 200
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        owner, team = fields.pop("organisation"), fields.pop("support_team", None)
        device, status = call_service(
            form, lambda: device_register(actor=actor, organisation=owner, support_team=team, **fields)
        )
        if device is not None:
            messages.success(request, f"{device.name or device} is registered, with its configuration item.")
            return redirect("mobile_device_detail", pk=device.pk)
    return render(request, "mobile/device_new.html", {"form": form}, status=status)


@ui_view
def sim_new(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    device = selectors.device_get(actor=actor, id=pk)
    operators = list(organisation_list(actor=actor).order_by("name"))
    form = SimRegisterForm(request.POST or None, operators=operators)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sim, status = call_service(
            form,
            lambda: sim_register(
                actor=actor,
                organisation=device.organisation,
                iccid=data["iccid"],
                msisdn=data["msisdn"],
                tariff=data["tariff"],
                operator=data["operator"],
                device=device,
            ),
        )
        if sim is not None:
            messages.success(request, f"SIM {sim.iccid} is in {device.name or device}.")
            return redirect("mobile_device_detail", pk=device.pk)
    return render(request, "mobile/sim_new.html", {"form": form, "device": device}, status=status)
