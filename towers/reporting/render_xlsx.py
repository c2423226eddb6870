"""The service review pack as a workbook, for the contract manager who wants to sort, filter and chart it again.

Figures go in as numbers with number formats (a percentage as a fraction formatted 0.0%, hours, pounds), dates as
dates, so a reader can sum and compare them without cleaning text first. It only reads the ServicePack.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from towers.reporting.charts import plain
from towers.reporting.pack import ServicePack

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B3D62")
BREACH_FONT = Font(color="B3261E", bold=True)
FORMATS = {"%": "0.0%", "h": '#,##0.0 "h"', "£": '"£"#,##0.00', "": "#,##0"}
DATE_FORMAT = "dd mmm yyyy"
MONTH_FORMAT = "mmm yyyy"


def _cell(value: Any) -> Any:
    """A spreadsheet-safe value: user text must not start a formula, and Decimals go in as plain numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        text = plain(value)
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text
    return value


def _number(value: Decimal | int | None, unit: str) -> Any:
    """The figure as Excel holds it: a percentage is a fraction so that the 0.0% format shows it right."""
    if value is None:
        return None
    return _cell(Decimal(value) / 100) if unit == "%" else _cell(value)


def _sheet(
    book: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    widths: Sequence[int],
    formats: dict[int, str] | None = None,
    first_row: int = 1,
) -> Worksheet:
    """A sheet with a styled, frozen, filterable header at `first_row` and per-column number formats."""
    sheet = book.create_sheet(title=title)
    for column, name in enumerate(header, start=1):
        cell = sheet.cell(row=first_row, column=column, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(column)].width = widths[column - 1]
    for offset, row in enumerate(rows, start=first_row + 1):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=offset, column=column, value=_cell(value))
            if formats and column in formats:
                cell.number_format = formats[column]
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)
    if rows:
        sheet.auto_filter.ref = f"A{first_row}:{get_column_letter(len(header))}{first_row + len(rows)}"
    return sheet


def _summary(book: Workbook, pack: ServicePack) -> None:
    scope = pack.supplier_name if pack.supplier or pack.tower else "Whole estate"
    rows = []
    for section in pack.sections:
        for figure in section.figures:
            change = None
            if figure.value is not None and figure.previous is not None:
                change = Decimal(figure.value) - Decimal(figure.previous)
            rows.append(
                [
                    section.title,
                    figure.label,
                    _number(figure.value, figure.unit),
                    _number(figure.previous, figure.unit),
                    _number(change, figure.unit),
                ]
            )
    sheet = _sheet(
        book, "Summary", ("Section", "Figure", "This month", "Last month", "Change"), rows,
        widths=(22, 40, 14, 14, 14), first_row=5,
    )  # fmt: skip
    # Each figure has its own unit, so the number format is set row by row.
    figures = [f for s in pack.sections for f in s.figures]
    for row, figure in enumerate(figures, start=6):
        for column in (3, 4, 5):
            sheet.cell(row=row, column=column).number_format = FORMATS.get(figure.unit, "#,##0.##")
    sheet["A1"] = _cell(f"Service review: {scope}")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"], sheet["B2"] = "Month", pack.month
    sheet["B2"].number_format = MONTH_FORMAT
    sheet["B2"].alignment = Alignment(horizontal="left")
    sheet["A3"], sheet["B3"] = "Generated for", _cell(f"{pack.generated_for} at {pack.generated_at}")
    sheet["A4"] = _cell("; ".join(pack.notes)) if pack.notes else None


def _trends(book: Workbook, pack: ServicePack) -> None:
    """One row per month and one column per series; a series without a figure that month leaves the cell empty."""
    months = sorted({day for series in pack.trends for day, _ in series.points})
    by_series = [dict(series.points) for series in pack.trends]
    header = ["Month", *(s.label + (f" ({s.unit})" if s.unit else "") for s in pack.trends)]
    rows = [
        [month, *(_number(values.get(month), s.unit) for s, values in zip(pack.trends, by_series, strict=True))]
        for month in months
    ]
    formats = {1: MONTH_FORMAT} | {i: FORMATS.get(s.unit, "#,##0.##") for i, s in enumerate(pack.trends, start=2)}
    _sheet(book, "Trends", header, rows, widths=(12, *[22] * len(pack.trends)), formats=formats)


def _attainment(book: Workbook, pack: ServicePack) -> None:
    header = ("Service", "Priority", "Level", "Kind", "Provider", "Measured", "Met", "Target", "Attained", "Breached")
    rows = [
        [a.service, a.priority, a.level, a.kind.upper(), a.provider, a.measured, a.met,
         _number(a.target_percent, "%"), _number(a.attained_percent, "%"), a.breached]
        for a in pack.attainment
    ]  # fmt: skip
    formats = {6: FORMATS[""], 7: FORMATS[""], 8: "0.00%", 9: "0.00%"}
    sheet = _sheet(book, "Attainment", header, rows, widths=(26, 10, 32, 8, 28, 11, 10, 10, 10, 10), formats=formats)
    for row, a in enumerate(pack.attainment, start=2):
        if a.breached:
            sheet.cell(row=row, column=9).font = BREACH_FONT


def _breaches(book: Workbook, pack: ServicePack) -> None:
    header = ("Reference", "Title", "Priority", "Service", "Level", "Held by", "Overdue", "Reason")
    rows = [
        [b.reference, b.title, b.priority, b.service, b.level, b.holder, _number(b.overdue_hours, "h"), b.reason]
        for b in pack.breaches
    ]
    _sheet(book, "Breaches", header, rows, widths=(13, 40, 9, 24, 30, 26, 10, 60), formats={7: FORMATS["h"]})


def _backlog(book: Workbook, pack: ServicePack) -> None:
    rows = [[band.label, band.count] for band in pack.backlog_ageing]
    _sheet(book, "Backlog", ("Age", "Open tickets"), rows, widths=(16, 14), formats={2: FORMATS[""]})


def _major_incidents(book: Workbook, pack: ServicePack) -> None:
    header = ("Reference", "Title", "Opened", "Resolved", "Duration")
    rows = [[m.reference, m.title, m.opened, m.resolved, _number(m.duration_hours, "h")] for m in pack.major_incidents]
    formats = {3: DATE_FORMAT, 4: DATE_FORMAT, 5: FORMATS["h"]}
    _sheet(book, "Major incidents", header, rows, widths=(13, 48, 13, 13, 11), formats=formats)


def _commercial(book: Workbook, pack: ServicePack) -> None:
    header = ("Contract", "Supplier", "Service credit", "Cap reached", "Delivery score", "Eligible for change work")
    rows = [
        [c.contract, c.supplier, _cell(c.credit_amount), c.credit_cap_reached, _cell(c.delivery_score),
         c.eligible_for_change_work]
        for c in pack.commercial
    ]  # fmt: skip
    formats = {3: FORMATS["£"], 5: "0.0"}
    _sheet(book, "Commercial", header, rows, widths=(18, 30, 15, 12, 15, 14), formats=formats)


def pack_xlsx(pack: ServicePack) -> bytes:
    book = Workbook()
    book.remove(book.active)
    book.properties.title = f"Service review {pack.supplier or pack.tower or 'estate'} {pack.month:%Y-%m}"
    book.properties.creator = "Towers"
    _summary(book, pack)
    _attainment(book, pack)
    _breaches(book, pack)
    _trends(book, pack)
    _backlog(book, pack)
    _major_incidents(book, pack)
    if pack.commercial:  # absent rather than empty: the reader may not see commercials at all
        _commercial(book, pack)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
