"""Sending owed messages to a partner's TMF621 endpoint over a real socket: order, back-off, dead letters, replay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core import events
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.models import AuditEntry
from towers.integration.models_partners import PartnerIntegration, PartnerMessage, TicketBond
from towers.integration.services.delivery import DeliveryOptions
from towers.integration.services.partner_admin import partner_messages_replay
from towers.integration.services.partner_delivery import partners_deliver_all
from towers.integration.tests.partner_fake import FakePartner
from towers.integration.tests.test_partner_outbound import DESK, handed_to_partner
from towers.organisations.tests.factories import actor_of
from towers.servicedesk.services.tickets import ticket_comment

pytestmark = pytest.mark.django_db
FAST = DeliveryOptions(max_attempts=3, timeout=2, lease=30, backoff_base=0.0, backoff_cap=0.0)
SLOW = DeliveryOptions(max_attempts=8, timeout=2, lease=30, backoff_base=60, backoff_cap=600)


def test_the_create_goes_first_and_its_answer_gives_the_bond_the_partners_id_for_the_updates(estate):
    with FakePartner() as partner:
        integration, ticket = handed_to_partner(estate)
        PartnerIntegration.objects.filter(pk=integration.pk).update(base_url=partner.base_url)
        ticket_comment(actor=DESK, ticket=ticket, body="More detail")
        events.deliver_all_pending()
        run = partners_deliver_all(options=FAST)
    assert run.delivered == 2
    create, note = partner.calls
    bond = TicketBond.objects.get(ticket=ticket)
    assert (create.method, create.path) == ("POST", "/tmf-api/troubleTicket/v5/troubleTicket")
    assert (note.method, note.path) == ("PATCH", "/tmf-api/troubleTicket/v5/troubleTicket/TT-1")
    assert note.headers["Content-Type"] == "application/merge-patch+json"
    messages = list(PartnerMessage.objects.filter(ticket=ticket).order_by("id"))
    for call, message in zip(partner.calls, messages, strict=True):
        assert call.headers["Authorization"] == f"Bearer {integration.auth_token}"
        assert call.headers["Idempotency-Key"] == str(message.idempotency_key)
        assert call.headers["X-Correlation-ID"] == str(bond.correlation_id)
        assert message.status == "sent" and message.attempts == 1 and message.completed_at
    assert messages[0].http_status == 201 and messages[0].response["id"] == "TT-1"
    assert (bond.remote_id, bond.remote_status) == ("TT-1", "acknowledged")
    assert bond.remote_href.endswith("/troubleTicket/TT-1") and bond.synced_at


def test_a_failed_create_backs_off_and_holds_back_its_tickets_updates_only(estate):
    with FakePartner(fail={1}) as partner:
        integration, ticket = handed_to_partner(estate)
        PartnerIntegration.objects.filter(pk=integration.pk).update(base_url=partner.base_url)
        ticket_comment(actor=DESK, ticket=ticket, body="Waits for the create")
        from towers.servicedesk.services.handoffs import ticket_hand_off
        from towers.servicedesk.services.tickets import ticket_create

        other = ticket_create(actor=DESK, title="Other fault", team=estate.integrator_team)
        ticket_hand_off(actor=DESK, ticket=other, to_team=estate.network_team, reason="Theirs")
        events.deliver_all_pending()
        partners_deliver_all(options=SLOW)
    first = PartnerMessage.objects.filter(ticket=ticket).order_by("id").first()
    assert first.status == "pending" and first.attempts == 1 and first.http_status == 503
    assert "HTTP 503" in first.last_error and first.next_attempt_at >= timezone.now() + timedelta(seconds=29)
    assert list(PartnerMessage.objects.filter(ticket=ticket).values_list("status", flat=True)) == ["pending", "pending"]
    assert PartnerMessage.objects.get(ticket=other).status == "sent"
    assert [c.method for c in partner.calls] == ["POST", "POST"]


def test_a_message_that_keeps_failing_is_dead_and_holds_its_ticket_until_replayed(estate):
    with FakePartner(fail={1, 2, 3}) as partner:
        integration, ticket = handed_to_partner(estate)
        PartnerIntegration.objects.filter(pk=integration.pk).update(base_url=partner.base_url)
        ticket_comment(actor=DESK, ticket=ticket, body="Behind the create")
        events.deliver_all_pending()
        partners_deliver_all(options=FAST)
        create, note = PartnerMessage.objects.filter(ticket=ticket).order_by("id")
        assert (create.status, create.attempts, note.status) == ("dead", 3, "pending")
        keys = {c.headers["Idempotency-Key"] for c in partner.calls}
        assert keys == {str(create.idempotency_key)}  # the same key on every retry
        with pytest.raises(Forbidden):  # the supplier reads its log but does not manage it
            partner_messages_replay(actor=actor_of(estate.network_admin, estate.network), messages=[create])
        assert (
            partner_messages_replay(actor=actor_of(estate.integrator_admin, estate.integrator), messages=[create]) == 1
        )
        assert AuditEntry.objects.filter(
            action="integration.partner_message.replayed", object_id=str(create.pk)
        ).exists()
        partners_deliver_all(options=FAST)
    assert list(PartnerMessage.objects.filter(ticket=ticket).values_list("status", flat=True)) == ["sent", "sent"]


def test_an_unreachable_partner_is_recorded_as_an_error_without_a_status(estate):
    integration, _ticket = handed_to_partner(estate)
    PartnerIntegration.objects.filter(pk=integration.pk).update(base_url="http://127.0.0.1:9/tmf")
    partners_deliver_all(options=FAST)
    message = PartnerMessage.objects.get(integration=integration)
    assert message.status == "dead" and message.http_status is None and "ConnectError" in message.last_error


def test_replay_refuses_what_is_not_dead_and_never_touches_inbound(estate):
    _integration, ticket = handed_to_partner(estate)
    message = PartnerMessage.objects.get(ticket=ticket)
    assert partner_messages_replay(actor=Actor.system("tests"), messages=[message]) == 0
    PartnerMessage.objects.filter(pk=message.pk).update(direction="in", status="dead")
    message.refresh_from_db()
    assert partner_messages_replay(actor=Actor.system("tests"), messages=[message]) == 0
