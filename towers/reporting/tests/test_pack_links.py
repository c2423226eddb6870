"""A pack figure's link opens the queue on exactly the tickets the figure counts."""

from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time

from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer

AFTER = "2026-04-02 09:00:00+00:00"


def figure(body, section, label):
    return next(f for s in body["sections"] if s["key"] == section for f in s["figures"] if f["label"] == label)


def followed(client, url):
    with freeze_time(AFTER):
        response = client.get(url)
    assert response.status_code == 200, url
    return sorted(ticket.reference for ticket in response.context["page"].object_list)


def test_a_volume_figures_link_lists_exactly_the_months_tickets(client, march):
    estate = march.desk.estate
    with freeze_time(AFTER):
        body = client.get("/api/v1/reviews/2026-03", **bearer(estate.authority_admin, estate.authority)).json()
    opened, resolved = figure(body, "volumes", "Incidents opened"), figure(body, "volumes", "Incidents resolved")
    query = parse_qs(urlsplit(opened["link"]).query)
    assert (query["opened_from"], query["opened_to"]) == (["2026-03-01"], ["2026-03-31"])

    sign_in(client, estate.authority_admin)
    in_march = sorted(t.reference for t in (march.t1, march.t2, march.t3, march.t5))  # t4 opened in February
    assert followed(client, opened["link"]) == in_march and opened["value"] == len(in_march)
    fixed = sorted(t.reference for t in (march.t1, march.t2, march.t5))  # t3 is still open
    assert followed(client, resolved["link"]) == fixed and resolved["value"] == len(fixed)


def test_the_crossing_figures_link_to_the_months_crossed_and_ping_pong_tickets(client, march):
    estate = march.desk.estate
    with freeze_time(AFTER):
        body = client.get("/api/v1/reviews/2026-03", **bearer(estate.authority_admin, estate.authority)).json()
    ping_pong = next(f for s in body["sections"] for f in s["figures"] if f["label"] == "Ping-pong tickets")
    sign_in(client, estate.authority_admin)
    assert followed(client, ping_pong["link"]) == [march.t3.reference] and ping_pong["value"] == 1
