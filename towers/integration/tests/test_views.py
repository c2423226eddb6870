"""The webhook messages page: dead messages listed and replayed by their owner, hidden from everyone else."""

import pytest

from towers.integration.models import WebhookMessage
from towers.integration.tests.factories import WebhookMessageFactory, WebhookSubscriptionFactory
from towers.organisations.tests.factories import sign_in

pytestmark = pytest.mark.django_db


def test_the_owner_sees_its_dead_message_and_replays_it_from_the_page(client, estate):
    dead = WebhookMessageFactory(
        subscription=WebhookSubscriptionFactory(organisation=estate.applications, name="Apps ITSM"),
        status="dead",
        last_error="HTTP 500: boom",
    )
    sign_in(client, estate.applications_admin, estate.applications)
    page = client.get("/webhook-messages/")
    assert page.status_code == 200
    assert "Apps ITSM" in page.content.decode() and "HTTP 500: boom" in page.content.decode()
    response = client.post(f"/webhook-messages/{dead.pk}/replay/")
    assert response.status_code == 302
    assert WebhookMessage.objects.get(pk=dead.pk).status == "pending"


def test_another_organisation_neither_sees_nor_replays_it(client, estate):
    dead = WebhookMessageFactory(
        subscription=WebhookSubscriptionFactory(organisation=estate.applications, name="Apps ITSM"), status="dead"
    )
    sign_in(client, estate.network_admin, estate.network)
    assert "Apps ITSM" not in client.get("/webhook-messages/?status=any").content.decode()
    assert client.post(f"/webhook-messages/{dead.pk}/replay/").status_code == 404
    assert WebhookMessage.objects.get(pk=dead.pk).status == "dead"


def test_the_owner_pauses_resumes_and_rotates_a_subscription_from_the_page(client, estate):
    subscription = WebhookSubscriptionFactory(organisation=estate.applications, name="Apps ITSM", secret="whsec_a")
    WebhookMessageFactory(subscription=subscription, status="dead")
    sign_in(client, estate.applications_admin, estate.applications)
    page = client.get("/webhook-subscriptions/").content.decode()
    assert "Apps ITSM" in page and "Pause" in page
    client.post(f"/webhook-subscriptions/{subscription.pk}/toggle/")
    subscription.refresh_from_db()
    assert not subscription.active and "Resume" in client.get("/webhook-subscriptions/").content.decode()
    shown = client.post(f"/webhook-subscriptions/{subscription.pk}/rotate/", follow=True).content.decode()
    subscription.refresh_from_db()
    assert subscription.secret != "whsec_a" and subscription.secret in shown
    assert subscription.previous_secret == "whsec_a"


def test_the_subscriptions_page_counts_in_one_query_per_page(client, estate, django_assert_max_num_queries):
    for n in range(6):
        WebhookMessageFactory(subscription=WebhookSubscriptionFactory(organisation=estate.applications, name=f"S{n}"))
    sign_in(client, estate.applications_admin, estate.applications)
    client.get("/webhook-subscriptions/")  # warm the session and caches
    with django_assert_max_num_queries(12):
        assert client.get("/webhook-subscriptions/").content.decode().count("<tr>") == 7


def test_another_organisation_neither_sees_nor_pauses_a_subscription(client, estate):
    subscription = WebhookSubscriptionFactory(organisation=estate.applications, name="Apps ITSM")
    sign_in(client, estate.network_admin, estate.network)
    assert "Apps ITSM" not in client.get("/webhook-subscriptions/").content.decode()
    assert client.post(f"/webhook-subscriptions/{subscription.pk}/toggle/").status_code == 404
    assert client.post(f"/webhook-subscriptions/{subscription.pk}/rotate/").status_code == 404
    subscription.refresh_from_db()
    assert subscription.active
