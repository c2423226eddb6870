"""Charts of the service review pack drawn on the server as SVG strings: no script, nothing fetched, so they show in
a locked-down police browser and in an e-mailed page alike.

Plain data in, markup out. Every label may come from user data (service names, team names), so each one is
escaped and stripped of the control characters XML 1.0 forbids before it reaches the markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from towers.reporting.pack import Series

Number = Decimal | int | float

INK, MUTED, AXIS, BREACH, TARGET = "#0b3d62", "#555e68", "#8a949e", "#b3261e", "#1e7b34"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_FORBIDDEN_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_value(value: Number | None, unit: str = "") -> str:
    """A figure as people read it: "97.5%", "4.2 h", "£1,250.00", "1,204"; "–" when there is no figure."""
    if value is None:
        return "–"
    if unit == "£":
        return f"£{value:,.2f}"
    # Two places at most: a 99.95% availability target must not read as 100%.
    number = f"{int(value):,}" if _is_whole(value) else f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}" if unit else number


def _is_whole(value: Number) -> bool:
    return value == int(value)


def plain(value: object) -> str:
    """The value as text without the control characters that XML (SVG, XLSX, PDF markup) cannot carry."""
    return _FORBIDDEN_IN_XML.sub("", str(value))


def _text(value: object) -> str:
    return html.escape(plain(value), quote=True)


def _month(day: date) -> str:
    return f"{day:%b %y}"


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_text(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" {FONT}>'
    )
    return "\n".join([head, f"<title>{_text(label)}</title>", *body, "</svg>"])


def _axis_label(x: float, y: float, text: str) -> str:
    return f'<text x="{x}" y="{y}" text-anchor="end" fill="{MUTED}">{_text(text)}</text>'


def trend_summary(series: Series) -> str:
    """One sentence for a screen reader and the chart's title: where the series started and where it ended."""
    if not series.points:
        return f"{series.label}: no figures"
    (first_day, first), (last_day, last) = series.points[0], series.points[-1]
    return (
        f"{series.label}: {format_value(first, series.unit)} in {first_day:%B %Y}, "
        f"{format_value(last, series.unit)} in {last_day:%B %Y}"
    )


def trend_svg(series: Series, *, width: int = 600, height: int = 180) -> str:
    """A monthly line with a dot per month (each with its own tooltip) and the months along the bottom."""
    left, right, top, bottom = 48, 16, 16, 28
    summary = trend_summary(series)
    if not series.points:
        return _svg(width, height, summary, [f'<text x="{left}" y="{height // 2}" fill="{MUTED}">No figures</text>'])
    values = [float(v) for _, v in series.points]
    low, high = min(0.0, *values), max(values)
    span = (high - low) or 1.0
    step = (width - left - right) / max(len(values) - 1, 1)
    plot_height = height - top - bottom

    def y_of(v: float) -> float:
        return round(top + plot_height - (v - low) / span * plot_height, 1)

    coords = [(round(left + i * step, 1), y_of(v)) for i, v in enumerate(values)]
    body = [
        f'<line x1="{left}" y1="{y_of(low)}" x2="{width - right}" y2="{y_of(low)}" stroke="{AXIS}"/>',
        _axis_label(left - 4, top + 4, format_value(high, series.unit)),
        _axis_label(left - 4, y_of(low) + 4, format_value(low, series.unit)),
        f'<polyline points="{" ".join(f"{x},{y}" for x, y in coords)}" fill="none" stroke="{INK}" stroke-width="2"/>',
    ]
    # Twelve labels fit in 600 px; on a narrow chart every other month keeps them from overlapping.
    every = 1 if step >= 36 else 2
    for i, ((x, y), (day, value)) in enumerate(zip(coords, series.points, strict=True)):
        tip = f"{day:%B %Y}: {format_value(value, series.unit)}"
        body.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{INK}"><title>{_text(tip)}</title></circle>')
        if (len(coords) - 1 - i) % every == 0:
            body.append(f'<text x="{x}" y="{height - 8}" text-anchor="middle" fill="{MUTED}">{_month(day)}</text>')
    return _svg(width, height, summary, body)


def bars_svg(
    labels: Sequence[str],
    values: Sequence[Number | None],
    *,
    title: str,
    unit: str = "",
    targets: Sequence[Number | None] | None = None,
    highlight: Sequence[bool] | None = None,
    scale_max: Number | None = None,
    width: int = 600,
    bar_height: int = 18,
) -> str:
    """Horizontal bars, one per label: a value with no figure gets no bar; a target is a tick across its bar;
    highlighted bars (breaches) are drawn in red. scale_max fixes the scale (100 for percentages)."""
    if len(values) != len(labels):
        raise ValueError("bars_svg needs one value per label")
    label_width, value_width, gap, top = 180, 64, 6, 8
    height = max(40, top * 2 + len(labels) * (bar_height + gap))
    numbers = [float(v) for v in values if v is not None]
    numbers += [float(t) for t in targets or () if t is not None]
    most = float(scale_max) if scale_max is not None else max(numbers, default=0.0)
    most = most or 1.0
    plot = width - label_width - value_width
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (bar_height + gap)
        middle = y + bar_height / 2 + 4
        shown = label if len(label) <= 28 else label[:27] + "…"
        body.append(
            f'<text x="{label_width - 6}" y="{middle}" text-anchor="end" fill="{MUTED}">'
            f"<title>{_text(label)}</title>{_text(shown)}</text>"
        )
        colour = BREACH if highlight and highlight[i] else INK
        if value is not None:
            length = round(max(float(value), 0.0) / most * plot, 1)
            body.append(f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" fill="{colour}"/>')
        text = format_value(value, unit)
        body.append(f'<text x="{width - value_width + 6}" y="{middle}" fill="{colour}">{_text(text)}</text>')
        target = targets[i] if targets else None
        if target is not None:
            x = round(label_width + float(target) / most * plot, 1)
            body.append(
                f'<line x1="{x}" y1="{y - 2}" x2="{x}" y2="{y + bar_height + 2}" stroke="{TARGET}" stroke-width="2">'
                f"<title>Target {_text(format_value(target, unit))}</title></line>"
            )
    if not labels:
        body.append(f'<text x="{label_width}" y="24" fill="{MUTED}">No figures</text>')
    return _svg(width, height, title, body)
