"""REST routes for problems and the known error database (thin); mounted under the changes router."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page, set_etag
from towers.servicedesk import selectors_problems as problems
from towers.servicedesk.api_support import Mapped, actor_of, resolve_refs, ticket_ref
from towers.servicedesk.models import Ticket
from towers.servicedesk.schemas_changes import (
    KnownErrorIn,
    KnownErrorMatchOut,
    LinkIncidentsIn,
    ProblemFullOut,
    ProblemIn,
    ProblemOut,
    ResolutionOut,
    ResolveIn,
    RootCauseIn,
)
from towers.servicedesk.selectors_problems import problem_detail_of
from towers.servicedesk.services import problems as problem_services

router = Router(tags=["problems"])
PROBLEM_OUT = ("id", "reference", "title", "description", "state", "priority", "team", "resolution_code", "opened_at")


def _problem_out(problem: Ticket) -> dict[str, Any]:
    detail = problem_detail_of(problem)
    return {name: getattr(problem, name) for name in (*PROBLEM_OUT, "version", "updated_at")} | {
        "service": problem.service_id,
        "root_cause": detail.root_cause,
        "known_error": detail.known_error,
        "workaround": detail.workaround,
        "symptoms": detail.symptoms,
        "known_error_at": detail.known_error_at,
        "incident_count": getattr(problem, "incident_count", 0),
    }


def _full_problem(request: HttpRequest, response: HttpResponse, id: UUID) -> dict[str, Any]:
    actor = actor_of(request)
    problem = problems.problem_get(actor=actor, id=id)
    set_etag(response, problem)
    incidents = problems.problem_incidents(actor=actor, problem=problem)
    return _problem_out(problem) | {"incidents": [ticket_ref(i) for i in incidents]}


@router.get("/problems", response=list[ProblemOut], summary="Problems you may see, newest first")
@paginate(Page)
def problem_list(
    request: HttpRequest, known_errors_only: bool = False, open_only: bool = False, search: str = ""
) -> Any:
    qs = problems.problem_list(
        actor=actor_of(request), known_errors_only=known_errors_only, open_only=open_only, search=search
    )
    return Mapped(qs, _problem_out)


@router.post("/problems", response={201: ProblemFullOut}, summary="Raise a problem, from scratch or from an incident")
def problem_create(request: HttpRequest, response: HttpResponse, body: ProblemIn) -> Any:
    actor = actor_of(request)
    data = resolve_refs(actor, body.dict())
    data["incident"] = problems.incident_get(actor=actor, id=data["incident"]) if data.get("incident") else None
    problem = problem_services.problem_create(actor=actor, **data)
    return Status(201, _full_problem(request, response, problem.pk))


@router.get("/problems/{id}", response=ProblemFullOut)
def problem_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Any:
    return _full_problem(request, response, id)


@router.post("/problems/{id}/root-cause", response=ProblemFullOut)
def problem_record_cause(request: HttpRequest, response: HttpResponse, id: UUID, body: RootCauseIn) -> Any:
    actor = actor_of(request)
    problem = problems.problem_get(actor=actor, id=id)
    problem_services.problem_record_cause(actor=actor, problem=problem, root_cause=body.root_cause)
    return _full_problem(request, response, id)


@router.post("/problems/{id}/known-error", response=ProblemFullOut, summary="Publish the workaround as a known error")
def problem_mark_known_error(request: HttpRequest, response: HttpResponse, id: UUID, body: KnownErrorIn) -> Any:
    actor = actor_of(request)
    problem = problems.problem_get(actor=actor, id=id)
    problem_services.problem_mark_known_error(
        actor=actor, problem=problem, workaround=body.workaround, symptoms=body.symptoms
    )
    return _full_problem(request, response, id)


@router.post("/problems/{id}/incidents", response=ProblemFullOut, summary="Link incidents to the problem")
def problem_link_incidents(request: HttpRequest, response: HttpResponse, id: UUID, body: LinkIncidentsIn) -> Any:
    actor = actor_of(request)
    problem = problems.problem_get(actor=actor, id=id)
    incidents = [problems.incident_get(actor=actor, id=i) for i in body.incidents]
    problem_services.problem_link_incidents(actor=actor, problem=problem, incidents=incidents)
    return _full_problem(request, response, id)


@router.delete("/problems/{id}/incidents/{incident_id}", response=ProblemFullOut, summary="Unlink an incident")
def problem_unlink_incident(request: HttpRequest, response: HttpResponse, id: UUID, incident_id: UUID) -> Any:
    actor = actor_of(request)
    problem = problems.problem_get(actor=actor, id=id)
    incident = problems.incident_get(actor=actor, id=incident_id)
    problem_services.problem_unlink_incident(actor=actor, problem=problem, incident=incident)
    return _full_problem(request, response, id)


@router.post("/problems/{id}/resolve", response=ResolutionOut, summary="Resolve, and optionally its open incidents")
def problem_resolve(request: HttpRequest, id: UUID, body: ResolveIn) -> Any:
    actor = actor_of(request)
    problem = problems.problem_get(actor=actor, id=id)
    result = problem_services.problem_resolve(actor=actor, problem=problem, **body.dict())
    return {
        "problem": _problem_out(problems.problem_get(actor=actor, id=id)),
        "incidents_resolved": [ticket_ref(i) for i in result.incidents_resolved],
        "incidents_skipped": [ticket_ref(i) for i in result.incidents_skipped],
    }


@router.get(
    "/known-errors",
    response=list[KnownErrorMatchOut],
    summary="The known error database; with `incident`, the known errors matching that incident, best first",
)
@paginate(Page)
def known_error_list(request: HttpRequest, search: str = "", incident: UUID | None = None) -> Any:
    actor = actor_of(request)
    if incident is not None:
        ticket = problems.incident_get(actor=actor, id=incident)
        matches = problem_services.known_errors_matching(actor=actor, ticket=ticket)
        return Mapped(matches, lambda m: {"problem": _problem_out(m.problem), "score": m.score, "reasons": m.reasons})
    return Mapped(
        problems.known_error_list(actor=actor, search=search),
        lambda p: {"problem": _problem_out(p), "score": 0, "reasons": []},
    )
