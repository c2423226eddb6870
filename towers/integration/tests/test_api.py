"""The webhook API and CLI: secrets shown once, lists segregated, replay audited and refused across organisations."""

import pytest
from django.core.management import call_command

from towers.core.models import AuditEntry
from towers.integration.models import WebhookMessage, WebhookSubscription
from towers.integration.tests.factories import WebhookMessageFactory, WebhookSubscriptionFactory
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_creating_a_subscription_returns_its_secret_once_and_audits_it(client, estate):
    auth = bearer(estate.applications_admin, estate.applications)
    body = {
        "name": "Apps ITSM",
        "target_url": "https://itsm.apps.test/hook",
        "event_patterns": ["servicedesk.ticket.*"],
    }
    response = client.post("/api/v1/webhook-subscriptions", data=body, content_type=JSON, **auth)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["organisation"] == str(estate.applications.id)
    subscription = WebhookSubscription.objects.get(pk=created["id"])
    assert subscription.secret == created["secret"]
    assert AuditEntry.objects.filter(action="integration.webhook_subscription.created", object_id=str(subscription.id))
    listed = client.get("/api/v1/webhook-subscriptions", **auth).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]


def test_a_subscription_with_a_bad_url_or_no_patterns_is_refused_naming_the_fields(client, estate):
    auth = bearer(estate.applications_admin, estate.applications)
    body = {"name": "x", "target_url": "ftp://nowhere", "event_patterns": []}
    response = client.post("/api/v1/webhook-subscriptions", data=body, content_type=JSON, **auth)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"target_url", "event_patterns"}


def test_dead_messages_are_listed_and_replayed_by_their_owner_only(client, estate):
    subscription = WebhookSubscriptionFactory(organisation=estate.applications)
    dead = WebhookMessageFactory(subscription=subscription, status="dead", attempts=8, last_error="HTTP 500")
    WebhookMessageFactory(subscription=subscription, status="delivered")
    owner = bearer(estate.applications_admin, estate.applications)
    other = bearer(estate.network_admin, estate.network)

    assert client.get("/api/v1/webhook-messages?status=dead", **other).json()["items"] == []
    assert client.post(f"/api/v1/webhook-messages/{dead.id}/replay", **other).status_code == 404
    assert WebhookMessage.objects.get(pk=dead.pk).status == "dead"

    listed = client.get("/api/v1/webhook-messages?status=dead", **owner).json()["items"]
    assert [item["id"] for item in listed] == [dead.id]
    response = client.post(f"/api/v1/webhook-messages/{dead.id}/replay", **owner)
    assert response.status_code == 200 and response.json() == {"replayed": 1}
    dead.refresh_from_db()
    assert dead.status == "pending" and dead.attempts == 0
    entry = AuditEntry.objects.get(action="integration.webhook_message.replayed", object_id=str(dead.id))
    assert entry.before["status"] == "dead" and entry.after["status"] == "pending"


def test_the_cli_lists_and_replays_dead_messages(capsys):
    dead = [WebhookMessageFactory(status="dead", last_error="HTTP 500") for _ in range(3)]
    call_command("webhooks", "list-dead")
    assert "3 dead message(s)." in capsys.readouterr().out
    call_command("webhooks", "replay", str(dead[0].id))
    assert WebhookMessage.objects.get(pk=dead[0].pk).status == "pending"
    call_command("webhooks", "replay", "--all-dead")
    assert not WebhookMessage.objects.filter(status="dead").exists()
    assert AuditEntry.objects.filter(action="integration.webhook_message.replayed").count() == 3
