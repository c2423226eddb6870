"""The dashboard page and its exports: the actor's figures only, a bounded number of queries, files that parse."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from towers.core.models import AuditEntry
from towers.mobile.models import Device
from towers.mobile.tests.test_dashboard import device, small_fleet
from towers.organisations.tests.factories import sign_in


def sections(text: str) -> dict[str, list[list[str]]]:
    """A figures CSV as {section title: rows under its header}."""
    found: dict[str, list[list[str]]] = {}
    for block in text.strip().split("\r\n\r\n"):
        rows = list(csv.reader(io.StringIO(block)))
        found[rows[0][0]] = rows[2:]
    return found


def test_the_page_shows_the_figures_with_links_to_the_filtered_device_list(client, estate):
    small_fleet(estate)
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("mobile_dashboard"), {"platform": "ios"})
    assert response.status_code == 200
    assert response.context["figures"].total == 3
    page = response.content.decode()
    assert 'href="/mobile/devices/?platform=ios&amp;status=issued"' in page
    assert 'href="/mobile/devices/?platform=ios&amp;model=iPhone+15"' in page
    assert "<svg" in page and "<polyline" in page


def test_another_suppliers_user_sees_no_figures_of_devices_it_may_not_see(client, estate):
    small_fleet(estate)
    sign_in(client, estate.network_admin)
    assert client.get(reverse("mobile_dashboard")).context["figures"].total == 0
    figures = sections(client.get(reverse("mobile_dashboard_csv")).content.decode())
    assert figures["Summary"] == [["Total", "0"], ["Non-compliant", "0"]]
    rows = b"".join(client.get(reverse("mobile_dashboard_csv"), {"devices": "1"}).streaming_content)
    assert len(list(csv.reader(io.StringIO(rows.decode())))) == 1  # the header alone


def test_a_supplier_exports_only_the_devices_it_supplies_or_its_teams_hold(client, estate):
    small_fleet(estate)
    sign_in(client, estate.applications_admin)
    response = client.get(reverse("mobile_dashboard_xlsx"), {"devices": "1"})
    sheet = load_workbook(io.BytesIO(response.content))["Devices"]
    rows = sorted(sheet.iter_rows(min_row=2, values_only=True), key=lambda row: row[3])
    assert [row[3] for row in rows] == ["Galaxy S23", "iPhone 12"]
    assert rows[1][-1] == datetime(2026, 7, 1, 10)  # 09:00 UTC is 10:00 in London in July


def test_the_page_takes_the_same_queries_for_five_devices_as_for_fifty(client, estate):
    sign_in(client, estate.integrator_admin)
    used = []
    for size in (5, 50):
        for n in range(size - Device.objects.count()):
            device(estate.authority, supplier=estate.integrator, model=f"M{n % 7}", team=estate.integrator_team)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("mobile_dashboard")).status_code == 200
        used.append(len(queries))
    # Sign-in, scope and the layout take 9; the filters 2; the figures 7 (5 GROUP BYs, the trend 2, none per device).
    assert used[0] == used[1] <= 18


def test_the_figures_export_as_csv_sections_and_xlsx_sheets(client, estate):
    small_fleet(estate)
    sign_in(client, estate.auditor)
    response = client.get(reverse("mobile_dashboard_csv"))
    assert response["Content-Disposition"].startswith('attachment; filename="fleet-figures-')
    figures = sections(response.content.decode())
    assert figures["Status"][1] == ["Issued", "2"]
    assert ["Apple iPhone 15", "2"] in figures["Model"]
    assert len(figures["Trend"]) == 12
    book = load_workbook(io.BytesIO(client.get(reverse("mobile_dashboard_xlsx")).content))
    assert {"Summary", "Status", "Platform", "Compliance", "Model", "OS version", "Team", "Age", "Trend"} <= set(
        book.sheetnames
    )
    assert list(book["Compliance"].iter_rows(values_only=True)) == [
        ("Compliance", "Devices"), ("Not evaluated", 1), ("Compliant", 2), ("Non-compliant", 2)
    ]  # fmt: skip


def test_device_rows_export_streams_csv_and_audits_who_exported_what(client, estate):
    small_fleet(estate)
    device(estate.authority, model="=HYPERLINK(1)")
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("mobile_dashboard_csv"), {"devices": "1", "status": "issued"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["IMEI", "Serial", "Make", "Model"]
    assert [row[6] for row in rows[1:]] == ["issued", "issued"]
    entry = AuditEntry.objects.filter(action="mobile.fleet_exported").get()
    assert entry.after["export"] == "devices" and entry.after["filters"] == {"status": "issued"}
    assert entry.after["rows"] == 2
    everything = b"".join(client.get(reverse("mobile_dashboard_csv"), {"devices": "1"}).streaming_content).decode()
    assert "'=HYPERLINK(1)" in everything and ",=HYPERLINK" not in everything


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("mobile_dashboard_csv")).status_code == 302
