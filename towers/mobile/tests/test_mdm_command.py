"""`towers mobile import`: counts and rejected rows printed, dry run by flag, refusals as command errors."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from towers.mobile.models import Device

DATA = Path(__file__).parent / "data"


def mobile(*args):
    out = StringIO()
    call_command("mobile", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_counts_and_the_rejected_rows_and_changes_nothing(estate):
    out = mobile("import", str(DATA / "intune-utf16.csv"), "--organisation", "authority", "--dry-run")
    assert "10 rows (intune-csv)" in out and "5 would be created" in out and "5 rejected" in out
    assert "check digit is wrong" in out
    assert not Device.objects.exists()


def test_an_import_with_a_mapping_file_and_a_supplier(estate, tmp_path):
    report = tmp_path / "report.json"
    out = mobile(
        "import", str(DATA / "generic.csv"), "--organisation", "authority", "--supplier", "integrator",
        "--mapping", str(DATA / "generic-mapping.json"), "--report", str(report),
    )  # fmt: skip
    assert "2 were created" in out
    assert {d.supplier for d in Device.objects.all()} == {estate.integrator}
    assert [row["outcome"] for row in json.loads(report.read_text())] == ["created", "created"]


def test_an_unknown_organisation_or_an_unreadable_file_is_a_command_error(estate):
    with pytest.raises(CommandError, match="--organisation: no organisation"):
        mobile("import", str(DATA / "intune.csv"), "--organisation", "nope")
    with pytest.raises(CommandError, match="needs a mapping"):
        mobile("import", str(DATA / "generic.csv"), "--organisation", "authority")
