"""HTML fragments of the SLA app, loaded into contract and service-level pages (which sit in a lower layer)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from towers.contracts.selectors import contract_get, service_level_get
from towers.core.errors import NotFound, ValidationFailed
from towers.core.permissions import can
from towers.organisations.views.common import request_actor, ui_view
from towers.sla import selectors
from towers.sla.services import clocks, credits


def _period(request: HttpRequest, field: str = "period") -> date | None:
    raw = request.POST.get(field) or request.GET.get(field) or ""
    try:
        return date.fromisoformat(raw[:7] + "-01") if raw else None
    except ValueError:
        raise ValidationFailed.one(field, f"{raw!r} is not a month (YYYY-MM)") from None


@ui_view
def contract_credits(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The contract's credits period by period, one statement in full, and that period's delivery verdict."""
    actor = request_actor(request)
    contract = contract_get(actor=actor, id=pk)
    runs = list(selectors.credit_run_list(actor=actor, contract=contract))
    period = _period(request) or (runs[0].period if runs else None)
    statement = assessment = None
    if period is not None:
        try:
            statement = selectors.credit_run_current(actor=actor, contract=contract, period=period)
            assessment = selectors.delivery_current(actor=actor, contract=contract, period=period)
        except NotFound:
            pass
    context = {
        "contract": contract,
        "runs": runs,
        "period": period,
        "statement": statement,
        "assessment": assessment,
        "may_calculate": can(actor, "credits.calculate", contract),
    }
    return render(request, "sla/contract_credits.html", context)


@require_POST
@ui_view
def contract_credits_calculate(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Calculate a period's credits and, where the contract defines delivery KPIs, its delivery score."""
    actor = request_actor(request)
    contract = contract_get(actor=actor, id=pk)
    period = _period(request)
    if period is None:
        raise ValidationFailed.one("period", "choose a month")
    try:
        run = credits.credits_calculate(actor=actor, contract=contract, period=period)
        message = f"{period:%B %Y}: credits £{run.total:,.2f}."
        if contract.delivery_kpis:
            assessment = credits.delivery_assess(actor=actor, contract=contract, period=period)
            message += f" Delivery score {assessment.score}: {'eligible' if assessment.eligible else 'not eligible'}."
        messages.success(request, message)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    return redirect(f"/contracts/{contract.pk}/#credits")


@ui_view
def service_level_results(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    level = service_level_get(actor=actor, id=pk)
    context = {
        "level": level,
        "results": selectors.result_list(actor=actor, service_level=level.pk)[:24],
        "may_compute": level.metric in {"response", "resolution"} and can(actor, "results.record", level),
    }
    return render(request, "sla/service_level_results.html", context)


@require_POST
@ui_view
def service_level_results_compute(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    level = service_level_get(actor=actor, id=pk)
    period = _period(request)
    if period is None:
        raise ValidationFailed.one("period", "choose a month")
    try:
        result = clocks.attainment_compute(actor=actor, level=level, period=period)
        messages.success(request, f"{period:%B %Y}: {result.met} of {result.measured} met, {result.actual}%.")
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    return redirect(f"/service-levels/{level.pk}/#results")
