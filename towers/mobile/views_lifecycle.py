"""Pages of a device's lifecycle (thin): the device page's steps, evidence and action forms, the forms' POSTs, and
the devices due a refresh. Each form posts to its own URL and comes back to the device page, with its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import can
from towers.mobile import selectors
from towers.mobile.models import Device, DeviceStatus, DeviceTask, TaskPurpose, WipeMethod
from towers.mobile.policies import CONFIGURE_FLEET, MANAGE_FLEET
from towers.mobile.selectors_lifecycle import (
    device_tasks,
    refresh_due,
    refresh_reasons,
    swap_candidates,
    wipe_evidence_list,
)
from towers.mobile.services import lifecycle
from towers.mobile.views_loss import loss_context
from towers.organisations import selectors as directory
from towers.organisations.models import Person, Team
from towers.organisations.views.common import call_service, paginate, request_actor, ui_view


class IssueForm(forms.Form):
    person = forms.CharField(required=False, max_length=150, label="Person's username")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "issue-%s", **kwargs})
        self.actor = actor
        self.fields["team"].queryset = directory.team_list(actor=actor).select_related(None)  # type: ignore[attr-defined]

    def clean_person(self) -> Person | None:
        username = self.cleaned_data.get("person", "").strip()
        if not username:
            return None
        person = directory.person_list(actor=self.actor).filter(username=username).first()
        if person is None:
            raise forms.ValidationError(f"Nobody you may see has the username {username}.")
        return person


class SwapForm(forms.Form):
    replacement = forms.ModelChoiceField(queryset=Device.objects.none(), help_text="In stock, of the same owner.")
    reason = forms.ChoiceField(choices=[(r, r.capitalize()) for r in lifecycle.SWAP_REASONS])
    note = forms.CharField(required=False, max_length=2000, help_text="For the courier, e.g. where to meet.")

    def __init__(self, *args: Any, actor: Actor, device: Device, **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "swap-%s", **kwargs})
        field = self.fields["replacement"]
        field.queryset = swap_candidates(actor=actor, device=device)  # type: ignore[attr-defined]
        field.label_from_instance = lambda spare: f"{spare.name or spare} — {spare.make} {spare.model}"  # type: ignore[attr-defined]


class RepairForm(forms.Form):
    fault = forms.CharField(max_length=500)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "repair-%s", **kwargs})


class RepairReturnForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("repaired", "Repaired: back to stock"), ("beyond_repair", "Beyond repair")])
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "return-%s", **kwargs})


class RetireForm(forms.Form):
    method = forms.ChoiceField(
        choices=[("", "— use the completed remote wipe (lost or stolen only) —"), *WipeMethod.choices], required=False
    )
    performed_at = forms.DateTimeField(
        required=False, label="Data destroyed at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    performed_by = forms.CharField(required=False, max_length=200, help_text="The engineer or the erasure company.")
    certificate = forms.CharField(required=False, max_length=200, label="Certificate reference")
    document = forms.FileField(required=False, label="Certificate document")
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "retire-%s", **kwargs})


def _forms(actor: Actor, device: Device, bound: dict[str, forms.Form]) -> dict[str, forms.Form]:
    """The action forms that fit the device's status and the actor's rights (bound ones carry their errors)."""
    shown: dict[str, Callable[[], forms.Form]] = {}
    if can(actor, MANAGE_FLEET, device):
        if device.status in (DeviceStatus.IN_STOCK, DeviceStatus.ISSUED):
            shown["issue"] = lambda: IssueForm(actor=actor)
            shown["repair"] = RepairForm
        if device.status == DeviceStatus.ISSUED:
            shown["swap"] = lambda: SwapForm(actor=actor, device=device)
        if device.status == DeviceStatus.IN_REPAIR:
            shown["repair_return"] = RepairReturnForm
    if device.status not in (DeviceStatus.ISSUED, DeviceStatus.RETIRED) and can(actor, CONFIGURE_FLEET, device):
        shown["retire"] = RetireForm
    return {name: bound.get(name) or make() for name, make in shown.items()}


def _last_repair_outcome(tasks: list[DeviceTask]) -> str:
    repair = next((task for task in tasks if task.purpose == TaskPurpose.REPAIR), None)  # newest first
    return str(repair.data.get("outcome", "")) if repair is not None else ""


def device_page(
    request: HttpRequest, pk: UUID, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """The device with its steps, wipe evidence, losses and the actions the actor may take."""
    actor = request_actor(request)
    device = selectors.device_get(actor=actor, id=pk)
    tasks = list(device_tasks(actor=actor, device=device))
    context = {
        "device": device,
        "tasks": tasks,
        "evidence": list(wipe_evidence_list(actor=actor, device=device)),
        "beyond_repair": device.status == DeviceStatus.IN_REPAIR and _last_repair_outcome(tasks) == "beyond_repair",
        "actions": _forms(actor, device, bound or {}),
        "failed": next(iter(bound or {}), ""),
        **loss_context(actor, device),
    }
    return render(request, "mobile/device_detail.html", context, status=status)


def _act(
    request: HttpRequest, pk: UUID, name: str, form: forms.Form, run: Callable[..., Any], done: str
) -> HttpResponse:
    """Run one action on the device; back to its page with a message, or with the form's errors."""
    actor = request_actor(request)
    device = selectors.device_get(actor=actor, id=pk)  # 404 before the form is judged
    status = 200
    if form.is_valid():
        result, status = call_service(form, lambda: run(actor, device, form.cleaned_data))
        if result is not None:
            messages.success(request, done)
            return redirect("mobile_device_detail", pk=device.pk)
    return device_page(request, pk, {name: form}, status)


@require_POST
@ui_view
def device_issue(request: HttpRequest, pk: UUID) -> HttpResponse:
    form = IssueForm(request.POST, actor=request_actor(request))
    return _act(
        request, pk, "issue", form,
        lambda actor, device, data: lifecycle.device_issue(actor=actor, device=device, **data),
        "The device was issued.",
    )  # fmt: skip


@require_POST
@ui_view
def device_swap(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    form = SwapForm(request.POST, actor=actor, device=selectors.device_get(actor=actor, id=pk))
    return _act(
        request, pk, "swap", form,
        lambda actor, device, data: lifecycle.device_swap(actor=actor, device=device, **data),
        "The swap's courier step was raised: the devices move when it is done.",
    )  # fmt: skip


@require_POST
@ui_view
def device_repair(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request, pk, "repair", RepairForm(request.POST),
        lambda actor, device, data: lifecycle.device_send_to_repair(actor=actor, device=device, **data),
        "The device went for repair and the repair step was raised.",
    )  # fmt: skip


@require_POST
@ui_view
def device_repair_return(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request, pk, "repair_return", RepairReturnForm(request.POST),
        lambda actor, device, data: lifecycle.device_repair_return(actor=actor, device=device, **data),
        "The repair's outcome was recorded.",
    )  # fmt: skip


@require_POST
@ui_view
def device_retire(request: HttpRequest, pk: UUID) -> HttpResponse:
    return _act(
        request, pk, "retire", RetireForm(request.POST, request.FILES),
        lambda actor, device, data: lifecycle.device_retire(actor=actor, device=device, **data),
        "The device was retired; its data-wipe evidence is on record.",
    )  # fmt: skip


@ui_view
def refresh(request: HttpRequest) -> HttpResponse:
    """Devices due a refresh, with why, and a button raising refresh steps for the chosen (or all listed)."""
    actor = request_actor(request)
    page = paginate(request, refresh_due(actor=actor, today=timezone.localdate()))
    rows = [(device, refresh_reasons(device)) for device in page]
    return render(request, "mobile/lifecycle/refresh.html", {"page": page, "rows": rows})


@require_POST
@ui_view
def refresh_raise(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    chosen = [_uuid(value) for value in request.POST.getlist("device")]
    # Only chosen devices due a refresh that the actor sees: an id of anyone else's is simply not among them.
    ids = [pk for pk in chosen if pk is not None]
    devices = list(refresh_due(actor=actor, today=timezone.localdate(), ids=ids)) if chosen else None
    try:
        raised = lifecycle.devices_refresh_raise(actor=actor, devices=devices)
    except Forbidden as exc:
        messages.error(request, str(exc))
        return redirect("mobile_refresh")
    messages.success(request, f"{raised} refresh step{'s' if raised != 1 else ''} raised.")
    return redirect("mobile_refresh")


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
