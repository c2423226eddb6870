"""Fan-out of outbox events to subscriptions: pattern matching and, above all, segregation."""

import pytest
from django.db import transaction

from towers.core import events
from towers.integration.models import WebhookMessage
from towers.integration.tests.factories import WebhookSubscriptionFactory
from towers.servicedesk.models import Ticket
from towers.servicedesk.tests.factories import foreign_ticket

pytestmark = pytest.mark.django_db


def _emit(name: str, **payload) -> None:
    with transaction.atomic():
        events.emit(name, key=str(payload.get("ticket_id", "")), **payload)
    events.deliver_all_pending()


def _apps_only_ticket(estate) -> Ticket:
    ticket = foreign_ticket(estate)  # the applications supplier, the desk and the authority are party to it
    events.deliver_all_pending()
    WebhookMessage.objects.all().delete()
    return ticket


def test_a_supplier_party_to_the_ticket_receives_its_events(estate):
    ticket = _apps_only_ticket(estate)
    subscription = WebhookSubscriptionFactory(organisation=estate.applications)
    _emit("servicedesk.ticket.updated", ticket_id=str(ticket.id), fields=["title"])
    message = WebhookMessage.objects.get(subscription=subscription)
    assert message.event_name == "servicedesk.ticket.updated"
    assert message.ordering_key == str(ticket.id)
    assert message.payload == {"ticket_id": str(ticket.id), "fields": ["title"]}


def test_a_supplier_never_receives_events_about_tickets_it_is_not_party_to(estate):
    ticket = _apps_only_ticket(estate)
    WebhookSubscriptionFactory(organisation=estate.network, event_patterns=["*"])
    _emit("servicedesk.ticket.updated", ticket_id=str(ticket.id), fields=["title"])
    _emit("servicedesk.major.declared", ticket_id=str(ticket.id), major_id="x")
    assert not WebhookMessage.objects.filter(subscription__organisation=estate.network).exists()


def test_an_event_whose_subject_cannot_be_resolved_goes_to_the_authority_only(estate):
    authority = WebhookSubscriptionFactory(organisation=estate.authority, event_patterns=["servicedesk.*"])
    WebhookSubscriptionFactory(organisation=estate.integrator, event_patterns=["servicedesk.*"])
    WebhookSubscriptionFactory(organisation=estate.applications, event_patterns=["servicedesk.*"])
    _emit("servicedesk.freeze_window.created", freeze_window_id="f-1")
    _emit("servicedesk.ticket.updated", ticket_id="not-a-uuid")
    assert set(WebhookMessage.objects.values_list("subscription", flat=True)) == {authority.id}
    assert WebhookMessage.objects.count() == 2


def test_only_active_subscriptions_whose_patterns_match_are_owed_the_event(estate):
    ticket = _apps_only_ticket(estate)
    wanted = WebhookSubscriptionFactory(organisation=estate.integrator, event_patterns=["servicedesk.ticket.*"])
    WebhookSubscriptionFactory(organisation=estate.integrator, event_patterns=["soc.*"])
    WebhookSubscriptionFactory(organisation=estate.integrator, active=False)
    _emit("servicedesk.ticket.updated", ticket_id=str(ticket.id))
    assert list(WebhookMessage.objects.values_list("subscription", flat=True)) == [wanted.id]


def test_events_outside_the_domain_apps_are_never_fanned_out(estate):
    WebhookSubscriptionFactory(organisation=estate.authority, event_patterns=["*"])
    _emit("test.thing.happened", n=1)
    assert not WebhookMessage.objects.exists()


def test_a_redelivered_event_is_owed_once(estate):
    from towers.core.models import OutboxEvent
    from towers.integration.services.fanout import event_fan_out

    ticket = _apps_only_ticket(estate)
    WebhookSubscriptionFactory(organisation=estate.applications)
    _emit("servicedesk.ticket.updated", ticket_id=str(ticket.id))
    event = OutboxEvent.objects.filter(name="servicedesk.ticket.updated").last()
    with transaction.atomic():
        event_fan_out(event=event)
    assert WebhookMessage.objects.filter(idempotency_key=event.uuid).count() == 1


def test_a_real_ticket_change_reaches_the_party_supplier_and_not_the_other(estate):
    from towers.core.actor import Actor
    from towers.servicedesk.services.tickets import ticket_create

    apps = WebhookSubscriptionFactory(organisation=estate.applications, event_patterns=["servicedesk.ticket.*"])
    network = WebhookSubscriptionFactory(organisation=estate.network, event_patterns=["servicedesk.ticket.*"])
    foreign_ticket(estate)
    ticket_create(actor=Actor.system("tests"), title="Network fault", team=estate.network_team)
    events.deliver_all_pending()
    assert WebhookMessage.objects.filter(subscription=apps).count() >= 1
    assert WebhookMessage.objects.filter(subscription=network).count() >= 1
    apps_tickets = {m.payload["ticket_id"] for m in WebhookMessage.objects.filter(subscription=apps)}
    network_tickets = {m.payload["ticket_id"] for m in WebhookMessage.objects.filter(subscription=network)}
    assert not apps_tickets & network_tickets
