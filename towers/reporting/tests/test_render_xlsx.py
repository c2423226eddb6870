"""The pack as a workbook, reopened with openpyxl: sheets, real numbers and dates, and their formats."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from towers.reporting.pack import ServicePack
from towers.reporting.render_xlsx import pack_xlsx
from towers.reporting.tests.test_render_packs import breach, empty_pack, supplier_pack


def _open(pack: ServicePack) -> Workbook:
    return load_workbook(io.BytesIO(pack_xlsx(pack)))


def _row(sheet, label: str, column: int = 1) -> int:
    return next(row for row in range(1, sheet.max_row + 1) if sheet.cell(row, column).value == label)


def test_supplier_pack_has_a_sheet_per_part_in_order() -> None:
    book = _open(supplier_pack())
    assert book.sheetnames == [
        "Summary", "Attainment", "Breaches", "Trends", "Backlog", "Major incidents", "Commercial",
    ]  # fmt: skip
    for sheet in book.worksheets:
        header_row = 5 if sheet.title == "Summary" else 1
        assert sheet.freeze_panes == f"A{header_row + 1}"
        assert sheet.cell(header_row, 1).font.bold


def test_summary_figures_are_numbers_formatted_by_unit() -> None:
    summary = _open(supplier_pack())["Summary"]
    assert summary["A1"].value == "Service review: Northgate Infrastructure Ltd"
    assert summary["B2"].is_date and summary["B2"].value == datetime(2026, 10, 1)
    opened = _row(summary, "Incidents opened", column=2)
    assert [summary.cell(opened, c).value for c in (3, 4, 5)] == [1204, 1150, 54]
    assert summary.cell(opened, 3).number_format == "#,##0"
    fix = _row(summary, "First-time fix", column=2)
    assert summary.cell(fix, 3).value == pytest.approx(0.724)  # Excel keeps a percentage as a fraction
    assert summary.cell(fix, 3).number_format == "0.0%"
    mttr = _row(summary, "Mean time to resolve", column=2)
    assert summary.cell(mttr, 3).value == pytest.approx(6.25) and '"h"' in summary.cell(mttr, 3).number_format
    mttd = _row(summary, "MTTD", column=2)
    assert summary.cell(mttd, 3).value is None  # no figure stays empty, not "–"


def test_attainment_breaches_and_commercials_hold_numbers() -> None:
    book = _open(supplier_pack())
    attainment = book["Attainment"]
    assert [attainment.cell(3, c).value for c in (6, 7, 10)] == [310, 280, True]
    assert attainment.cell(3, 9).value == pytest.approx(0.9032) and "%" in attainment.cell(3, 9).number_format
    assert attainment.cell(3, 9).font.color.rgb.endswith("B3261E")
    assert attainment.cell(5, 9).value is None  # nothing measured
    breaches = book["Breaches"]
    assert breaches["A2"].value == "INC0000001" and breaches["G2"].value == pytest.approx(4.5)
    commercial = book["Commercial"]
    assert commercial["C2"].value == pytest.approx(12500.5) and "£" in commercial["C2"].number_format


def test_trends_have_a_date_per_month_and_a_column_per_series() -> None:
    trends = _open(supplier_pack())["Trends"]
    assert [c.value for c in trends[1]] == [
        "Month",
        "Incidents opened",
        "SLA attainment (%)",
        "Mean time to resolve (h)",
    ]
    assert trends["A2"].is_date and trends["A2"].value == datetime(2025, 11, 1)
    assert trends["A13"].value == datetime(2026, 10, 1) and trends.max_row == 13
    assert trends["B13"].value == 1204 and trends["C13"].value == pytest.approx(0.939)


def test_text_that_looks_like_a_formula_stays_text() -> None:
    pack = replace(supplier_pack(), breaches=(replace(breach(1), title='=HYPERLINK("http://evil","x")'),))
    cell = _open(pack)["Breaches"]["B2"]
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://evil","x")'


def test_empty_pack_has_headers_only_and_no_commercial_sheet() -> None:
    book = _open(empty_pack())
    assert "Commercial" not in book.sheetnames
    assert book["Summary"]["A1"].value == "Service review: Whole estate"
    assert book["Breaches"].max_row == 1 and book["Trends"]["A1"].value == "Month"
