"""REST routes of the transition app (thin)."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version
from towers.organisations.selectors import organisation_get
from towers.transition import selectors
from towers.transition.schemas import (
    OnboardIn,
    SupplierTransitionIn,
    SupplierTransitionOut,
    SupplierTransitionPatch,
    TransitionStepOut,
)
from towers.transition.services.move import transition_run
from towers.transition.services.onboard import supplier_onboard
from towers.transition.services.transitions import transition_create, transition_update

router = Router(tags=["Transition"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.get("/transitions", response=list[SupplierTransitionOut], summary="Supplier transitions you may see")
@paginate(Page)
def transition_list(request: HttpRequest, status: str = "") -> Any:
    return selectors.transition_list(actor=_actor(request), status=status)


@router.post(
    "/transitions", response={201: SupplierTransitionOut}, summary="Plan a transition of services to a supplier"
)
def transition_add(request: HttpRequest, body: SupplierTransitionIn) -> Any:
    actor = _actor(request)
    transition = transition_create(
        actor=actor,
        name=body.name,
        outgoing=organisation_get(actor=actor, id=body.outgoing),
        incoming=organisation_get(actor=actor, id=body.incoming),
        effective_at=body.effective_at,
        services=[service_get(actor=actor, id=s) for s in body.services],
        team_mapping=body.team_mapping,
    )
    return Status(201, transition)


@router.post(
    "/transitions/onboard",
    summary="Onboard a supplier from a plan (dry run by default)",
    description="Creates the organisation, teams, contracts, service levels and integrations of `plan` in one "
    "transaction; with `dry_run` it creates nothing and reports what would be created and every problem by field.",
)
def onboard(request: HttpRequest, body: OnboardIn) -> Any:
    return supplier_onboard(actor=_actor(request), plan=body.plan, dry_run=body.dry_run).as_dict()


@router.get("/transitions/{id}", response=SupplierTransitionOut)
def transition_read(request: HttpRequest, id: UUID) -> Any:
    return selectors.transition_get(actor=_actor(request), id=id)


@router.patch(
    "/transitions/{id}", response=SupplierTransitionOut, summary="Change the plan (the dry run must be re-run)"
)
def transition_change(request: HttpRequest, id: UUID, body: SupplierTransitionPatch) -> Any:
    actor = _actor(request)
    transition = selectors.transition_get(actor=actor, id=id)
    changes = body.dict(exclude_unset=True, exclude={"services"})
    services = [service_get(actor=actor, id=s) for s in body.services] if body.services is not None else None
    return transition_update(
        actor=actor,
        transition=transition,
        changes=changes,
        services=services,
        expected_version=expected_version(request),
    )


@router.get("/transitions/{id}/steps", response=list[TransitionStepOut], summary="What apply did, step by step")
@paginate(Page)
def transition_steps(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    return selectors.transition_steps(actor=actor, transition=selectors.transition_get(actor=actor, id=id))


@router.post("/transitions/{id}/dry-run", summary="Compute every step without changing anything")
def transition_dry_run(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    return transition_run(actor=actor, transition=selectors.transition_get(actor=actor, id=id), dry_run=True).as_dict()


@router.post("/transitions/{id}/apply", summary="Apply now if due, else schedule it for the effective date")
def transition_apply(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    return transition_run(actor=actor, transition=selectors.transition_get(actor=actor, id=id), dry_run=False).as_dict()
