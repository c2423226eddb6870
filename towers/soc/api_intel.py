"""REST routes of the SOC's threat intelligence: indicators with their hits, and bundle imports (thin)."""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from towers.core.api import Page
from towers.servicedesk.api_support import Mapped
from towers.soc import selectors_intel
from towers.soc.models import Alert, Indicator
from towers.soc.schemas_intel import IndicatorFullOut, IndicatorImportIn, IndicatorImportOut, IndicatorOut
from towers.soc.services import intel_import

router = Router(tags=["SOC"])


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _indicator_out(indicator: Indicator) -> dict[str, Any]:
    fields = ("id", "stix_id", "name", "type", "value", "pattern", "labels", "confidence", "source", "observables")
    times = ("valid_from", "valid_until")
    return {name: getattr(indicator, name) for name in (*fields, *times)} | {
        "organisation": indicator.organisation_id,
        "hits": getattr(indicator, "hits", 0),
    }


def _alert_out(alert: Alert) -> dict[str, Any]:
    fields = ("id", "title", "severity", "status", "host", "user", "ip", "count", "last_seen")
    return {name: getattr(alert, name) for name in fields} | {"case": alert.case_id}


@router.get("/indicators", response=list[IndicatorOut], summary="Threat intelligence indicators, with their hits")
@paginate(Page)
def indicator_list(
    request: HttpRequest, type: str = "", source: str = "", active: bool | None = None, search: str = ""
) -> Any:
    qs = selectors_intel.indicator_list(actor=_actor(request), type=type, source=source, active=active, search=search)
    return Mapped(qs, _indicator_out)


# Before /indicators/{id}, which would otherwise take "import" for an id.
@router.post(
    "/indicators/import",
    response=IndicatorImportOut,
    summary="Import a STIX 2.1 bundle's indicators (dry_run=true by default: checks, changes nothing)",
)
def indicator_import(request: HttpRequest, body: IndicatorImportIn) -> Any:
    actor = _actor(request)
    return intel_import.bundle_import(
        actor=actor,
        organisation=selectors_intel.intel_organisation(actor=actor),
        bundle=body.bundle,
        source=body.source,
        dry_run=body.dry_run,
    )


@router.get("/indicators/{id}", response=IndicatorFullOut)
def indicator_get(request: HttpRequest, id: UUID) -> Any:
    actor = _actor(request)
    indicator = selectors_intel.indicator_get(actor=actor, id=id)
    alerts = selectors_intel.indicator_alerts(actor=actor, indicator=indicator)
    return _indicator_out(indicator) | {"alerts": [_alert_out(a) for a in alerts]}
