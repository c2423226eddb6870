"""The worker's side: new messages queue a delivery run, and the run delivers them."""

import httpx
import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from towers.core import events
from towers.integration.models import WebhookMessage
from towers.integration.tasks import deliver_webhooks
from towers.integration.tests.factories import WebhookSubscriptionFactory


@pytest.mark.django_db(transaction=True)
def test_a_fanned_out_event_queues_one_delivery_run_that_delivers_it(estate, monkeypatch):
    WebhookSubscriptionFactory(organisation=estate.authority, event_patterns=["servicedesk.*"])
    for n in range(2):
        with transaction.atomic():
            events.emit("servicedesk.freeze_window.created", key="w", freeze_window_id=str(n))
    events.deliver_all_pending()
    assert DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path).count() == 1

    def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(ok), **kw))
    assert deliver_webhooks.call() == 2
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {WebhookMessage.Status.DELIVERED}
