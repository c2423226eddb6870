"""Changing a webhook subscription: pause and re-target with If-Match, rotate the secret with an overlap in which
both secrets sign, each change audited, none possible from another organisation."""

import time

import pytest

from towers.core.models import AuditEntry
from towers.integration.models import WebhookSubscription
from towers.integration.services.delivery import due_messages, honoured_old_secrets
from towers.integration.signing import sign, verify_signature
from towers.integration.tests.factories import WebhookMessageFactory, WebhookSubscriptionFactory
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def subscription(estate):
    return WebhookSubscriptionFactory(organisation=estate.applications, secret="whsec_old")


def test_an_owner_pauses_and_retargets_a_subscription_with_if_match(client, estate, subscription):
    auth = bearer(estate.applications_admin, estate.applications)
    url = f"/api/v1/webhook-subscriptions/{subscription.id}"
    etag = client.get(url, **auth)["ETag"]
    body = {"active": False, "target_url": "https://itsm.apps.test/v2/hook"}
    changed = client.patch(url, data=body, content_type=JSON, HTTP_IF_MATCH=etag, **auth)
    assert changed.status_code == 200, changed.content
    assert changed.json()["active"] is False and changed.json()["target_url"].endswith("/v2/hook")
    stale = client.patch(url, data={"active": True}, content_type=JSON, HTTP_IF_MATCH=etag, **auth)
    assert stale.status_code == 412
    entry = AuditEntry.objects.get(action="integration.webhook_subscription.updated", object_id=str(subscription.id))
    assert entry.before == {"active": True, "target_url": subscription.target_url}
    assert entry.after["active"] is False


def test_a_change_is_checked_like_a_new_subscription(client, estate, subscription):
    auth = bearer(estate.applications_admin, estate.applications)
    url = f"/api/v1/webhook-subscriptions/{subscription.id}"
    response = client.patch(url, data={"target_url": "gopher://x", "event_patterns": []}, content_type=JSON, **auth)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"target_url", "event_patterns"}
    assert WebhookSubscription.objects.get(pk=subscription.pk).target_url == subscription.target_url


def test_rotating_keeps_the_old_secret_signing_for_the_overlap_only(client, estate, subscription):
    auth = bearer(estate.applications_admin, estate.applications)
    response = client.post(
        f"/api/v1/webhook-subscriptions/{subscription.id}/rotate-secret",
        data={"overlap_hours": 2},
        content_type=JSON,
        **auth,
    )
    assert response.status_code == 200, response.content
    new = response.json()["secret"]
    assert new.startswith("whsec_") and new != "whsec_old" and response.json()["old_secret_valid_until"]
    message = WebhookMessageFactory(subscription=WebhookSubscription.objects.get(pk=subscription.pk))
    older = honoured_old_secrets(message)
    assert older == ["whsec_old"]
    now = int(time.time())
    header = sign(new, b"{}", now, *older)
    assert verify_signature(new, header, b"{}", now) and verify_signature("whsec_old", header, b"{}", now)
    entry = AuditEntry.objects.get(action="integration.webhook_subscription.secret_rotated")
    assert "whsec" not in str(entry.after)

    client.post(
        f"/api/v1/webhook-subscriptions/{subscription.id}/rotate-secret",
        data={"overlap_hours": 0},
        content_type=JSON,
        **auth,
    )
    message.subscription.refresh_from_db()
    assert honoured_old_secrets(message) == []


def test_another_organisation_can_neither_read_change_nor_rotate(client, estate, subscription):
    other = bearer(estate.network_admin, estate.network)
    url = f"/api/v1/webhook-subscriptions/{subscription.id}"
    assert client.get(url, **other).status_code == 404
    assert client.patch(url, data={"active": False}, content_type=JSON, **other).status_code == 404
    assert client.post(f"{url}/rotate-secret", data={}, content_type=JSON, **other).status_code == 404
    subscription.refresh_from_db()
    assert subscription.active and subscription.secret == "whsec_old"
    assert not AuditEntry.objects.filter(object_id=str(subscription.id)).exists()


def test_a_read_token_cannot_change_a_subscription(client, estate, subscription):
    reader = bearer(estate.applications_admin, estate.applications, scope="read")
    url = f"/api/v1/webhook-subscriptions/{subscription.id}"
    assert client.patch(url, data={"active": False}, content_type=JSON, **reader).status_code == 403


def test_a_paused_subscription_keeps_its_messages_until_resumed(estate, subscription):
    owed = WebhookMessageFactory(subscription=subscription)
    assert list(due_messages()) == [owed]
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)
    assert list(due_messages()) == []
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=True)
    assert list(due_messages()) == [owed]
