"""Factories for the core's models. Audit entries are made through `audit.record`, so the chain stays valid."""

import factory
from django.db import transaction
from factory.django import DjangoModelFactory

from towers.core import audit
from towers.core.actor import Actor
from towers.core.models import AuditEntry, OutboxDelivery, OutboxEvent


class OutboxEventFactory(DjangoModelFactory):
    class Meta:
        model = OutboxEvent

    name = "test.thing.happened"
    key = factory.Sequence(lambda n: f"key-{n}")
    payload = factory.LazyFunction(dict)


class OutboxDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = OutboxDelivery

    event = factory.SubFactory(OutboxEventFactory)
    handler = "tests.handler"


def audit_entry_for(obj, action: str = "thing.updated", actor: Actor | None = None, **changes) -> AuditEntry:
    """An attributed, chained entry about `obj` (AuditEntry rows are never built any other way)."""
    with transaction.atomic():
        return audit.record(actor or Actor.system("tests"), action, obj, before=None, after=changes or None)
