"""Reading MDM exports (pure): Intune CSV in UTF-8 and UTF-16, Graph JSON, a generic CSV with a mapping."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from towers.mobile.mdm_formats import MdmFormatError, imei, read_export

DATA = Path(__file__).parent / "data"


def problems_by_line(name: str, **kwargs):
    export = read_export((DATA / name).read_bytes(), **kwargs)
    return export, {row.line: row.problems for row in export.rows}


@pytest.mark.parametrize("name", ["intune.csv", "intune-utf16.csv"])
def test_an_intune_csv_export_is_detected_and_each_bad_row_is_named_by_line_and_field(name):
    export, problems = problems_by_line(name)
    assert export.source_format == "intune-csv"
    assert len(export.rows) == 10
    assert "check digit" in problems[6]["imei"][0]
    assert "not a date" in problems[7]["enrolled_at"][0]
    assert "unknown OS" in problems[8]["platform"][0]
    assert "neither an IMEI nor a serial" in problems[9]["imei"][0]
    assert "also on line 2" in problems[10]["imei"][0]
    assert {line for line, found in problems.items() if not found} == {2, 3, 4, 5, 11}


def test_an_intune_row_is_mapped_to_the_canonical_fields():
    export = read_export((DATA / "intune.csv").read_bytes())
    first, second = export.rows[0].values, export.rows[1].values
    assert first["imei"] == "351234567890009" and first["serial"] == "F2LX0001" and first["mdm_id"] == "d-001"
    assert (first["platform"], first["os_version"], first["make"], first["model"]) == (
        "ios",
        "17.5.1",
        "Apple",
        "iPhone 15",
    )
    assert (first["encrypted"], first["jailbroken"], first["ownership"]) == (True, False, "corporate")
    assert first["last_check_in"] == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    assert first["user_upn"] == "officer.one@example.org" and first["iccid"] == "8944200000000000001"
    assert second["enrolled_at"] == datetime(2024, 1, 11, 10, 0, tzinfo=UTC)  # US-style date
    assert export.rows[3].values["ownership"] == "personal" and "jailbroken" not in export.rows[3].values


def test_graph_json_in_its_envelope_is_read_and_never_dates_are_empty():
    export, problems = problems_by_line("graph.json")
    assert export.source_format == "intune-json"
    assert export.rows[0].values["encrypted"] is True and export.rows[0].values["ownership"] == "corporate"
    assert "enrolled_at" not in export.rows[1].values and export.rows[1].values["ownership"] == "personal"
    assert set(problems[3]) == {"imei", "last_check_in"}


def test_a_generic_csv_needs_a_mapping_and_reads_with_one():
    with pytest.raises(MdmFormatError) as exc:
        read_export((DATA / "generic.csv").read_bytes())
    assert exc.value.field == "mapping"
    mapping = json.loads((DATA / "generic-mapping.json").read_text())
    export = read_export((DATA / "generic.csv").read_bytes(), mapping=mapping)
    assert export.source_format == "csv"
    assert export.rows[0].values == {
        "imei": "351234567890082", "serial": "S-1", "platform": "android", "os_version": "14",
        "user_upn": "officer.one@example.org",
    }  # fmt: skip


def test_a_mapping_naming_an_absent_column_or_an_unknown_field_is_refused():
    with pytest.raises(MdmFormatError, match="no column 'Handset'"):
        read_export((DATA / "generic.csv").read_bytes(), mapping={"imei": "Handset"})
    with pytest.raises(MdmFormatError, match="'colour' is not a field"):
        read_export((DATA / "generic.csv").read_bytes(), mapping={"colour": "Serial"})


@pytest.mark.parametrize("data", [b"IMEI,Serial\n\xff\xff\xc3\x28,1\n", b"", b"\xef\xbb\xbf\n"])
def test_a_file_that_is_empty_or_not_utf8_or_utf16_text_is_refused_naming_the_file(data):
    with pytest.raises(MdmFormatError) as exc:
        read_export(data)
    assert exc.value.field == "file"


@pytest.mark.parametrize("value", ["490154203237518", "49 015420 323751 8", "49-015420-323751-8"])
def test_a_valid_imei_is_accepted_with_spaces_or_dashes(value):
    assert imei(value) == "490154203237518"


@pytest.mark.parametrize("value", ["490154203237517", "49015420323751", "4901542032375180", "49015420323751X"])
def test_a_bad_imei_is_refused(value):
    with pytest.raises(ValueError):
        imei(value)
