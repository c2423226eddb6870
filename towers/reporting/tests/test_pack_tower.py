"""A tower's pack: its suppliers together, for the authority and the tower's integrator only."""

import io

from django.urls import reverse
from freezegun import freeze_time
from pypdf import PdfReader

from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer

API = "/api/v1/reviews/2026-03"
AFTER = "2026-04-02 09:00:00+00:00"


def get(client, url, **headers):
    with freeze_time(AFTER):
        return client.get(url, **headers)


def unlinked(sections):
    return [[{k: v for k, v in figure.items() if k != "link"} for figure in s["figures"]] for s in sections]


def test_the_applications_towers_pack_is_its_suppliers_figures(client, march):
    estate = march.desk.estate
    authority = bearer(estate.authority_admin, estate.authority)
    tower = get(client, f"{API}?tower={estate.applications_tower.code}", **authority).json()
    alone = get(client, f"{API}?supplier=apps", **authority).json()
    assert (tower["tower"], tower["supplier"], tower["supplier_name"]) == (
        "applications",
        None,
        "The Applications tower",
    )
    # Its only supplier: the same figures, with links naming the tower rather than the supplier.
    assert unlinked(tower["sections"]) == unlinked(alone["sections"]) and tower["breaches"] == alone["breaches"]
    assert "party=tower%3Aapplications" in tower["sections"][0]["figures"][0]["link"]
    infrastructure = get(client, f"{API}?tower={estate.infrastructure_tower.code}", **authority).json()
    assert infrastructure["sections"] != tower["sections"]


def test_the_integrator_reads_its_towers_packs_and_suppliers_do_not(client, march):
    estate = march.desk.estate
    url = f"{API}?tower={estate.applications_tower.code}"
    integrator = bearer(estate.integrator_admin, estate.integrator)
    assert get(client, url, **integrator).status_code == 200
    assert get(client, url, **bearer(estate.applications_admin, estate.applications)).status_code == 404
    assert get(client, url, **bearer(estate.network_admin, estate.network)).status_code == 404
    assert get(client, f"{API}?tower=nowhere", **integrator).status_code == 404


def test_the_towers_page_and_pdf(client, march):
    estate = march.desk.estate
    sign_in(client, estate.authority_admin, estate.authority)
    page = get(client, reverse("review_tower", args=["2026-03", "applications"]))
    assert page.status_code == 200 and "The Applications tower" in page.content.decode()
    pdf = get(client, reverse("review_tower_pdf", args=["2026-03", "applications"]))
    assert pdf["Content-Disposition"].endswith('service-review-tower-applications-2026-03.pdf"')
    assert "The Applications tower" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    sign_in(client, estate.network_admin, estate.network)
    assert get(client, reverse("review_tower", args=["2026-03", "applications"])).status_code == 404
    assert get(client, reverse("review_tower_xlsx", args=["2026-03", "applications"])).status_code == 404
