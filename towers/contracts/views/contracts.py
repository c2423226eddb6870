"""Contract screens: list, detail with charges and service levels, create, edit, set a period's charge."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from towers.contracts import selectors
from towers.contracts.forms import ChargeForm, ContractCreateForm, ContractEditForm, ContractFilterForm
from towers.contracts.models import Contract, ContractCharge
from towers.contracts.services import contracts as services
from towers.contracts.views.service_levels import draft_level, with_target_labels
from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.organisations import selectors as directory
from towers.organisations.models import Organisation, OrganisationKind
from towers.organisations.views.common import (
    allowed,
    call_service,
    edit_page,
    form_page,
    paginate,
    request_actor,
    ui_view,
)

DETAIL_ROWS = 50  # service levels shown on the page; the list behind "all" pages the rest


def _suppliers(actor: Actor) -> QuerySet[Organisation]:
    return directory.organisation_list(actor=actor).exclude(kind=OrganisationKind.AUTHORITY)


@ui_view
def contract_list(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    filters = ContractFilterForm(request.GET, suppliers=_suppliers(actor))
    filters.is_valid()
    supplier = filters.cleaned_data.get("supplier")
    contracts = selectors.contract_list(
        actor=actor, supplier=supplier.pk if supplier else None, search=filters.cleaned_data.get("search", "")
    )
    return render(
        request,
        "contracts/contract_list.html",
        {
            "filters": filters,
            "page": paginate(request, contracts),
            "today": timezone.localdate(),
            # Contracts belong to the authority alone, so a blank contract stands for "any new one".
            "may": allowed(actor, create=("contract.manage", Contract())),
        },
    )


def _with_differences(contract: Contract) -> list[ContractCharge]:
    """The periods with their own charge, newest first, each with how it differs from the usual charge."""
    charges = list(contract.charges.order_by("-period"))
    for charge in charges:
        difference = charge.amount - contract.period_charge
        sign = "+" if difference > 0 else "−" if difference < 0 else ""
        charge.difference_label = f"{sign}£{abs(difference):,.2f}" if difference else "—"  # type: ignore[attr-defined]
    return charges


def _detail(request: HttpRequest, contract: Contract, charge_form: ChargeForm, status: int = 200) -> HttpResponse:
    actor = request_actor(request)
    levels = selectors.service_level_list(actor=actor, contract=contract.pk)
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "today": timezone.localdate(),
            "charges": _with_differences(contract),
            "charge_form": charge_form,
            "levels": with_target_labels(levels[:DETAIL_ROWS]),
            "level_count": levels.count(),
            "may": allowed(
                actor, edit=("contract.manage", contract), define_level=("service_level.manage", draft_level(actor))
            ),
        },
        status=status,
    )


@ui_view
def contract_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    contract = selectors.contract_get(actor=request_actor(request), id=pk)
    return _detail(request, contract, ChargeForm())


@ui_view
def contract_create(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    ensure_can(actor, "contract.manage", Contract())
    form = ContractCreateForm(
        request.POST or None, suppliers=_suppliers(actor), towers=directory.tower_list(actor=actor)
    )
    return form_page(
        request,
        form=form,
        save=lambda data: services.contract_create(actor=actor, **data),
        saved="The contract {} was recorded.",
        done_url=lambda contract: reverse("contract_detail", args=[contract.pk]),
        title="Record a contract",
        submit="Record contract",
        cancel_url=reverse("contract_list"),
    )


@ui_view
def contract_edit(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    contract = selectors.contract_get(actor=actor, id=pk)
    ensure_can(actor, "contract.manage", contract)
    initial = {name: getattr(contract, name) for name in ContractEditForm.base_fields}
    return edit_page(
        request,
        form=ContractEditForm(request.POST or None, initial=initial),
        save=lambda changes, version: services.contract_update(
            actor=actor, contract=contract, changes=changes, expected_version=version
        ),
        done_url=reverse("contract_detail", args=[pk]),
        title=f"Edit {contract}",
    )


@require_POST
@ui_view
def contract_charge_set(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    contract = selectors.contract_get(actor=actor, id=pk)
    # Refused before the form is read, so a supplier gets 403 whatever it sends.
    ensure_can(actor, "contract.manage", contract)
    form = ChargeForm(request.POST)
    if not form.is_valid():
        return _detail(request, contract, form)
    data = form.cleaned_data
    charge, status = call_service(
        form,
        lambda: services.contract_set_charge(
            actor=actor, contract=contract, period=data["period"], amount=data["amount"]
        ),
    )
    if charge is None:
        return _detail(request, contract, form, status=status)
    messages.success(request, f"The charge for {charge.period:%B %Y} is now £{charge.amount:,}.")
    return redirect(reverse("contract_detail", args=[pk]) + "#charges")
