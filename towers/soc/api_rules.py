"""REST routes of the SOC's detection rules: the list, tuning, custom Sigma rules and their validation (thin).

`validate` is declared before the `{id}` routes so that the literal path wins.
"""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from towers.core.api import Page
from towers.core.errors import Forbidden
from towers.organisations.selectors import organisation_get
from towers.soc import selectors
from towers.soc.schemas import SocRuleExceptionIn, SocRuleOut, SocSuppressionIn, SocSuppressionOut
from towers.soc.schemas_rules import SocCustomRuleOut, SocRuleTextIn, SocRuleValidateIn, SocRuleValidationOut
from towers.soc.services import rules as rule_services
from towers.soc.sigma import validation

router = Router(tags=["SOC"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.post("/detection-rules/validate", response=SocRuleValidationOut, summary="Check a rule text; try samples")
def rule_validate(request: HttpRequest, body: SocRuleValidateIn) -> Any:
    return validation.rule_validate(body.text, body.sample_events)


@router.get("/detection-rules", response=list[SocRuleOut], summary="Detection rules and their tuning")
@paginate(Page)
def rule_list(request: HttpRequest, enabled: bool | None = None, search: str = "") -> Any:
    return selectors.rule_list(actor=_actor(request), enabled=enabled, search=search)


@router.get("/detection-rules/{id}", response=SocRuleOut)
def rule_get(request: HttpRequest, id: UUID) -> Any:
    return selectors.rule_get(actor=_actor(request), id=id)


@router.post("/detection-rules/{id}/enable", response=SocRuleOut)
def rule_enable(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    return rule_services.rule_enable(actor=actor, rule=selectors.rule_get(actor=actor, id=id))


@router.post("/detection-rules/{id}/disable", response=SocRuleOut)
def rule_disable(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    return rule_services.rule_disable(actor=actor, rule=selectors.rule_get(actor=actor, id=id))


@router.post("/detection-rules/{id}/exceptions", response=SocRuleOut, summary="Tune out events (audited)")
def rule_exception_add(request: HttpRequest, id: UUID, body: SocRuleExceptionIn) -> Any:
    actor = _actor(request)
    rule = selectors.rule_get(actor=actor, id=id)
    return rule_services.rule_exception_add(actor=actor, rule=rule, **body.dict())


@router.post("/detection-rules/{id}/suppressions", response={201: SocSuppressionOut})
def rule_suppression_add(request: HttpRequest, id: UUID, body: SocSuppressionIn) -> Any:
    actor = _actor(request)
    rule = selectors.rule_get(actor=actor, id=id)
    return Status(201, rule_services.suppression_create(actor=actor, rule=rule, **body.dict()))


@router.post("/detection-rules", response={201: SocCustomRuleOut}, summary="Write a custom rule (audited)")
def rule_create(request: HttpRequest, body: SocRuleTextIn) -> Any:
    actor = _actor(request)
    if actor.organisation_id is None:
        raise Forbidden("Custom rules belong to a SOC: use a token of one of its people.")
    organisation = organisation_get(actor=actor, id=actor.organisation_id)
    return Status(201, rule_services.rule_custom_create(actor=actor, organisation=organisation, text=body.text))


@router.put("/detection-rules/{id}", response=SocCustomRuleOut, summary="Replace a custom rule's text")
def rule_update(request: HttpRequest, id: UUID, body: SocRuleTextIn) -> Any:
    actor = _actor(request)
    rule = selectors.rule_get(actor=actor, id=id)
    return rule_services.rule_custom_update(actor=actor, rule=rule, text=body.text)


@router.delete("/detection-rules/{id}/exceptions/{index}", response=SocCustomRuleOut, summary="Take back an exception")
def rule_exception_remove(request: HttpRequest, id: UUID, index: int) -> Any:
    actor = _actor(request)
    rule = selectors.rule_get(actor=actor, id=id)
    return rule_services.rule_exception_remove(actor=actor, rule=rule, index=index)
