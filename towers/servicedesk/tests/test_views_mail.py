import pytest
from django.urls import reverse

from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import InboundMail

pytestmark = pytest.mark.django_db


def _mail(desk, **fields):
    values = {
        "organisation": desk.estate.integrator,
        "via": "smtp",
        "sender": "a@b.test",
        "raw": b"Subject: x\\r\\n\\r\\nhi",
    }
    return InboundMail.objects.create(**(values | fields))


def test_the_desk_sees_quarantined_mail_with_its_reason_and_can_download_it(client, desk):
    kept = _mail(desk, subject="Broken", outcome="quarantined", reason="no ticket INC0099999")
    _mail(desk, subject="Out of office", outcome="ignored", reason="auto-reply")
    sign_in(client, desk.agent)
    page = client.get(reverse("inbound_mail")).content.decode()
    assert "no ticket INC0099999" in page and "Out of office" not in page
    everything = client.get(reverse("inbound_mail") + "?outcome=all").content.decode()
    assert "Out of office" in everything
    raw = client.get(reverse("inbound_mail_raw", args=[kept.pk]))
    assert raw["Content-Type"] == "message/rfc822" and raw.content == bytes(kept.raw)


def test_resolvers_and_other_suppliers_do_not_read_the_desks_mail(client, desk):
    kept = _mail(desk, subject="Secret", outcome="quarantined", reason="x")
    sign_in(client, desk.apps_resolver)
    assert client.get(reverse("inbound_mail")).status_code == 403
    assert client.get(reverse("inbound_mail_raw", args=[kept.pk])).status_code in {403, 404}
    auth = bearer(desk.agent, desk.estate.integrator)
    listed = client.get("/api/v1/inbound-mail?outcome=quarantined", **auth).json()
    assert [m["subject"] for m in listed["items"]] == ["Secret"]
    auth = bearer(desk.estate.network_admin, desk.estate.network)
    assert client.get("/api/v1/inbound-mail", **auth).json()["items"] == []
