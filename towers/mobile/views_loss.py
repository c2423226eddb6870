"""Pages for a lost or stolen device (thin): the person reports their own in the portal, the desk reports for them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.permissions import can, visible_to
from towers.mobile import selectors
from towers.mobile.forms_loss import FoundForm, LossReportForm
from towers.mobile.models import Device, LossReport
from towers.mobile.policies import REPORT_LOSS
from towers.mobile.selectors_loss import my_device_get, my_devices, open_loss
from towers.mobile.services.loss import MISSING, device_found, device_report_loss
from towers.organisations.views.common import call_service, request_actor, ui_view
from towers.soc.models import SecurityCase


def loss_context(actor: Actor, device: Device) -> dict[str, Any]:
    """What the device page's loss panel (mobile/_device_loss.html) needs."""
    losses = list(device.losses.select_related("incident", "security_case").order_by("-created_at"))
    # A case is the SOC's: its reference is shown only to those who may see the case.
    cases = visible_to(actor, SecurityCase.objects).filter(pk__in=[loss.security_case_id for loss in losses])
    return {
        "losses": losses,
        "visible_cases": set(cases.values_list("pk", flat=True)),
        "may_report_loss": can(actor, REPORT_LOSS, device),
        "missing": device.status in MISSING,
    }


def _told(request: HttpRequest, report: LossReport) -> None:
    assert report.incident is not None
    lines = [f"{report.device} is reported {report.kind}: {report.incident.reference} was raised."]
    lines.append("The mobile team will lock and wipe it remotely")
    if report.tasks.filter(purpose="bar_line").exists():
        lines[-1] += " and the network operator will bar its line"
    messages.success(request, " ".join(lines) + ".")


def _report(request: HttpRequest, device: Device, channel: str) -> tuple[LossReportForm, LossReport | None, int]:
    form = LossReportForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return form, None, 200
    actor = request_actor(request)
    report, status = call_service(
        form, lambda: device_report_loss(actor=actor, device=device, channel=channel, **form.service_fields())
    )
    if report is not None:
        _told(request, report)
    return form, report, status


@ui_view
def portal_devices(request: HttpRequest) -> HttpResponse:
    devices = list(my_devices(request_actor(request)))
    for device in devices:
        device.open_loss = open_loss(device) if device.status in MISSING else None  # type: ignore[attr-defined]
    return render(request, "mobile/portal/devices.html", {"devices": devices, "missing": MISSING})


@ui_view
def portal_device_loss(request: HttpRequest, pk: UUID) -> HttpResponse:
    device = my_device_get(request_actor(request), pk)
    form, report, status = _report(request, device, "portal")
    if report is not None and report.incident is not None:
        return redirect("portal_ticket", reference=report.incident.reference)
    return render(request, "mobile/portal/report_loss.html", {"device": device, "form": form}, status=status)


@ui_view
def desk_device_loss(request: HttpRequest, pk: UUID) -> HttpResponse:
    device = selectors.device_get(actor=request_actor(request), id=pk)
    form, report, status = _report(request, device, "phone")
    if report is not None and report.incident is not None:
        return redirect("ticket_detail", reference=report.incident.reference)
    context = {"device": device, "form": form, "on_behalf": True}
    return render(request, "mobile/portal/report_loss.html", context, status=status)


def _found(request: HttpRequest, device: Device) -> bool:
    form = FoundForm(request.POST)
    if form.is_valid():
        actor = request_actor(request)
        done, _ = call_service(form, lambda: device_found(actor=actor, device=device, note=form.cleaned_data["note"]))
        if done is not None:
            messages.success(
                request, f"{device} is marked found; its wipe and line bar, if not yet done, are cancelled."
            )
            return True
    messages.error(
        request, " ".join(str(e) for e in form.non_field_errors()) or "The device could not be marked found."
    )
    return False


@require_POST
@ui_view
def portal_device_found(request: HttpRequest, pk: UUID) -> HttpResponse:
    _found(request, my_device_get(request_actor(request), pk))
    return redirect("portal_devices")


@require_POST
@ui_view
def desk_device_found(request: HttpRequest, pk: UUID) -> HttpResponse:
    _found(request, selectors.device_get(actor=request_actor(request), id=pk))
    return redirect("mobile_device_detail", pk=pk)
