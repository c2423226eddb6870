"""Outbox handlers of the integration hub: every domain event may be owed to webhook subscribers."""

from __future__ import annotations

from django.db import transaction

from towers.core import events
from towers.core.models import OutboxEvent
from towers.integration.services.fanout import event_fan_out

# Domain events of the apps (app.entity.verb); internal or test events never leave the platform.
DOMAIN_PREFIXES = ("servicedesk.", "soc.", "cmdb.", "contracts.", "sla.", "organisations.", "mobile.")


@events.on_any(prefixes=DOMAIN_PREFIXES)
def owe_to_webhooks(event: OutboxEvent) -> None:
    if event_fan_out(event=event):
        transaction.on_commit(_nudge_delivery)


def _nudge_delivery() -> None:
    from towers.integration.tasks import nudge_webhook_delivery  # the task module imports the services

    nudge_webhook_delivery()
