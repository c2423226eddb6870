"""Test data for the integration hub."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from towers.integration.models import WebhookMessage, WebhookSubscription
from towers.organisations.tests.factories import OrganisationFactory


class WebhookSubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Subscriber {n}")
    target_url = "http://127.0.0.1:9/hook"
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")
    event_patterns = factory.LazyFunction(lambda: ["servicedesk.ticket.*"])


class WebhookMessageFactory(DjangoModelFactory):
    class Meta:
        model = WebhookMessage

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    idempotency_key = factory.Faker("uuid4", cast_to=None)
    event_name = "servicedesk.ticket.updated"
    ordering_key = "ticket-1"
    payload = factory.LazyFunction(dict)
