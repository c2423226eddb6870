"""Who reads which pack, through the API and the page: a supplier its own only; the authority and integrator all."""

import pytest
from freezegun import freeze_time

from towers.core.errors import Forbidden, NotFound
from towers.organisations.tests.factories import actor_of, sign_in
from towers.organisations.tests.test_api import bearer
from towers.reporting.access import ensure_may_read_pack, pack_suppliers

API = "/api/v1/reviews/2026-03"
AFTER = "2026-04-02 09:00:00+00:00"


def get(client, url, **headers):
    with freeze_time(AFTER):
        return client.get(url, **headers)


def test_the_applications_supplier_reads_its_own_pack_through_the_api(client, march):
    estate = march.desk.estate
    response = get(client, f"{API}?supplier=apps", **bearer(estate.applications_admin, estate.applications))
    assert response.status_code == 200
    body = response.json()
    assert (body["month"], body["supplier"], body["supplier_name"]) == ("2026-03-01", "apps", "Apps Supplier")
    volumes = next(s for s in body["sections"] if s["key"] == "volumes")
    assert next(f for f in volumes["figures"] if f["label"] == "Incidents opened")["value"] == 2
    assert body["breaches"][0]["reference"] == march.t2.reference
    assert body["trends"][0]["points"][-1] == {"month": "2026-03-01", "value": 2}


def test_a_supplier_gets_no_other_suppliers_pack_nor_the_estates(client, march):
    estate = march.desk.estate
    apps = bearer(estate.applications_admin, estate.applications)
    network = bearer(estate.network_admin, estate.network)
    assert get(client, f"{API}?supplier=apps", **network).status_code == 404
    assert get(client, API, **network).status_code == 403
    assert get(client, API, **apps).status_code == 403
    assert get(client, f"{API}?supplier=network", **apps).status_code == 404
    assert get(client, f"{API}?supplier=nobody", **apps).status_code == 404


def test_the_authority_and_the_integrator_read_every_pack_and_the_estate(client, march):
    estate = march.desk.estate
    for person, organisation in (
        (estate.authority_admin, estate.authority),
        (estate.integrator_admin, estate.integrator),
    ):
        headers = bearer(person, organisation)
        for url in (API, f"{API}?supplier=apps", f"{API}?supplier=network"):
            assert get(client, url, **headers).status_code == 200, (person, url)


def test_a_month_that_is_not_yyyy_mm_is_refused_naming_the_field(client, march):
    estate = march.desk.estate
    response = get(client, "/api/v1/reviews/March", **bearer(estate.authority_admin, estate.authority))
    assert response.status_code in (400, 422) and "month" in response.json()["error"]["fields"]


def test_requesters_read_no_pack(march):
    officer = actor_of(march.desk.requester)
    with pytest.raises(Forbidden):
        ensure_may_read_pack(officer, None)
    with pytest.raises(Forbidden):
        ensure_may_read_pack(officer, march.desk.estate.applications)
    assert not pack_suppliers(officer).exists()


def test_the_integrator_reads_the_packs_of_the_towers_it_integrates(estate):
    integrator = actor_of(estate.integrator_admin)
    ensure_may_read_pack(integrator, estate.applications)
    ensure_may_read_pack(integrator, None)
    with pytest.raises(NotFound):
        ensure_may_read_pack(actor_of(estate.network_admin), estate.applications)
    assert {o.code for o in pack_suppliers(integrator)} == {"integrator", "apps", "network"}
    assert [o.code for o in pack_suppliers(actor_of(estate.network_admin))] == ["network"]


def test_the_page_shows_the_suppliers_own_pack_and_refuses_the_others(client, march):
    estate = march.desk.estate
    sign_in(client, estate.applications_admin)
    page = get(client, "/reviews/2026-03/apps/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Service review: Apps Supplier, March 2026" in html and march.t2.reference in html
    assert "pending supplier 6.0 h" in html and "<svg" in html
    assert get(client, "/reviews/2026-03/").status_code == 403
    assert get(client, "/reviews/2026-03/network/").status_code == 404
    sign_in(client, estate.network_admin)
    assert get(client, "/reviews/2026-03/apps/").status_code == 404
    assert get(client, "/reviews/2026-03/").status_code == 403
    assert get(client, "/reviews/March/network/").status_code == 404


def test_the_estate_page_for_the_authority_links_the_downloads(client, march):
    sign_in(client, march.desk.estate.authority_admin)
    html = get(client, "/reviews/2026-03/").content.decode()
    assert "Service review: The estate, March 2026" in html
    assert 'href="/reviews/2026-03/pack.pdf"' in html and 'href="/reviews/2026-03/pack.xlsx"' in html


def test_the_index_offers_only_the_packs_the_reader_may_open_and_opens_the_chosen_one(client, estate):
    sign_in(client, estate.network_admin)
    html = client.get("/reviews/").content.decode()
    assert "Network Co" in html and "Apps Supplier" not in html and "The whole estate" not in html
    response = client.get("/reviews/", {"supplier": "network", "month": "2026-03"})
    assert response.status_code == 302 and response["Location"] == "/reviews/2026-03/network/"
