"""The worker's side of partner delivery: a hand-off to a bonded supplier queues one sending run, which sends."""

import pytest
from django_tasks_db.models import DBTaskResult

from towers.core import events
from towers.integration.models_partners import PartnerIntegration, PartnerMessage
from towers.integration.tasks_partners import deliver_partner_messages
from towers.integration.tests.partner_fake import FakePartner
from towers.integration.tests.test_partner_outbound import handed_to_partner


@pytest.mark.django_db(transaction=True)
def test_a_hand_off_to_a_bonded_supplier_queues_one_run_that_sends_its_create(estate):
    with FakePartner() as partner:
        integration, ticket = handed_to_partner(estate, base_url="http://127.0.0.1:9/tmf")
        PartnerIntegration.objects.filter(pk=integration.pk).update(base_url=partner.base_url)
        assert DBTaskResult.objects.filter(task_path=deliver_partner_messages.module_path).count() == 1
        assert deliver_partner_messages.call() == 1
    assert PartnerMessage.objects.get(ticket=ticket).status == "sent"
    assert [c.method for c in partner.calls] == ["POST"]


@pytest.mark.django_db
def test_a_switched_off_integration_keeps_its_messages_until_switched_on(estate):
    integration, ticket = handed_to_partner(estate)
    PartnerIntegration.objects.filter(pk=integration.pk).update(active=False)
    with FakePartner() as partner:
        PartnerIntegration.objects.filter(pk=integration.pk).update(base_url=partner.base_url)
        assert deliver_partner_messages.call() == 0
        assert PartnerMessage.objects.get(ticket=ticket).status == "pending" and partner.calls == []
        PartnerIntegration.objects.filter(pk=integration.pk).update(active=True)
        events.deliver_all_pending()
        assert deliver_partner_messages.call() == 1
