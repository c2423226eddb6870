"""The portal's "My devices" and its loss report, and the desk reporting for the person, through the pages."""

import pytest
from django.urls import reverse
from django.utils import timezone

from towers.mobile.models import DeviceStatus, LossReport
from towers.organisations.tests.factories import sign_in

pytestmark = pytest.mark.django_db


def test_my_devices_lists_only_the_officers_own(client, fleet, lost):
    fleet.device(person=None, name="SPARE-1")
    sign_in(client, fleet.officer)
    page = client.get(reverse("portal_devices"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "NP-7001" in html and "SPARE-1" not in html and "+447700900123" in html
    assert reverse("portal_device_loss", args=[lost.pk]) in html


def test_the_officer_reports_a_theft_in_the_portal(client, fleet, lost):
    sign_in(client, fleet.officer)
    form = client.get(reverse("portal_device_loss", args=[lost.pk]))
    assert "police data" in form.content.decode()
    data = {"kind": "stolen", "occurred_at": "2026-11-26T21:15", "location": "Queen Street", "crime_reference": ""}
    response = client.post(reverse("portal_device_loss", args=[lost.pk]), data, follow=True)
    report = LossReport.objects.get()
    assert response.redirect_chain[-1][0] == reverse("portal_ticket", args=[report.incident.reference])
    assert "reported stolen" in response.content.decode()
    assert timezone.localtime(report.occurred_at).strftime("%H:%M") == "21:15" and report.location == "Queen Street"
    lost.refresh_from_db()
    assert lost.status == DeviceStatus.STOLEN
    listing = client.get(reverse("portal_devices")).content.decode()
    assert report.incident.reference in listing and "I have found it" in listing


def test_a_report_without_a_kind_is_refused_and_changes_nothing(client, fleet, lost):
    sign_in(client, fleet.officer)
    response = client.post(reverse("portal_device_loss", args=[lost.pk]), {"location": "Somewhere"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not LossReport.objects.exists()


def test_the_officer_cannot_open_someone_elses_device_in_the_portal(client, fleet, lost):
    other = fleet.device(person=None)
    sign_in(client, fleet.officer)
    assert client.get(reverse("portal_device_loss", args=[other.pk])).status_code == 404
    assert client.post(reverse("portal_device_loss", args=[other.pk]), {"kind": "lost"}).status_code == 404
    assert not LossReport.objects.exists()


def test_the_desk_reports_for_the_officer_and_lands_on_the_incident(client, fleet, lost):
    sign_in(client, fleet.estate.integrator_agent)
    response = client.post(reverse("mobile_device_loss", args=[lost.pk]), {"kind": "lost"})
    report = LossReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("ticket_detail", args=[report.incident.reference])
    assert report.on_behalf and report.incident.channel == "phone"


def test_found_in_the_portal(client, fleet, lost):
    sign_in(client, fleet.officer)
    client.post(reverse("portal_device_loss", args=[lost.pk]), {"kind": "lost"})
    response = client.post(reverse("portal_device_found", args=[lost.pk]), {"note": "Under the seat"}, follow=True)
    assert "marked found" in response.content.decode()
    lost.refresh_from_db()
    assert lost.status == DeviceStatus.ISSUED


@pytest.mark.parametrize("name", ["mobile_device_loss", "portal_device_loss"])
def test_another_supplier_gets_404_and_changes_nothing(client, fleet, lost, name):
    sign_in(client, fleet.estate.applications_admin)
    assert client.get(reverse(name, args=[lost.pk])).status_code == 404
    assert client.post(reverse(name, args=[lost.pk]), {"kind": "lost"}).status_code == 404
    found = name.replace("_loss", "_found")
    assert client.post(reverse(found, args=[lost.pk])).status_code == 404
    assert not LossReport.objects.exists()


def test_an_officer_sees_only_their_own_devices_not_the_fleet(client, fleet, lost):
    """Visibility alone would show an officer every colleague's phone and number: the fleet is for those who run it."""
    from towers.organisations.tests.test_api import bearer

    sign_in(client, fleet.officer)
    for name, args in [
        ("mobile_device_list", []), ("mobile_device_detail", [lost.pk]), ("mobile_dashboard", []),
        ("mobile_compliance", []), ("mdm_imports", []), ("mobile_refresh", []),
    ]:  # fmt: skip
        assert client.get(reverse(name, args=args)).status_code == 403, name
    auth = bearer(fleet.officer, fleet.owner)
    for path in ("devices", f"devices/{lost.pk}", "sims", f"settings/{fleet.owner.pk}", "imports"):
        assert client.get(f"/api/v1/mobile/{path}", **auth).status_code == 403, path
    assert client.get(reverse("portal_devices")).status_code == 200
