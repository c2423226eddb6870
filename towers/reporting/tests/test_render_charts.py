"""The pack's SVG charts: valid XML whatever the labels hold, readable by a screen reader, drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal as D

import pytest

from towers.reporting.charts import bars_svg, format_value, trend_svg
from towers.reporting.pack import Series
from towers.reporting.tests.test_render_packs import supplier_pack

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & \x07bell'


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output, parsed to prove it is well-formed XML)


def test_trend_is_an_accessible_image_summarising_the_first_and_last_month() -> None:
    opened = supplier_pack().trends[0]
    root = _parse(trend_svg(opened))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    label = root.get("aria-label")
    assert label == "Incidents opened: 980 in November 2025, 1,204 in October 2026"
    assert root.findtext(f"{SVG}title") == label


def test_trend_has_a_dot_and_a_month_label_for_each_month() -> None:
    root = _parse(trend_svg(supplier_pack().trends[1], width=600))
    dots = root.findall(f"{SVG}circle")
    assert len(dots) == 12
    assert dots[-1].findtext(f"{SVG}title") == "October 2026: 93.9%"
    months = [t.text for t in root.findall(f"{SVG}text") if t.text and t.text[:3].isalpha()]
    assert months[0] == "Nov 25" and months[-1] == "Oct 26" and len(months) == 12


def test_higher_values_are_drawn_higher() -> None:
    root = _parse(trend_svg(supplier_pack().trends[0]))
    ys = [float(c.get("cy", "0")) for c in root.findall(f"{SVG}circle")]
    assert ys[-1] < ys[0]  # 1,204 above 980: SVG's y grows downwards


def test_hostile_labels_are_escaped_and_still_parse() -> None:
    series = Series(label=HOSTILE, points=supplier_pack().trends[0].points)
    for svg in (trend_svg(series), bars_svg([HOSTILE], [D(5)], title=HOSTILE)):
        assert "<script" not in svg
        root = _parse(svg)
        assert not list(root.iter(f"{SVG}script"))
        assert root.findtext(f"{SVG}title").startswith('<script>alert("x")</script> & bell')


def test_empty_series_says_so_instead_of_drawing_nothing() -> None:
    root = _parse(trend_svg(Series(label="Security cases", points=())))
    assert root.get("aria-label") == "Security cases: no figures"
    assert any(t.text == "No figures" for t in root.iter(f"{SVG}text"))
    assert not root.findall(f"{SVG}polyline")


def test_bars_are_to_scale_with_breaches_in_red_and_a_tick_at_each_target() -> None:
    svg = bars_svg(
        ["Hosting", "Desk", "Network"],
        [D(100), D(50), None],
        title="Attainment",
        unit="%",
        targets=[D("99.95"), D(95), D(90)],
        highlight=[False, True, False],
        scale_max=100,
    )
    root = _parse(svg)
    full, half = root.findall(f"{SVG}rect")  # no bar where nothing was measured
    assert float(half.get("width", "0")) == pytest.approx(float(full.get("width", "0")) / 2, abs=0.2)
    assert half.get("fill") == "#b3261e" and full.get("fill") != "#b3261e"
    ticks = root.findall(f"{SVG}line")
    assert [t.findtext(f"{SVG}title") for t in ticks] == ["Target 99.95%", "Target 95%", "Target 90%"]
    assert "–" in [t.text for t in root.iter(f"{SVG}text")]


def test_bars_refuse_labels_and_values_that_do_not_pair_up() -> None:
    with pytest.raises(ValueError, match="one value per label"):
        bars_svg(["a", "b"], [1], title="x")


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (D("99.95"), "%", "99.95%"),  # a target must not round up to 100%
        (D("97.50"), "%", "97.5%"),
        (1204, "", "1,204"),
        (D("6.25"), "h", "6.25 h"),
        (D("12500.5"), "£", "£12,500.50"),
        (None, "%", "–"),
    ],
)
def test_format_value_reads_as_people_write_figures(value: D | int | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown
