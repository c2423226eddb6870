"""Each figure opens exactly the records it counts, narrowed to its supplier or tower, and no one else's.

Attainment and breaches open the month's clocks (`/reviews/<month>/clocks/`, and the same list over the API);
queue figures open the queue with "party to" the pack's supplier; the backlog bands open the tickets open at the
month's end by age.
"""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from towers.contracts.models import ServiceLevel
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.reporting.pack_common import percent
from towers.servicedesk.models import TicketClock

AFTER = "2026-04-02 09:00:00+00:00"
CLOCKS = "/reviews/2026-03/clocks/"


def get(client, url, **kwargs):
    with freeze_time(AFTER):
        return client.get(url, **kwargs)


def dashboard_rows(client, person):
    sign_in(client, person)
    response = get(client, "/reviews/dashboard/?month=2026-03")
    return {row.code: row for row in response.context["dashboard"].rows}


def test_attainment_and_breaches_open_exactly_the_clocks_they_count(client, march):
    estate = march.desk.estate
    rows = dashboard_rows(client, estate.authority_admin)
    checked = 0
    for row in rows.values():
        for figure in (row.sla, row.ola):
            counts = get(client, figure.link).context["counts"]
            assert percent(counts.met, counts.measured) == figure.value, (row.code, figure.label)
            checked += counts.measured
        assert get(client, row.breaches.link).context["counts"].measured == row.breaches.value, row.code
    assert checked > 0  # the fixture's month has clocks: the comparison above compared something
    apps = get(client, rows["apps"].sla.link)
    # Its response and resolution SLAs on the one ticket it worked; the desk's own t1 is not its to answer for.
    assert [c.ticket.reference for c in apps.context["page"]] == [march.t2.reference] * 2
    assert rows["apps"].sla.value == Decimal("50.0")


def test_a_packs_attainment_row_and_breach_link_open_that_levels_and_the_months_breached_clocks(client, march):
    estate = march.desk.estate
    body = get(client, "/api/v1/reviews/2026-03?supplier=apps", **bearer(estate.authority_admin, estate.authority))
    row = next(r for r in body.json()["attainment"] if r["level"] == march.desk.sla_resolution.name)
    sign_in(client, estate.authority_admin)
    listed = get(client, row["link"]).context["counts"]
    assert (listed.measured, listed.met) == (row["measured"], row["met"]) and row["measured"] > 0
    page = get(client, "/reviews/2026-03/apps/").content.decode()
    assert f'href="{CLOCKS}?supplier=apps&amp;breached=on"' in page
    breached = get(client, f"{CLOCKS}?supplier=apps&breached=on").context["page"]
    assert [c.ticket.reference for c in breached] == [b["reference"] for b in body.json()["breaches"]]


def test_the_backlog_bands_open_the_tickets_open_at_the_months_end_by_age(client, march):
    estate = march.desk.estate
    body = get(client, "/api/v1/reviews/2026-03", **bearer(estate.authority_admin, estate.authority)).json()
    sign_in(client, estate.authority_admin)
    opened = []
    for band in body["backlog_ageing"]:
        query = parse_qs(urlsplit(band["link"]).query)
        assert query["open_on"] == ["2026-03-31"] and query["kind"] == ["incident,request,task"]
        listed = get(client, band["link"]).context["page"]
        assert listed.paginator.count == band["count"], band["label"]
        opened += [t.reference for t in listed.object_list]
    assert sorted(opened) == sorted([march.t3.reference, march.t4.reference])  # t4 from February, t3 still open


def test_a_suppliers_queue_figures_are_narrowed_to_the_tickets_it_is_party_to(client, march):
    estate = march.desk.estate
    body = get(client, "/api/v1/reviews/2026-03?supplier=network", **bearer(estate.authority_admin, estate.authority))
    opened = next(f for s in body.json()["sections"] for f in s["figures"] if f["label"] == "Incidents opened")
    assert "party=network" in opened["link"]
    sign_in(client, estate.authority_admin)
    listed = get(client, opened["link"]).context["page"]
    assert [t.reference for t in listed] == [march.t5.reference] and opened["value"] == 1


def test_the_clocks_api_lists_the_same_clocks_with_their_figures(client, march):
    estate = march.desk.estate
    auth = bearer(estate.authority_admin, estate.authority)
    body = get(client, "/api/v1/reviews/2026-03/clocks?supplier=apps&kind=sla&provider=apps", **auth)
    assert body.status_code == 200
    items = body.json()["items"]
    assert [i["ticket"] for i in items] == [march.t2.reference] * 2
    assert {i["provider"] for i in items} == {"apps"} and all(i["kind"] == "sla" for i in items)
    assert sum(i["breached"] for i in items) == 1 and all(i["elapsed_hours"] >= 0 for i in items)
    wrong = get(client, "/api/v1/reviews/2026-03/clocks?kind=slo", **auth)
    assert wrong.status_code == 422 and "kind" in wrong.content.decode()


@pytest.mark.parametrize("url", [f"{CLOCKS}?supplier=network", "/api/v1/reviews/2026-03/clocks?supplier=network"])
def test_another_supplier_cannot_open_a_suppliers_clocks(client, march, url):
    apps = march.desk.apps_resolver
    if url.startswith("/api"):
        response = get(client, url, **bearer(apps, march.desk.estate.applications))
    else:
        sign_in(client, apps)
        response = get(client, url)
    assert response.status_code == 404


def test_the_estates_clocks_are_refused_to_a_supplier_and_requesters(client, march):
    desk = march.desk
    assert (
        get(
            client,
            CLOCKS.replace("/reviews", "/api/v1/reviews").rstrip("/"),
            **bearer(desk.apps_resolver, desk.estate.applications),
        ).status_code
        == 403
    )
    sign_in(client, desk.requester)
    assert get(client, f"{CLOCKS}?supplier=apps").status_code == 403


def test_a_supplier_opens_its_own_clocks_and_sees_only_its_tickets(client, march):
    sign_in(client, march.desk.apps_resolver)
    response = get(client, f"{CLOCKS}?supplier=apps")
    assert response.status_code == 200
    shown = {c.ticket.reference for c in response.context["page"]}
    assert shown and march.t5.reference not in shown  # the network's ticket was never the applications supplier's


def test_a_bad_filter_is_named_and_lists_nothing(client, march):
    sign_in(client, march.desk.estate.authority_admin)
    response = get(client, f"{CLOCKS}?kind=slo&level=not-a-uuid")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind", "level"} and "page" not in response.context
    assert get(client, "/reviews/2026-13/clocks/").status_code == 404


def test_the_clocks_page_costs_the_same_queries_for_more_clocks(client, march):
    sign_in(client, march.desk.estate.authority_admin)
    get(client, CLOCKS)
    with CaptureQueriesContext(connection) as few:
        first = get(client, CLOCKS)
    extra = [march.desk.raise_incident(title=f"More {n}") for n in range(3)]
    for ticket in extra:  # met clocks stopping in March, so listed by the month's page
        TicketClock.objects.filter(ticket=ticket).update(stopped_at="2026-03-20T10:00:00Z", breached=False)
    with CaptureQueriesContext(connection) as more:
        second = get(client, CLOCKS)
    assert second.context["counts"].measured > first.context["counts"].measured
    assert len(more) == len(few)


def test_a_level_ended_since_still_answers_for_the_months_it_measured(client, march):
    """A transition ends the outgoing supplier's SLAs; its March pack and dashboard still count March's clocks."""
    estate = march.desk.estate
    auth = bearer(estate.authority_admin, estate.authority)
    before = get(client, "/api/v1/reviews/2026-03?supplier=apps", **auth).json()["attainment"]
    rows_before = dashboard_rows(client, estate.authority_admin)["apps"]
    ServiceLevel.objects.filter(provider=estate.applications).update(is_active=False)
    after = get(client, "/api/v1/reviews/2026-03?supplier=apps", **auth).json()["attainment"]
    measured = [(r["level"], r["measured"], r["met"]) for r in before if r["measured"]]
    assert measured and [(r["level"], r["measured"], r["met"]) for r in after if r["measured"]] == measured
    rows_after = dashboard_rows(client, estate.authority_admin)["apps"]
    assert (rows_after.sla.value, rows_after.ola.value) == (rows_before.sla.value, rows_before.ola.value)


def test_the_hand_off_figures_open_the_months_hand_offs_of_the_supplier(client, march):
    estate = march.desk.estate
    body = get(client, "/api/v1/reviews/2026-03?supplier=apps", **bearer(estate.authority_admin, estate.authority))
    figures = {f["label"]: f for s in body.json()["sections"] for f in s["figures"]}
    sign_in(client, estate.authority_admin)
    for label in ("Hand-offs", "Hand-offs received", "Hand-offs rejected"):
        listed = get(client, figures[label]["link"]).context["page"]
        assert listed.paginator.count == figures[label]["value"], label
    rejected = get(client, figures["Hand-offs rejected"]["link"]).context["page"]
    assert [(h.ticket.reference, h.response) for h in rejected] == [(march.t3.reference, "This is the network")]
    # t2 once, t3 twice (rejected, then sent again); the network's t5 was never the applications supplier's
    received = get(client, figures["Hand-offs received"]["link"]).context["page"]
    assert sorted(h.ticket.reference for h in received) == sorted([march.t2.reference, *[march.t3.reference] * 2])


def test_the_hand_offs_api_and_its_refusals(client, march):
    estate = march.desk.estate
    auth = bearer(estate.authority_admin, estate.authority)
    items = get(client, "/api/v1/reviews/2026-03/handoffs?supplier=network", **auth).json()["items"]
    assert [(i["ticket"], i["to_organisation"], i["status"]) for i in items] == [
        (march.t5.reference, "network", "accepted")
    ]
    assert get(client, "/api/v1/reviews/2026-03/handoffs?status=lost", **auth).status_code == 422
    apps = bearer(march.desk.apps_resolver, estate.applications)
    assert get(client, "/api/v1/reviews/2026-03/handoffs?supplier=network", **apps).status_code == 404
    assert get(client, "/api/v1/reviews/2026-03/handoffs", **apps).status_code == 403
    sign_in(client, march.desk.apps_resolver)
    assert get(client, "/reviews/2026-03/handoffs/?supplier=network").status_code == 404
    own = get(client, "/reviews/2026-03/handoffs/?supplier=apps")
    assert own.status_code == 200 and march.t5.reference not in own.content.decode()
