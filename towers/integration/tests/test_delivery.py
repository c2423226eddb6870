"""Sending owed messages: signatures, back-off, dead letters and order per key."""

import json
import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from towers.integration.models import WebhookMessage
from towers.integration.services.delivery import DeliveryOptions, webhooks_deliver_all, webhooks_deliver_due
from towers.integration.signing import verify_signature
from towers.integration.tests.factories import WebhookMessageFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db
FAST = DeliveryOptions(max_attempts=3, timeout=2, lease=30, backoff_base=0.0, backoff_cap=0.0)


class Receiver:
    def __init__(self, fail: set[int] | None = None) -> None:
        self.calls: list[httpx.Request] = []
        self.fail = fail or set()  # call numbers (from 1) that answer 503

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        return httpx.Response(503 if len(self.calls) in self.fail else 204)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def test_a_message_is_posted_signed_with_its_idempotency_key_and_event_name():
    message = WebhookMessageFactory(payload={"ticket_id": "t-1"})
    receiver = Receiver()
    run = webhooks_deliver_all(client=receiver.client(), options=FAST)
    assert run.delivered == 1
    (request,) = receiver.calls
    assert str(request.url) == message.subscription.target_url
    assert request.headers["Idempotency-Key"] == str(message.idempotency_key)
    assert request.headers["Towers-Event"] == "servicedesk.ticket.updated"
    assert verify_signature(
        message.subscription.secret, request.headers["Towers-Signature"], request.content, time.time()
    )
    assert json.loads(request.content)["data"] == {"ticket_id": "t-1"}
    message.refresh_from_db()
    assert message.status == WebhookMessage.Status.DELIVERED and message.last_status == 204 and message.delivered_at


def test_a_failed_send_backs_off_and_holds_back_later_messages_of_its_key_only():
    subscription = WebhookSubscriptionFactory()
    first = WebhookMessageFactory(subscription=subscription, ordering_key="ticket-1")
    second = WebhookMessageFactory(subscription=subscription, ordering_key="ticket-1")
    other = WebhookMessageFactory(subscription=subscription, ordering_key="ticket-2")
    receiver = Receiver(fail={1})
    options = DeliveryOptions(max_attempts=8, timeout=2, lease=30, backoff_base=60, backoff_cap=600)
    webhooks_deliver_all(client=receiver.client(), options=options)
    first.refresh_from_db()
    assert first.status == WebhookMessage.Status.PENDING and first.attempts == 1 and first.last_status == 503
    assert first.next_attempt_at >= timezone.now() + timedelta(seconds=29)
    assert WebhookMessage.objects.get(pk=second.pk).status == WebhookMessage.Status.PENDING
    assert WebhookMessage.objects.get(pk=other.pk).status == WebhookMessage.Status.DELIVERED
    assert [r.headers["Idempotency-Key"] for r in receiver.calls] == [
        str(first.idempotency_key),
        str(other.idempotency_key),
    ]


def test_a_message_that_keeps_failing_is_dead_lettered_and_holds_its_key_until_replayed(estate):
    from towers.core.actor import Actor
    from towers.integration.services.subscriptions import webhook_messages_replay

    subscription = WebhookSubscriptionFactory(organisation=estate.applications)
    first = WebhookMessageFactory(subscription=subscription)
    second = WebhookMessageFactory(subscription=subscription)
    receiver = Receiver(fail={1, 2, 3})
    webhooks_deliver_all(client=receiver.client(), options=FAST)
    first.refresh_from_db()
    assert first.status == WebhookMessage.Status.DEAD and first.attempts == 3
    assert WebhookMessage.objects.get(pk=second.pk).status == WebhookMessage.Status.PENDING
    assert len(receiver.calls) == 3  # the second never went ahead of the dead first
    assert webhook_messages_replay(actor=Actor.system("tests"), messages=[first]) == 1
    webhooks_deliver_all(client=receiver.client(), options=FAST)
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {WebhookMessage.Status.DELIVERED}
    keys = [r.headers["Idempotency-Key"] for r in receiver.calls[3:]]
    assert keys == [str(first.idempotency_key), str(second.idempotency_key)]


def test_a_connection_error_counts_as_a_failed_attempt():
    message = WebhookMessageFactory()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    run = webhooks_deliver_due(client=httpx.Client(transport=httpx.MockTransport(refuse)), options=FAST)
    message.refresh_from_db()
    assert run.failed == 1 and message.attempts == 1 and message.last_status is None
    assert "ConnectError" in message.last_error


def test_a_message_claimed_by_another_worker_is_not_sent_twice():
    message = WebhookMessageFactory()
    # Another worker claimed it a moment ago: its lease pushed the message into the future.
    WebhookMessage.objects.filter(pk=message.pk).update(
        attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    receiver = Receiver()
    assert webhooks_deliver_all(client=receiver.client(), options=FAST).sent == 0
    assert receiver.calls == []


def test_messages_of_one_key_go_in_order_one_per_pass():
    subscription = WebhookSubscriptionFactory()
    owed = [WebhookMessageFactory(subscription=subscription, payload={"n": n}) for n in range(5)]
    receiver = Receiver()
    assert webhooks_deliver_due(client=receiver.client(), options=FAST).sent == 1
    webhooks_deliver_all(client=receiver.client(), options=FAST)
    assert [json.loads(r.content)["data"]["n"] for r in receiver.calls] == [m.payload["n"] for m in owed]
