"""The queue's "party to", several kinds and "open at end of" filters: what a review pack's figures link to."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.models import SavedView, State, Ticket, TicketKind
from towers.servicedesk.selectors import QueueFilters
from towers.servicedesk.tests.factories import foreign_ticket

pytestmark = pytest.mark.django_db

URL = reverse("ticket_queue")


def listed(response):
    return sorted(ticket.reference for ticket in response.context["page"].object_list)


@pytest.fixture
def held(desk):
    """One ticket the applications supplier holds, one only the desk has held."""
    return {"apps": foreign_ticket(desk.estate), "desk": desk.raise_incident()}


def test_party_to_an_organisation_lists_the_tickets_it_holds_or_held(client, desk, held):
    sign_in(client, desk.agent)
    assert listed(client.get(URL, {"team": "", "party": "apps"})) == [held["apps"].reference]
    both = sorted(t.reference for t in held.values())
    assert listed(client.get(URL, {"team": "", "party": "integrator"})) == both


def test_party_to_a_tower_means_any_of_its_suppliers(client, desk, held):
    sign_in(client, desk.agent)
    assert listed(client.get(URL, {"team": "", "party": "tower:applications"})) == [held["apps"].reference]
    form = client.get(URL, {"team": "", "party": "tower:applications"}).context["filters"]
    offered = {value for _group, options in form.fields["party"].choices[1:] for value, _label in options}
    assert {"apps", "integrator", "tower:applications", "tower:infrastructure"} <= offered


def test_a_party_the_reader_cannot_see_is_a_form_error_and_narrows_nothing(client, desk, held):
    sign_in(client, desk.agent)
    response = client.get(URL, {"team": "", "party": "no-such-supplier"})
    assert "party" in response.context["filters"].errors
    assert len(listed(response)) == 2


def test_kind_takes_several_kinds_separated_by_commas(client, desk):
    incident = desk.raise_incident()
    request = desk.raise_incident(kind=TicketKind.REQUEST, title="New phone")
    problem = desk.raise_incident(kind=TicketKind.PROBLEM, title="Why slow")
    sign_in(client, desk.agent)
    work = listed(client.get(URL, {"team": "", "kind": "incident,request,task"}))
    assert work == sorted([incident.reference, request.reference])
    assert listed(client.get(URL, {"team": "", "kind": "problem"})) == [problem.reference]


def test_open_at_the_end_of_a_day_counts_what_was_open_then_whatever_it_is_now(client, desk):
    def at(opened, resolved=None, state=State.NEW):
        ticket = desk.raise_incident()
        Ticket.objects.filter(pk=ticket.pk).update(opened_at=opened, resolved_at=resolved, state=state)
        return ticket.reference

    march = datetime(2026, 3, 10, 9, tzinfo=UTC)
    still_open = at(march)
    resolved_later = at(march, datetime(2026, 4, 2, 9, tzinfo=UTC), State.RESOLVED)
    at(march, datetime(2026, 3, 31, 22, 30, tzinfo=UTC), State.RESOLVED)  # 23:30 BST on the 31st: not open at end
    at(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))  # 00:30 BST on 1 April: opened after
    sign_in(client, desk.agent)
    shown = client.get(URL, {"team": "", "state": "all", "open_on": "2026-03-31"})
    assert listed(shown) == sorted([still_open, resolved_later])
    # Without state=all, "open at end of" still counts tickets resolved since: the default is not "open now".
    assert listed(client.get(URL, {"team": "", "open_on": "2026-03-31"})) == sorted([still_open, resolved_later])


def test_a_saved_view_keeps_party_kinds_and_open_on(client, desk, held):
    sign_in(client, desk.agent)
    query = "team=&party=apps&kind=incident,request,task&open_on=2030-01-31&state=all"
    response = client.post(reverse("saved_view_create"), {"name": "Apps work", "query": query})
    view = SavedView.objects.get(person=desk.agent, name="Apps work")
    assert view.filters["party"] == "apps" and view.filters["kind"] == "incident,request,task"
    assert view.filters["open_on"] == "2030-01-31"
    reopened = client.get(response.url)
    assert "party=apps" in reopened.url and "open_on=2030-01-31" in reopened.url
    assert listed(client.get(reopened.url)) == [held["apps"].reference]


def test_saved_filters_read_party_and_open_on():
    filters = QueueFilters.from_dict({"party": "tower:apps", "open_on": "2026-03-31", "kind": "incident,task"})
    assert filters.party == "tower:apps" and filters.open_on.isoformat() == "2026-03-31"


def test_the_rest_queue_takes_party_kinds_and_open_on(client, desk, held):
    auth = bearer(desk.agent, desk.estate.integrator)
    items = client.get("/api/v1/tickets?party=apps&kind=incident,request,task&state=", **auth).json()["items"]
    assert [item["reference"] for item in items] == [held["apps"].reference]
    assert client.get("/api/v1/tickets?party=tower:infrastructure", **auth).json()["count"] == 2
    assert client.get("/api/v1/tickets?open_on=2000-01-01", **auth).json()["count"] == 0


def test_party_to_narrows_within_what_the_reader_may_see(client, desk, held):
    """The applications supplier asking for the integrator's tickets gets only those it is party to itself."""
    auth = bearer(desk.apps_resolver, desk.estate.applications)
    items = client.get("/api/v1/tickets?party=integrator", **auth).json()["items"]
    assert [item["reference"] for item in items] == [held["apps"].reference]


def test_caused_by_a_change_lists_the_incidents_a_change_caused(client, desk):
    caused, other = desk.raise_incident(title="Broken by the patch"), desk.raise_incident(title="Unrelated")
    change = desk.raise_incident(kind=TicketKind.CHANGE, title="Patch")
    Ticket.objects.filter(pk=caused.pk).update(caused_by=change)
    sign_in(client, desk.agent)
    assert listed(client.get(URL, {"team": "", "caused_by_change": "on"})) == [caused.reference]
    assert other.reference in listed(client.get(URL, {"team": ""}))
