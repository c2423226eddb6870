"""REST routes of monitoring intake (thin): Prometheus Alertmanager's webhook in, the received alerts out.

Alertmanager posts with a Towers API token of the monitoring organisation
(`http_config: {authorization: {credentials: <token>}}` in its webhook receiver).
"""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from towers.core.api import Page
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import get_visible
from towers.integration import selectors_monitoring
from towers.integration.alertmanager import PayloadError, parse_notification
from towers.integration.services.monitoring import alertmanager_receive
from towers.organisations.models import Organisation

router = Router(tags=["Monitoring"])


class IntakeOut(Schema):
    raised: list[str]
    repeated: int
    resolved: list[str]
    annotated: list[str]
    ignored: int


class MonitoringAlertOut(Schema):
    id: UUID
    fingerprint: str
    name: str
    status: str
    severity: str
    target: str
    starts_at: datetime
    ends_at: datetime | None
    received: int
    last_received_at: datetime
    labels: dict[str, Any]
    incident: str | None

    @staticmethod
    def resolve_incident(obj: Any) -> str | None:
        return obj.incident.reference if obj.incident_id else None


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


@router.post(
    "/events/alertmanager",
    response=IntakeOut,
    summary="Prometheus Alertmanager webhook (version 4): incidents raised, repeats counted, resolutions applied",
)
def alertmanager_webhook(request: HttpRequest) -> Any:
    actor = _actor(request)
    if actor.organisation_id is None:
        raise Forbidden("Monitoring intake needs an organisation to act for: use a token of one of its people.")
    organisation = get_visible(actor, Organisation.objects, pk=actor.organisation_id)
    try:
        notification = parse_notification(json.loads(request.body or b"null"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed.one("body", f"not JSON: {exc}") from None
    except PayloadError as exc:
        raise ValidationFailed(exc.problems, "not an Alertmanager webhook message") from None
    return alertmanager_receive(actor=actor, organisation=organisation, notification=notification)


@router.get("/monitoring-alerts", response=list[MonitoringAlertOut], summary="Alerts received from monitoring")
@paginate(Page)
def monitoring_alert_list(request: HttpRequest, status: str = "") -> Any:
    return selectors_monitoring.monitoring_alert_list(actor=_actor(request), status=status)
