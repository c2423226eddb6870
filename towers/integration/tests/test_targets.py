"""The outbound-target guard: denied networks are never called, and a webhook aimed at one fails with the reason."""

import pytest
from django.test import override_settings

from towers.integration.models import WebhookMessage
from towers.integration.services.delivery import DeliveryOptions, webhooks_deliver_due
from towers.integration.targets import target_refusal
from towers.integration.tests.factories import WebhookMessageFactory, WebhookSubscriptionFactory
from towers.organisations.tests.test_api import bearer


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "http://0.0.0.0:8000/"],
)
def test_link_local_and_unspecified_addresses_are_refused_by_default(url):
    assert "which Towers does not call" in target_refusal(url)


def test_private_and_loopback_addresses_are_allowed_by_default():
    assert target_refusal("http://10.1.2.3/hook") == "" and target_refusal("http://127.0.0.1:9/hook") == ""


@override_settings(TOWERS_OUTBOUND_DENIED_NETWORKS=["10.0.0.0/8"])
def test_the_operator_chooses_the_denied_networks():
    assert "10.0.0.0/8" in target_refusal("http://10.1.2.3/hook")
    assert target_refusal("http://169.254.169.254/") == ""


def test_urls_that_are_not_http_are_refused_and_unresolvable_ones_left_to_fail_on_their_own():
    assert "not an http or https URL" in target_refusal("file:///etc/passwd")
    assert target_refusal("http://no-such-host.invalid/hook") == ""


@pytest.mark.django_db
def test_a_webhook_to_a_denied_address_fails_with_the_reason_and_sends_nothing():
    subscription = WebhookSubscriptionFactory(target_url="http://169.254.169.254/latest/meta-data/")
    message = WebhookMessageFactory(subscription=subscription)
    webhooks_deliver_due(options=DeliveryOptions(max_attempts=3, timeout=2, lease=30, backoff_base=0, backoff_cap=0))
    message.refresh_from_db()
    assert message.status == WebhookMessage.Status.PENDING and message.attempts == 1
    assert message.last_error.startswith("Refused: 169.254.169.254") and message.last_status is None


@pytest.mark.django_db
def test_a_subscription_to_a_denied_address_is_refused_naming_the_field(client, estate):
    body = {"name": "x", "target_url": "http://169.254.169.254/", "event_patterns": ["servicedesk.*"]}
    auth = bearer(estate.applications_admin, estate.applications)
    response = client.post("/api/v1/webhook-subscriptions", data=body, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "169.254.0.0/16" in response.json()["error"]["fields"]["target_url"][0]


@pytest.mark.django_db
def test_a_partner_tool_at_a_denied_address_is_never_called(estate):
    from towers.integration.services.partner_delivery import partners_deliver_due
    from towers.integration.tests.factories_partners import PartnerIntegrationFactory, PartnerMessageFactory

    integration = PartnerIntegrationFactory(base_url="http://169.254.169.254/tmf-api/troubleTicket/v5")
    message = PartnerMessageFactory(integration=integration, operation="create")
    partners_deliver_due(options=DeliveryOptions(max_attempts=3, timeout=2, lease=30, backoff_base=0, backoff_cap=0))
    message.refresh_from_db()
    assert message.status == "pending" and message.http_status is None
    assert "Refused: 169.254.169.254" in message.last_error


@pytest.mark.django_db
def test_a_partner_integration_at_a_denied_address_is_refused_naming_the_field(estate):
    from towers.core.errors import ValidationFailed
    from towers.integration.services.partner_admin import partner_integration_create
    from towers.organisations.tests.factories import actor_of

    with pytest.raises(ValidationFailed) as refused:
        partner_integration_create(
            actor=actor_of(estate.integrator_admin, estate.integrator),
            organisation=estate.applications,
            name="Metadata",
            base_url="http://169.254.169.254/",
        )
    assert "169.254.0.0/16" in refused.value.fields["base_url"][0]


@pytest.mark.django_db
def test_a_tmf621_listener_at_a_denied_address_is_refused_at_registration(estate):
    from towers.core.errors import ValidationFailed
    from towers.integration.services.tmf_hub import hub_register
    from towers.organisations.tests.factories import actor_of

    with pytest.raises(ValidationFailed) as refused:
        hub_register(
            actor=actor_of(estate.applications_admin, estate.applications),
            organisation=estate.applications,
            callback="http://169.254.169.254/listener",
        )
    assert "169.254.0.0/16" in refused.value.fields["callback"][0]
