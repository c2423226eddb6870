"""The service review pack as an A4 PDF, for the monthly meeting and the contract file.

It only reads the ServicePack: figures are already within the reader's visibility, and the footer says whose.
Charts are ReportLab drawings (vectors, no images), so they print sharp and add little to the file.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from towers.reporting.charts import format_value, plain, trend_summary
from towers.reporting.pack import Attainment, Figure, Series, ServicePack

INK, BREACH, TARGET = colors.HexColor("#0b3d62"), colors.HexColor("#b3261e"), colors.HexColor("#1e7b34")
BREACH_ROW, RULE, STRIPE = colors.HexColor("#fbe3e1"), colors.HexColor("#c5ccd3"), colors.HexColor("#f3f5f7")
MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
LONDON = ZoneInfo("Europe/London")
CHARTED_LEVELS = 20  # the attainment chart shows the levels furthest below target; the table lists them all
# Names of people, teams and Welsh places go beyond the PDF base fonts' Latin-1, so a Unicode font is used
# where the system has one.
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def _fonts() -> tuple[str, str]:
    registered = pdfmetrics.getRegisteredFontNames()
    if "PackSans" in registered:
        return "PackSans", "PackSans-Bold"
    for regular in UNICODE_FONTS:
        bold = regular.with_name("DejaVuSans-Bold.ttf")
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("PackSans", str(regular)))
            pdfmetrics.registerFont(TTFont("PackSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("PackSans", normal="PackSans", bold="PackSans-Bold")
            return "PackSans", "PackSans-Bold"
    return "Helvetica", "Helvetica-Bold"


FONT, BOLD = _fonts()
MINUS = "−" if FONT != "Helvetica" else "-"  # U+2212 is not in the base fonts' encoding


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("PackBody", parent=base["BodyText"], fontName=FONT, fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("PackTitle", parent=base["Title"], fontName=BOLD, fontSize=18, alignment=0),
        "h2": ParagraphStyle(
            "PackH2", parent=base["Heading2"], fontName=BOLD, fontSize=12.5, textColor=INK, keepWithNext=1
        ),
        "body": body,
        "muted": ParagraphStyle("PackMuted", parent=body, textColor=colors.HexColor("#555e68")),
        "cell": ParagraphStyle("PackCell", parent=body, fontSize=7.5, leading=9),
    }


STYLES = _styles()


def _p(text: object, style: str = "body") -> Paragraph:
    """Paragraph markup is parsed, and pack text comes from users: escape it first."""
    return Paragraph(html.escape(plain(text), quote=False), STYLES[style])


def pack_title(pack: ServicePack) -> str:
    return (
        f"Service review: {pack.supplier_name if pack.supplier or pack.tower else 'Whole estate'}, {pack.month:%B %Y}"
    )


def _generated(pack: ServicePack) -> str:
    try:
        moment = datetime.fromisoformat(pack.generated_at)
    except ValueError:
        return pack.generated_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(LONDON)
    return f"{moment:%d %B %Y, %H:%M}" + (f" {moment:%Z}" if moment.tzinfo else "")


def _footer_text(pack: ServicePack) -> str:
    return f"Within {plain(pack.generated_for)}'s visibility · {plain(pack_title(pack))}"


def _numbered_canvas(footer: str) -> type[Canvas]:
    """A canvas that holds its pages back until the end, so each can say "Page n of N"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, page in enumerate(self._pages, start=1):
                self.__dict__.update(page)
                self.setFont(FONT, 7.5)
                self.setFillColor(colors.HexColor("#555e68"))
                self.drawString(MARGIN, 9 * mm, footer[:120])
                self.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {number} of {len(self._pages)}")
                super().showPage()
            super().save()

    return NumberedCanvas


def _table(header: Sequence[str], rows: list[list[Any]], widths: Sequence[float], *, numeric_from: int) -> Table:
    """A table whose header repeats on every page it spans; columns from `numeric_from` on are right-aligned."""
    table = Table([list(header), *rows], colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), BOLD, 7.5),
                ("FONT", (0, 1), (-1, -1), FONT, 7.5),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("BACKGROUND", (0, 0), (-1, 0), INK),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _change(figure: Figure) -> str:
    if figure.value is None or figure.previous is None:
        return "–"
    difference = Decimal(figure.value) - Decimal(figure.previous)
    sign = "+" if difference > 0 else MINUS if difference < 0 else "±"
    if figure.unit == "%":  # a change in a percentage is in points, not per cent of itself
        return f"{sign}{format_value(abs(difference))} pp"
    return f"{sign}{format_value(abs(difference), figure.unit)}"


def _section(title: str, note: str, figures: Sequence[Figure]) -> list[Flowable]:
    parts: list[Flowable] = [_p(title, "h2")]
    if note:
        parts.append(_p(note, "muted"))
    if not figures:
        return [*parts, _p("No figures this month.", "muted")]
    rows = [
        [_p(f.label, "cell"), format_value(f.value, f.unit), format_value(f.previous, f.unit), _change(f)]
        for f in figures
    ]
    return [*parts, _table(("Figure", "This month", "Last month", "Change"), rows, (270, 80, 80, 80), numeric_from=1)]


def _trend_drawing(series: Series, width: float, height: float = 150) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 11, plain(series.label)[:60], fontName=BOLD, fontSize=9, fillColor=INK))
    months = [f"{day:%b %y}" for day, _ in series.points]
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 44, 30, width - 54, height - 52
    plot.data = [[(i, float(value)) for i, (_, value) in enumerate(series.points)]]
    plot.lines[0].strokeColor, plot.lines[0].strokeWidth = INK, 1.5
    plot.lines[0].symbol = makeMarker("FilledCircle", size=3, fillColor=INK, strokeColor=INK)
    x_axis, y_axis = plot.xValueAxis, plot.yValueAxis
    x_axis.valueMin, x_axis.valueMax = 0, max(len(months) - 1, 1)
    x_axis.valueSteps = list(range(len(months)))
    x_axis.labelTextFormat = lambda i: months[int(i)] if 0 <= int(i) < len(months) else ""
    x_axis.labels.fontName, x_axis.labels.fontSize, x_axis.labels.angle = FONT, 6, 45
    x_axis.labels.boxAnchor = "ne"
    values = [v for _, v in plot.data[0]]
    low, high = min(0.0, *values), max(values)
    # A flat series still needs a scale, and a count is never 0.5: give small counts whole-number steps.
    y_axis.valueMin, y_axis.valueMax = low, high if high > low else low + 1
    if not series.unit and y_axis.valueMax - low <= 10:
        y_axis.valueStep = 1 if y_axis.valueMax - low <= 5 else 2
    y_axis.labelTextFormat = lambda v: format_value(round(v, 2), "" if series.unit == "£" else series.unit)
    y_axis.labels.fontName, y_axis.labels.fontSize = FONT, 6.5
    drawing.add(plot)
    return drawing


def _trends(trends: Sequence[Series]) -> list[Flowable]:
    charted = [s for s in trends if s.points]
    if not charted:
        return []
    cell = WIDTH / 2
    cells: list[Any] = [[_trend_drawing(s, cell - 8), _p(trend_summary(s), "cell")] for s in charted]
    if len(cells) % 2:
        cells.append("")
    grid = Table([cells[i : i + 2] for i in range(0, len(cells), 2)], colWidths=[cell] * 2)
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    return [_p("Trends", "h2"), grid]


def _bars(labels: list[str], values: list[float], *, low: float, high: float, unit: str) -> HorizontalBarChart:
    """Bars with category 0 at the top, as a reader expects a ranked list."""
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width = 170, 14, WIDTH - 220
    chart.height = 16 * len(labels)
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = [label if len(label) <= 40 else label[:39] + "…" for label in reversed(labels)]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 7
    chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "e", -4
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 7
    chart.valueAxis.labelTextFormat = lambda v: format_value(round(v, 2), unit)
    chart.bars[0].fillColor, chart.bars[0].strokeColor = INK, None
    chart.barLabelFormat = lambda v: format_value(round(v, 2), unit)
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 7
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
    return chart


def _attainment_chart(rows: Sequence[Attainment]) -> list[Flowable]:
    measured = [a for a in rows if a.attained_percent is not None]
    if not measured:
        return []
    worst = sorted(measured, key=lambda a: a.attained_percent - a.target_percent)[:CHARTED_LEVELS]  # type: ignore[operator]
    lowest = min(min(float(a.attained_percent or 0), float(a.target_percent)) for a in worst)
    low = max(0.0, (lowest - 5) // 10 * 10)  # a scale from 0 would hide 97% against 99%
    labels = [f"{a.service} · {a.priority} · {a.level}" for a in worst]
    chart = _bars(labels, [float(a.attained_percent or 0) for a in worst], low=low, high=100, unit="%")
    drawing = Drawing(WIDTH, chart.height + 30)
    drawing.add(chart)
    band = chart.height / len(worst)
    for i, a in enumerate(worst):
        if a.breached:
            chart.bars[(0, len(worst) - 1 - i)].fillColor = BREACH
        # Targets differ by level, so each bar carries its own target tick rather than one line across the chart.
        x = chart.x + (float(a.target_percent) - low) / (100 - low) * chart.width
        y = chart.y + (len(worst) - 1 - i) * band
        drawing.add(Line(x, y - 1, x, y + band + 1, strokeColor=TARGET, strokeWidth=2))
    key = f"Bars: attained; green ticks: target; red: below target. The {len(worst)} levels furthest below target."
    return [drawing, _p(key, "muted")]


def _attainment(rows: Sequence[Attainment]) -> list[Flowable]:
    parts: list[Flowable] = [_p("Service level attainment", "h2")]
    if not rows:
        return [*parts, _p("No service levels were measured this month.", "muted")]
    header = ("Service", "Priority", "Level", "Kind", "Provider", "Measured", "Met", "Target", "Attained")
    table_rows = [
        [
            _p(a.service, "cell"),
            plain(a.priority),
            _p(a.level, "cell"),
            a.kind.upper(),
            _p(a.provider, "cell"),
            format_value(a.measured),
            format_value(a.met),
            format_value(a.target_percent, "%"),
            format_value(a.attained_percent, "%"),
        ]
        for a in rows
    ]
    table = _table(header, table_rows, (100, 40, 100, 28, 76, 44, 36, 40, 46), numeric_from=5)
    for i, a in enumerate(rows, start=1):
        if a.breached:
            table.setStyle(
                TableStyle([("BACKGROUND", (0, i), (-1, i), BREACH_ROW), ("TEXTCOLOR", (5, i), (-1, i), BREACH)])
            )
    return [*parts, *_attainment_chart(rows), Spacer(0, 6), table]


def _breaches(pack: ServicePack) -> list[Flowable]:
    parts: list[Flowable] = [_p(f"Breaches ({len(pack.breaches)})", "h2")]
    if not pack.breaches:
        return [*parts, _p("No service level was breached this month.", "muted")]
    rows = [
        [
            Paragraph(f"<b>{html.escape(plain(b.reference))}</b><br/>{html.escape(plain(b.title))}", STYLES["cell"]),
            plain(b.priority),
            _p(b.service, "cell"),
            _p(b.level, "cell"),
            _p(b.holder, "cell"),
            format_value(b.overdue_hours, "h"),
            _p(b.reason, "cell"),
        ]
        for b in pack.breaches
    ]
    header = ("Ticket", "Priority", "Service", "Level", "Held by", "Overdue", "Reason")
    table = _table(header, rows, (110, 36, 72, 70, 80, 42, 100), numeric_from=5)
    table.setStyle(TableStyle([("ALIGN", (6, 0), (6, -1), "LEFT")]))
    return [*parts, table]


def _backlog(pack: ServicePack) -> list[Flowable]:
    if not pack.backlog_ageing:
        return []
    bands = pack.backlog_ageing
    counts = [float(b.count) for b in bands]
    chart = _bars([b.label for b in bands], counts, low=0, high=max(max(counts), 1) * 1.15, unit="")
    chart.valueAxis.visible = False
    drawing = Drawing(WIDTH, chart.height + 20)
    drawing.add(chart)
    return [KeepTogether([_p("Backlog ageing (open at month end)", "h2"), drawing])]


def _major_incidents(pack: ServicePack) -> list[Flowable]:
    parts: list[Flowable] = [_p("Major incidents", "h2")]
    if not pack.major_incidents:
        return [*parts, _p("No major incidents this month.", "muted")]
    rows = [
        [
            Paragraph(f"<b>{html.escape(plain(m.reference))}</b><br/>{html.escape(plain(m.title))}", STYLES["cell"]),
            f"{m.opened:%d %b %Y}",
            f"{m.resolved:%d %b %Y}" if m.resolved else "Open",
            format_value(m.duration_hours, "h"),
        ]
        for m in pack.major_incidents
    ]
    return [*parts, _table(("Incident", "Opened", "Resolved", "Duration"), rows, (300, 70, 70, 70), numeric_from=1)]


def _yes_no(value: bool | None) -> str:
    return "–" if value is None else "Yes" if value else "No"


def _commercial(pack: ServicePack) -> list[Flowable]:
    if not pack.commercial:
        return []
    header = ("Contract", "Supplier", "Service credit", "Cap reached", "Delivery score", "Change work")
    rows = [
        [
            _p(c.contract, "cell"),
            _p(c.supplier, "cell"),
            format_value(c.credit_amount, "£"),
            _yes_no(c.credit_cap_reached),
            format_value(c.delivery_score),
            _yes_no(c.eligible_for_change_work),
        ]
        for c in pack.commercial
    ]
    table = _table(header, rows, (120, 110, 80, 60, 70, 70), numeric_from=2)
    return [_p("Service credits and delivery score", "h2"), table]


def _story(pack: ServicePack) -> list[Flowable]:
    scope = pack.supplier_name if pack.supplier or pack.tower else "Whole estate"
    story: list[Flowable] = [
        _p(scope, "title"),
        _p(f"Monthly service review · {pack.month:%B %Y}", "h2"),
        _p(f"Generated for {pack.generated_for} on {_generated(pack)}; every figure is within their visibility."),
        *[_p(f"• {note}", "muted") for note in pack.notes],
    ]
    for section in pack.sections:
        story += _section(section.title, section.note, section.figures)
    story += _trends(pack.trends)
    story += _attainment(pack.attainment)
    story += _breaches(pack)
    story += _backlog(pack)
    story += _major_incidents(pack)
    story += _commercial(pack)
    return story


def pack_pdf(pack: ServicePack) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=pack_title(pack),
        author="Towers",
        subject=_footer_text(pack),
    )
    doc.build(_story(pack), canvasmaker=_numbered_canvas(_footer_text(pack)))
    return out.getvalue()
