"""The pack as PDF, read back as a reader would: its text (pypdf) and, where poppler is installed, its pixels."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from towers.reporting.render_pdf import FONT, pack_pdf
from towers.reporting.tests.test_render_packs import breach, empty_pack, supplier_pack


def _pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_supplier_pack_reads_as_the_pack_it_was_given() -> None:
    pages = _pages(pack_pdf(supplier_pack()))
    text = "\n".join(pages)
    for expected in (
        "Northgate Infrastructure Ltd",
        "Monthly service review · October 2026",
        "Generated for Alex Morgan (Authority) on 02 November 2026, 08:15 GMT",
        "No security cases for this supplier.",
        "Volumes",
        "Trends",
        "Service level attainment",
        "Breaches (3)",
        "Backlog ageing",
        "Major incidents",
        "Service credits and delivery score",
        "Airwave control room outage",
        "£12,500.50",
        "90.32%",  # the breached level's attainment
        "INC0000002",
        "Awaiting the caller's",
    ):
        assert expected in text, expected
    assert re.search(r"Incidents opened\s+1,204\s+1,150\s+\+54", text)
    assert re.search(r"First-time fix\s+72.4%\s+70.1%\s+\+2.3 pp", text)  # a percentage changes in points


def test_every_page_is_numbered_and_says_whose_visibility_it_shows() -> None:
    pages = _pages(pack_pdf(supplier_pack()))
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Within Alex Morgan (Authority)'s visibility" in text


def test_a_long_breach_list_spans_pages_with_its_header_on_each_and_loses_no_row() -> None:
    pages = _pages(pack_pdf(supplier_pack(breaches=300)))
    with_breaches = [text for text in pages if "INC0000" in text]
    assert len(with_breaches) >= 5
    for text in with_breaches:
        assert re.search(r"Ticket\s+Priority\s+Service\s+Level\s+Held by\s+Overdue\s+Reason", text)
    found = set(re.findall(r"INC0000\d{3}", "\n".join(pages)))
    assert {f"INC{n:07d}" for n in range(1, 301)} <= found


def test_an_empty_estate_pack_renders_and_says_what_is_missing() -> None:
    pages = _pages(pack_pdf(empty_pack()))
    text = "\n".join(pages)
    assert "Whole estate" in text and "Page 1 of 1" in text
    assert "No service level was breached this month." in text
    assert "No major incidents this month." in text
    assert "Service credits" not in text  # commercials are left out, not shown empty


def test_markup_in_user_text_is_printed_not_interpreted() -> None:
    hostile = breach(1, reason='<font size="40">big</font> & <script>x</script> <b')
    pack = replace(supplier_pack(), breaches=(hostile,), notes=("Note with <i>tags</i> & ampersand",))
    text = "\n".join(_pages(pack_pdf(pack)))
    assert '<font size="40">big</font> & <script>x</script> <b' in text.replace("\n", " ")
    assert "Note with <i>tags</i> & ampersand" in text


@pytest.mark.skipif(FONT == "Helvetica", reason="no DejaVu font on this system; the PDF falls back to Latin-1")
def test_welsh_names_survive_beyond_latin_1() -> None:
    pack = replace(supplier_pack(), supplier_name="Heddlu Dyfed-Powys, Ŵyr Cymru")
    assert "Heddlu Dyfed-Powys, Ŵyr Cymru" in "\n".join(_pages(pack_pdf(pack)))


def test_first_page_renders_to_a_non_blank_image(tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed, so the PDF cannot be rasterised here")
    source = tmp_path / "pack.pdf"
    source.write_bytes(pack_pdf(supplier_pack()))
    subprocess.run(
        ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(source), str(tmp_path / "page")], check=True
    )
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("RGB")
    width, height = image.size
    assert height / width == pytest.approx(297 / 210, rel=0.02)  # A4 portrait
    colours = image.getcolors(maxcolors=width * height) or []
    inked = sum(n for n, (r, g, b) in colours if r + g + b < 600)
    header_blue = sum(n for n, (r, g, b) in colours if b > 70 and r < 40 and g < 80)  # table headers, chart lines
    assert inked / (width * height) > 0.02
    assert header_blue > 50
