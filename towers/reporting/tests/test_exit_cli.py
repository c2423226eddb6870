"""`towers exit_pack CODE --out FILE.zip`: builds at once as a system job, prints the manifest, fails clearly."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from towers.core.models import AuditEntry
from towers.reporting.models import ExitPack

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_the_command_writes_the_pack_and_prints_each_file_and_checksum(estate, tmp_path):
    out = tmp_path / "apps.zip"
    printed = io.StringIO()
    call_command("exit_pack", "apps", "--out", str(out), stdout=printed)
    pack = ExitPack.objects.get()
    assert pack.status == "done" and pack.job == "cli-exit-pack" and pack.channel == "job"
    assert hashlib.sha256(out.read_bytes()).hexdigest() == pack.sha256
    with zipfile.ZipFile(out) as archive:
        assert {"manifest.json", "checksums.sha256", "README.txt", "tickets.csv", "cis.jsonl"} <= set(
            archive.namelist()
        )
    text = printed.getvalue()
    assert "tickets.jsonl" in text and pack.sha256 in text.replace("\n", "")
    actions = set(AuditEntry.objects.filter(object_id=str(pack.pk)).values_list("action", "actor_label"))
    assert actions == {
        ("reporting.exit_pack_requested", "system:cli-exit-pack"),
        ("reporting.exit_pack_built", "system:cli-exit-pack"),
    }


def test_an_unknown_supplier_is_refused_by_name(estate, tmp_path):
    with pytest.raises(CommandError, match="no organisation has the code 'nobody'"):
        call_command("exit_pack", "nobody", "--out", str(tmp_path / "x.zip"))
    assert not ExitPack.objects.exists()


def test_an_unwritable_path_is_refused_before_any_work(estate, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("exit_pack", "apps", "--out", str(tmp_path / "missing" / "x.zip"))
    with pytest.raises(CommandError, match="is a directory"):
        call_command("exit_pack", "apps", "--out", str(tmp_path))
    assert not ExitPack.objects.exists()


def test_the_authority_has_no_exit_pack(estate, tmp_path):
    with pytest.raises(CommandError, match="supplier"):
        call_command("exit_pack", "authority", "--out", str(tmp_path / "a.zip"))
    assert not (tmp_path / "a.zip").exists()
