"""The queue's date filters: whole London days, applied in SQL, kept by saved views, and forgiving of bad input."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from towers.organisations.tests.factories import sign_in
from towers.servicedesk.models import SavedView, Ticket
from towers.servicedesk.selectors import QueueFilters

pytestmark = pytest.mark.django_db

URL = reverse("ticket_queue")


def listed(response):
    return sorted(ticket.reference for ticket in response.context["page"].object_list)


def at(desk, opened: datetime, resolved: datetime | None = None) -> Ticket:
    ticket = desk.raise_incident()
    Ticket.objects.filter(pk=ticket.pk).update(opened_at=opened, resolved_at=resolved)
    return ticket


@pytest.fixture
def boundary(desk):
    """Either side of midnight in London on 31 March 2026, when British Summer Time (UTC+1) has begun."""
    return {
        "before": at(desk, datetime(2026, 3, 30, 23, 30, tzinfo=UTC)),  # 31 Mar 00:30 BST
        "last": at(desk, datetime(2026, 3, 31, 22, 59, tzinfo=UTC)),  # 31 Mar 23:59 BST
        "after": at(desk, datetime(2026, 3, 31, 23, 1, tzinfo=UTC)),  # 1 Apr 00:01 BST
        "march1": at(desk, datetime(2026, 3, 1, 0, 0, tzinfo=UTC)),  # 1 Mar 00:00 GMT
        "feb": at(desk, datetime(2026, 2, 28, 23, 59, tzinfo=UTC)),  # 28 Feb 23:59 GMT
    }


def refs(boundary, *names):
    return sorted(boundary[name].reference for name in names)


def test_opened_to_takes_the_whole_london_day_and_stops_at_its_midnight(client, desk, boundary):
    sign_in(client, desk.agent)
    shown = client.get(URL, {"team": "", "opened_from": "2026-03-31", "opened_to": "2026-03-31"})
    assert listed(shown) == refs(boundary, "before", "last")
    assert listed(client.get(URL, {"team": "", "opened_from": "2026-04-01"})) == refs(boundary, "after")


def test_a_months_opened_range_takes_its_first_and_last_days_in_london_time(client, desk, boundary):
    sign_in(client, desk.agent)
    march = client.get(URL, {"team": "", "opened_from": "2026-03-01", "opened_to": "2026-03-31"})
    assert listed(march) == refs(boundary, "march1", "before", "last")
    assert listed(client.get(URL, {"team": "", "opened_to": "2026-02-28"})) == refs(boundary, "feb")


def test_resolved_range_filters_on_resolution_and_ignores_tickets_not_resolved(client, desk):
    opened = datetime(2026, 3, 1, 9, tzinfo=UTC)
    in_march = at(desk, opened, resolved=datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 23:30 BST on the 31st
    in_april = at(desk, opened, resolved=datetime(2026, 3, 31, 23, 30, tzinfo=UTC))  # 00:30 BST on 1 April
    at(desk, opened)  # never resolved
    sign_in(client, desk.agent)
    shown = client.get(URL, {"team": "", "state": "all", "resolved_from": "2026-03-01", "resolved_to": "2026-03-31"})
    assert listed(shown) == [in_march.reference]
    assert listed(client.get(URL, {"team": "", "state": "all", "resolved_from": "2026-04-01"})) == [in_april.reference]


def test_a_bad_date_is_a_form_error_on_the_page_not_a_server_error(client, desk, boundary):
    sign_in(client, desk.agent)
    response = client.get(URL, {"team": "", "opened_from": "2026-13-40", "resolved_to": "yesterday"})
    assert response.status_code == 200
    form = response.context["filters"]
    assert set(form.errors) == {"opened_from", "resolved_to"}
    assert len(listed(response)) == len(boundary)  # the bad filters narrow nothing
    assert "Enter a valid date." in response.content.decode()


def test_the_date_filters_add_no_query(client, desk, boundary):
    sign_in(client, desk.agent)
    client.get(URL, {"team": ""})
    with CaptureQueriesContext(connection) as plain:
        client.get(URL, {"team": ""})
    with CaptureQueriesContext(connection) as dated:
        response = client.get(URL, {"team": "", "opened_from": "2026-03-01", "opened_to": "2026-03-31"})
    assert listed(response) == refs(boundary, "march1", "before", "last")
    assert len(dated) == len(plain)


def test_a_saved_view_keeps_the_dates_and_reopens_them(client, desk, boundary):
    sign_in(client, desk.agent)
    query = "team=&opened_from=2026-03-31&opened_to=2026-03-31"
    response = client.post(reverse("saved_view_create"), {"name": "Last of March", "query": query})
    view = SavedView.objects.get(person=desk.agent, name="Last of March")
    assert view.filters["opened_from"] == "2026-03-31" and view.filters["opened_to"] == "2026-03-31"
    shown = client.get(client.get(response.url).url)
    assert listed(shown) == refs(boundary, "before", "last")


def test_saved_filters_read_iso_dates_and_drop_a_bad_one():
    filters = QueueFilters.from_dict({"opened_from": "2026-03-01", "resolved_to": "not a date"})
    assert filters.opened_from == date(2026, 3, 1) and filters.resolved_to is None


def test_the_rest_queue_takes_the_same_date_filters(client, desk, boundary):
    from towers.organisations.tests.test_api import bearer

    auth = bearer(desk.agent, desk.estate.integrator)
    march = client.get("/api/v1/tickets?opened_from=2026-03-01&opened_to=2026-03-31&limit=50", **auth).json()
    wanted = {boundary[name].reference for name in ("before", "last", "march1")}
    assert {item["reference"] for item in march["items"]} == wanted
    wrong = client.get("/api/v1/tickets?opened_from=2026-13-40", **auth)
    assert wrong.status_code == 422 and "opened_from" in wrong.content.decode()
