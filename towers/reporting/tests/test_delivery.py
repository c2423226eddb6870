"""Scheduled delivery: people subscribe to a monthly pack; the worker builds it as them and emails it, once."""

import io
from datetime import UTC, datetime

import pytest
from django.core import mail
from pypdf import PdfReader

from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of
from towers.organisations.tests.test_api import bearer
from towers.reporting.delivery import packs_send, subscription_create
from towers.reporting.models import PackDelivery, PackSubscription
from towers.reporting.tasks import send_review_packs

pytestmark = pytest.mark.django_db
APRIL_5TH = datetime(2026, 4, 5, 9, 0, tzinfo=UTC)  # March's packs are due from the 3rd


@pytest.fixture
def subscribed(estate):
    admin = estate.applications_admin
    admin.email = "apps.admin@apps.test"
    admin.save()
    actor = actor_of(admin, estate.applications)
    return subscription_create(actor=actor, person=admin, supplier=estate.applications, formats=["pdf", "xlsx"])


def test_the_due_pack_is_built_as_its_reader_and_emailed_once(estate, subscribed):
    assert packs_send(now=APRIL_5TH) == 1
    (message,) = mail.outbox
    assert message.to == ["apps.admin@apps.test"] and "March 2026" in message.subject
    names = [name for name, _content, _type in message.attachments]
    assert names == ["service-review-apps-2026-03.pdf", "service-review-apps-2026-03.xlsx"]
    text = PdfReader(io.BytesIO(message.attachments[0][1])).pages[0].extract_text()
    assert "Apps Supplier" in text and "March 2026" in text
    delivery = PackDelivery.objects.get()
    assert (delivery.status, delivery.month.isoformat()) == ("sent", "2026-03-01")
    assert packs_send(now=APRIL_5TH) == 0 and len(mail.outbox) == 1  # once a month, whatever runs again


def test_nothing_goes_before_the_subscriptions_day(estate, subscribed):
    assert packs_send(now=datetime(2026, 4, 2, tzinfo=UTC)) == 0 and not mail.outbox


def test_a_reader_who_lost_the_right_gets_nothing_and_the_refusal_is_recorded(estate, subscribed):
    subscribed.person.memberships.all().delete()
    assert packs_send(now=APRIL_5TH) == 0 and not mail.outbox
    delivery = PackDelivery.objects.get()
    assert delivery.status == "refused" and delivery.error


def test_a_mail_server_down_is_tried_again_next_run(estate, subscribed, monkeypatch):
    from django.core.mail import EmailMessage

    def down(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(EmailMessage, "send", down)
    assert packs_send(now=APRIL_5TH) == 0 and not PackDelivery.objects.exists()
    monkeypatch.undo()
    assert packs_send(now=APRIL_5TH) == 1 and len(mail.outbox) == 1


def test_no_subscription_to_a_pack_its_reader_may_not_read(estate):
    admin = estate.applications_admin
    admin.email = "apps.admin@apps.test"
    admin.save()
    actor = actor_of(admin, estate.applications)
    with pytest.raises(Forbidden):
        subscription_create(actor=actor, person=admin, supplier=None, formats=["pdf"])  # the estate's
    with pytest.raises(ValidationFailed) as err:
        subscription_create(actor=actor, person=admin, supplier=estate.applications, formats=["docx"])
    assert "formats" in err.value.fields
    assert not PackSubscription.objects.exists()


def test_the_worker_task_sends_and_books_its_next_run(estate, subscribed, monkeypatch):
    monkeypatch.setattr("towers.reporting.delivery.timezone.now", lambda: APRIL_5TH)
    assert send_review_packs.call() == 1


def test_subscriptions_through_the_api_and_another_supplier_cannot_touch_them(client, estate):
    admin = estate.applications_admin
    admin.email = "apps.admin@apps.test"
    admin.save()
    auth = bearer(admin, estate.applications)
    created = client.post(
        "/api/v1/review-subscriptions",
        {"supplier": "apps", "formats": ["xlsx"]},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    listed = client.get("/api/v1/review-subscriptions", **auth).json()
    assert [s["supplier"] for s in listed] == ["apps"]
    other = bearer(estate.network_admin, estate.network)
    assert client.get("/api/v1/review-subscriptions", **other).json() == []
    assert client.delete(f"/api/v1/review-subscriptions/{created.json()['id']}", **other).status_code == 404
    assert client.delete(f"/api/v1/review-subscriptions/{created.json()['id']}", **auth).status_code == 204
    assert not PackSubscription.objects.get().active
    assert AuditEntry.objects.filter(action__startswith="reporting.pack_").count() == 2


def test_subscribing_and_stopping_on_the_reviews_page(client, estate):
    from django.urls import reverse

    from towers.organisations.tests.factories import sign_in

    admin = estate.applications_admin
    admin.email = "apps.admin@apps.test"
    admin.save()
    sign_in(client, admin, estate.applications)
    response = client.post(
        reverse("review_subscribe"), {"supplier": "apps", "xlsx": "1", "day_of_month": "5"}, follow=True
    )
    assert "each month" in response.content.decode()
    subscription = PackSubscription.objects.get()
    assert (subscription.formats, subscription.day_of_month) == (["xlsx"], 5)
    assert "Apps Supplier" in client.get(reverse("review_index")).content.decode()
    sign_in(client, estate.network_admin, estate.network)
    assert client.post(reverse("review_unsubscribe", args=[subscription.pk])).status_code == 404
    sign_in(client, admin, estate.applications)
    client.post(reverse("review_unsubscribe", args=[subscription.pk]))
    subscription.refresh_from_db()
    assert not subscription.active


def test_a_towers_pack_by_email_for_its_integrator_and_never_for_a_supplier(estate):
    admin = estate.integrator_admin
    admin.email = "int.admin@integrator.test"
    admin.save()
    actor = actor_of(admin, estate.integrator)
    subscription_create(actor=actor, person=admin, supplier=None, tower=estate.applications_tower, formats=["pdf"])
    assert packs_send(now=APRIL_5TH) == 1
    (message,) = mail.outbox
    assert message.attachments[0][0] == "service-review-tower-applications-2026-03.pdf"
    assert "The Applications tower" in message.subject
    supplier = estate.applications_admin
    supplier.email = "apps.admin@apps.test"
    supplier.save()
    with pytest.raises(NotFound):
        subscription_create(
            actor=actor_of(supplier, estate.applications), person=supplier, supplier=None,
            tower=estate.applications_tower, formats=["pdf"],
        )  # fmt: skip
