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
