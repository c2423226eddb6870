"""Fleet dashboard exports: the figures (CSV sections, XLSX sheets) and the visible device rows, streamed.

Pure writers: they take the figures or an iterator of plain rows and never query on their own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from towers.mobile.selectors_dashboard import FleetFigures

DEVICE_COLUMNS = (
    "IMEI",
    "Serial",
    "Make",
    "Model",
    "Platform",
    "OS version",
    "Status",
    "Compliance",
    "Team",
    "Person",
    "Last check-in",
)


def _cell(value: Any) -> Any:
    """A value safe for a spreadsheet: MDM text is not trusted, so nothing may start a formula."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def figure_sections(figures: FleetFigures) -> Iterator[tuple[str, list[str], list[list[Any]]]]:
    """(title, header, rows) for the summary, each breakdown and the trend: one CSV section or XLSX sheet each."""
    yield "Summary", ["Figure", "Devices"], [["Total", figures.total], ["Non-compliant", figures.non_compliant]]
    for breakdown in figures.breakdowns:
        yield breakdown.title, [breakdown.title, "Devices"], [[b.label, b.count] for b in breakdown.buckets]
    trend = [
        [
            f"{p.month:%Y-%m}",
            p.in_service,
            p.non_compliant,
            None if p.non_compliant_share is None else round(p.non_compliant_share, 4),
        ]
        for p in figures.trend
    ]
    yield "Trend", ["Month", "In service", "Non-compliant", "Non-compliant share"], trend


def figures_csv(figures: FleetFigures) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for title, header, rows in figure_sections(figures):
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows([_cell(value) for value in row] for row in rows)
        writer.writerow([])
    return out.getvalue()


def figures_xlsx(figures: FleetFigures) -> bytes:
    book = Workbook(write_only=True)
    for title, header, rows in figure_sections(figures):
        sheet = book.create_sheet(title=title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(value) for value in row])
    return _save(book)


def devices_csv(rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """The device rows as CSV, one line at a time, for a streaming response."""
    line = _Line()
    writer = csv.writer(line)
    yield writer.writerow(DEVICE_COLUMNS)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def devices_xlsx(rows: Iterable[tuple[Any, ...]]) -> bytes:
    """The device rows as one sheet; write-only mode keeps memory flat whatever the fleet's size."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="Devices")
    sheet.append(list(DEVICE_COLUMNS))
    for row in rows:
        sheet.append([_cell(value) for value in row])
    return _save(book)


class _Line:
    """A file that hands back what csv.writer writes, so each row can be yielded as it is made."""

    def write(self, value: str) -> str:
        return value


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
