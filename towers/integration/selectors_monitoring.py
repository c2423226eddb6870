"""Reads of monitoring intake, restricted to what the actor may see."""

from __future__ import annotations

from django.db.models import QuerySet

import towers.integration.policies_monitoring  # noqa: F401  (registers the model)
from towers.core.actor import Actor
from towers.core.permissions import visible_to
from towers.integration.models_monitoring import MonitoringAlert


def monitoring_alert_list(*, actor: Actor, status: str = "") -> QuerySet[MonitoringAlert]:
    alerts = visible_to(actor, MonitoringAlert.objects).select_related("incident")
    if status:
        alerts = alerts.filter(status=status)
    return alerts.order_by("-last_received_at", "id")
