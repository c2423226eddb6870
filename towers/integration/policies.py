"""Segregation of webhooks: an organisation sees and manages only its own subscriptions and their messages."""

from __future__ import annotations

from towers.core import permissions
from towers.core.roles import Role
from towers.integration.models import WebhookMessage, WebhookSubscription

permissions.register(WebhookSubscription, parties=["organisation"], owner="organisation")
permissions.register(WebhookMessage, parties=["subscription__organisation"], owner="subscription.organisation")
permissions.define_action("integration.manage_webhooks", roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
