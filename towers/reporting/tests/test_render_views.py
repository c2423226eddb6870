"""The pack downloads: named files, the page's own access rule, and a clear answer to a malformed month."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from towers.organisations.tests.factories import sign_in
from towers.reporting import views_export
from towers.reporting.tests.test_render_packs import supplier_pack

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stands in for the builder (tested on its own) and records what each download asked it for."""
    calls: list[dict[str, Any]] = []

    def build_pack(**kwargs: Any):
        calls.append(kwargs)
        return supplier_pack()

    monkeypatch.setattr(views_export, "build_pack", build_pack)
    return calls


def test_supplier_pdf_is_an_attachment_named_for_supplier_and_month(client, estate, built) -> None:
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("review_supplier_pdf", kwargs={"month": "2026-10", "supplier_code": "apps"}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="service-review-apps-2026-10.pdf"'
    assert "Northgate Infrastructure Ltd" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    (call,) = built
    assert call["supplier"] == estate.applications and str(call["month"]) == "2026-10-01"


def test_estate_xlsx_is_named_for_the_estate(client, estate, built) -> None:
    sign_in(client, estate.integrator_admin)
    response = client.get(reverse("review_estate_xlsx", kwargs={"month": "2026-10"}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="service-review-estate-2026-10.xlsx"'
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "Summary"
    assert built[0]["supplier"] is None


def test_malformed_month_is_a_400_that_says_how_to_write_it(client, estate, built) -> None:
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("review_estate_pdf", kwargs={"month": "2026-13"}))
    assert response.status_code == 400
    assert "YYYY-MM" in response.content.decode()
    assert built == []


def test_another_suppliers_pack_is_not_found_and_the_estate_forbidden_to_a_supplier(client, estate, built) -> None:
    sign_in(client, estate.network_admin)
    other = reverse("review_supplier_xlsx", kwargs={"month": "2026-10", "supplier_code": "apps"})
    assert client.get(other).status_code == 404
    assert client.get(reverse("review_estate_pdf", kwargs={"month": "2026-10"})).status_code == 403
    own = reverse("review_supplier_pdf", kwargs={"month": "2026-10", "supplier_code": "network"})
    assert client.get(own).status_code == 200
    assert [call["supplier"] for call in built] == [estate.network]


def test_signed_out_reader_is_sent_to_log_in(client, estate, built) -> None:
    response = client.get(reverse("review_estate_pdf", kwargs={"month": "2026-10"}))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_real_builder_feeds_both_renderers(client, estate) -> None:
    sign_in(client, estate.authority_admin)
    pdf = client.get(reverse("review_estate_pdf", kwargs={"month": "2026-03"}))
    xlsx = client.get(reverse("review_supplier_xlsx", kwargs={"month": "2026-03", "supplier_code": "apps"}))
    assert pdf.status_code == 200 and "Whole estate" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert xlsx.status_code == 200 and "Trends" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
