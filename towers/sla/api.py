"""REST routes for results, service credits and delivery scores (thin)."""

from datetime import date
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.pagination import paginate

from towers.contracts.selectors import contract_get, service_level_get
from towers.core.api import Page
from towers.sla import exports, selectors, simulation
from towers.sla.schemas import CreditRunOut, CreditStatementOut, DeliveryOut, PeriodIn, ResultIn, ResultOut
from towers.sla.services import credits, results
from towers.sla.simulation import SimulationIn, SimulationOut

router = Router(tags=["Service levels: results and credits"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.post(
    "/sla/simulate",
    response=SimulationOut,
    summary="What-if: run the SLA clock on a timeline",
    description=(
        "Send a service level as it stood (calendars with their versions, targets by priority, the states that "
        "pause it) and a record's timeline; get back the clock as the engine computes it: elapsed and remaining "
        "business time, due and breach instants, warnings, time held per organisation and team, and every "
        "segment with the calendar rule that explains it. Nothing is stored."
    ),
)
def simulate(request: HttpRequest, body: SimulationIn) -> Any:
    return simulation.simulate(body)


@router.get("/sla/results", response=list[ResultOut])
@paginate(Page)
def result_list(request: HttpRequest, service_level: UUID | None = None, period: date | None = None) -> Any:
    return selectors.result_list(actor=_actor(request), service_level=service_level, period=period)


@router.post("/sla/results", response=ResultOut, summary="Report a period's figure (availability %, a KPI)")
def result_report(request: HttpRequest, body: ResultIn) -> Any:
    actor = _actor(request)
    level = service_level_get(actor=actor, id=body.service_level)
    return results.result_report(
        actor=actor, level=level, period=body.period, actual=body.actual, evidence=body.evidence
    )


@router.get("/contracts/{id}/credits", response=list[CreditRunOut], summary="The contract's credits, period by period")
def credit_runs(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    return selectors.credit_run_list(actor=actor, contract=contract_get(actor=actor, id=id))


@router.post("/contracts/{id}/credits", response=CreditStatementOut, summary="Calculate a period's service credits")
def credits_calculate(request: HttpRequest, id: UUID, body: PeriodIn) -> Any:
    actor = _actor(request)
    contract = contract_get(actor=actor, id=id)
    credits.credits_calculate(actor=actor, contract=contract, period=body.period)
    return selectors.credit_run_current(actor=actor, contract=contract, period=body.period)


@router.get("/contracts/{id}/credits/{period}", response=CreditStatementOut, summary="A period's credits statement")
def credit_statement(request: HttpRequest, id: UUID, period: date) -> Any:
    actor = _actor(request)
    return selectors.credit_run_current(actor=actor, contract=contract_get(actor=actor, id=id), period=period)


@router.get("/contracts/{id}/credits/{period}/csv", summary="A period's credits statement as CSV")
def credit_statement_csv(request: HttpRequest, id: UUID, period: date) -> HttpResponse:
    actor = _actor(request)
    run = selectors.credit_run_current(actor=actor, contract=contract_get(actor=actor, id=id), period=period)
    response = HttpResponse(exports.credit_statement_csv(run), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="credits-{run.contract.reference}-{period:%Y-%m}.csv"'
    return response


@router.get("/contracts/{id}/delivery", response=DeliveryOut, summary="The latest delivery score and verdict")
def delivery_get(request: HttpRequest, id: UUID, period: date | None = None) -> Any:
    actor = _actor(request)
    return selectors.delivery_current(actor=actor, contract=contract_get(actor=actor, id=id), period=period)


@router.post("/contracts/{id}/delivery", response=DeliveryOut, summary="Score a period's delivery")
def delivery_assess(request: HttpRequest, id: UUID, body: PeriodIn) -> Any:
    actor = _actor(request)
    return credits.delivery_assess(actor=actor, contract=contract_get(actor=actor, id=id), period=body.period)
