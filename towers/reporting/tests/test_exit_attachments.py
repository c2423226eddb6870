"""Ticket attachments in the exit pack: listed, packed byte for byte, checksummed, problems reported not fatal."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.organisations.tests.factories import actor_of
from towers.reporting.exit_attachments import DIFFERS, MISSING, path_in_pack, safe_name
from towers.reporting.exit_writer import PackArchive
from towers.reporting.services.exit_pack import exit_pack_build, exit_pack_create
from towers.reporting.tests.test_exit_pack import SYSTEM, World, build_world, built, jsonl, read_pack
from towers.servicedesk.models import Attachment, Ticket
from towers.servicedesk.services.attachments import attachment_add
from towers.servicedesk.services.handoffs import handoff_accept, ticket_hand_off

pytestmark = pytest.mark.django_db
BIG = bytes(range(256)) * 10_000  # 2.5 MB: several of the writer's 1 MiB chunks


@dataclass
class Attached:
    world: World
    second: Ticket
    screenshot: Attachment
    log: Attachment
    big: Attachment
    foreign: Attachment


def attach(ticket: Ticket, person, filename: str, data: bytes, *, public: bool = True) -> Attachment:
    return attachment_add(actor=actor_of(person), ticket=ticket, filename=filename,
                          content_type="application/octet-stream", data=data, public=public)  # fmt: skip


def handed_to_apps(world: World, title: str) -> Ticket:
    desk = world.desk
    ticket = desk.raise_incident(title=title)
    handoff = ticket_hand_off(actor=desk.actor(desk.agent), ticket=ticket, to_team=desk.apps_team, reason="App")
    handoff_accept(actor=desk.actor(desk.apps_resolver), handoff=handoff)
    return ticket


@pytest.fixture
def attached(estate, settings, tmp_path) -> Attached:
    """Two of the applications supplier's tickets with files, and a file on the network supplier's ticket."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = build_world(estate)
    resolver, agent = world.desk.apps_resolver, world.desk.agent
    second = handed_to_apps(world, "Reports fail overnight")
    return Attached(
        world,
        second,
        screenshot=attach(world.handed, resolver, "screen shot.png", b"\x89PNG not really"),
        log=attach(second, resolver, "..app..log", b"ERROR at 02:00\n", public=False),
        big=attach(second, agent, "heap.bin", BIG),
        foreign=attach(world.foreign, agent, "router.cfg", b"hostname core-1\n"),
    )


def listing(files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(files["attachments.csv"].decode()))}


def test_attached_files_are_in_the_zip_byte_for_byte_at_their_listed_path(attached):
    files = read_pack(built(SYSTEM, attached.world.estate.applications))
    rows = listing(files)
    for attachment, data in ((attached.screenshot, b"\x89PNG not really"), (attached.log, b"ERROR at 02:00\n"),
                             (attached.big, BIG)):  # fmt: skip
        row = rows[str(attachment.id)]
        assert files[row["path"]] == data
        assert row["sha256"] == row["packed_sha256"] == hashlib.sha256(data).hexdigest() and row["problem"] == ""
        assert (row["ticket"], row["filename"], row["size"]) == (
            attachment.ticket.reference,
            attachment.filename,
            str(len(data)),
        )
    log = rows[str(attached.log.id)]
    assert log["path"] == f"attachments/{attached.second.reference}/{attached.log.id}-app.log"
    assert (log["public"], log["uploaded_by"]) == ("false", attached.log.uploaded_by)
    objects = {o["id"]: o for o in jsonl(files, "attachments.jsonl")}
    assert objects[str(attached.screenshot.id)]["path"].endswith("-screen shot.png")


def test_each_attached_file_is_in_the_manifest_and_the_checksums(attached):
    pack = built(SYSTEM, attached.world.estate.applications)
    files = read_pack(pack)
    manifest = json.loads(files["manifest.json"])
    listed = {entry["name"]: entry for entry in manifest["files"]}
    sums = dict(reversed(line.split("  ", 1)) for line in files["checksums.sha256"].decode().splitlines())
    paths = [row["path"] for row in listing(files).values()]
    assert len(paths) == 3
    for path in paths:
        digest = hashlib.sha256(files[path]).hexdigest()
        assert listed[path]["sha256"] == sums[path] == digest and listed[path]["bytes"] == len(files[path])
    assert manifest["counts"]["attachments"] == 3 and pack.counts["attachments"] == 3
    assert manifest["attachment_problems"] == []
    readme = files["README.txt"].decode()
    assert "attachments.jsonl, attachments.csv" in readme and "packed_sha256:" in readme
    assert "attachments/<ticket reference>/<attachment id>-<file name>" in readme


def test_a_file_on_another_suppliers_ticket_is_left_out(attached):
    files = read_pack(built(SYSTEM, attached.world.estate.applications))
    assert str(attached.foreign.id) not in listing(files)
    assert not [name for name in files if attached.world.foreign.reference in name or "router.cfg" in name]
    network = read_pack(built(SYSTEM, attached.world.estate.network))
    assert list(listing(network)) == [str(attached.foreign.id)]


def test_a_dated_pack_carries_only_the_files_of_its_tickets(attached):
    pack = exit_pack_create(actor=SYSTEM, supplier=attached.world.estate.applications, since=date(2999, 1, 1),
                            queue=False)  # fmt: skip
    files = read_pack(exit_pack_build(pack))
    assert listing(files) == {} and not [name for name in files if name.startswith("attachments/")]


def test_a_missing_and_a_changed_file_are_reported_and_the_pack_still_completes(attached):
    default_storage.delete(attached.screenshot.file.name)
    with default_storage.open(attached.log.file.name, "wb") as changed:
        changed.write(b"ERROR at 02:00 (edited)\n")
    pack = built(SYSTEM, attached.world.estate.applications)
    assert pack.status == "done"
    files = read_pack(pack)
    rows = listing(files)
    missing, edited = rows[str(attached.screenshot.id)], rows[str(attached.log.id)]
    assert (missing["problem"], missing["path"], missing["packed_sha256"]) == (MISSING, "", "")
    assert missing["sha256"] == attached.screenshot.sha256
    assert edited["problem"] == DIFFERS and files[edited["path"]] == b"ERROR at 02:00 (edited)\n"
    assert edited["sha256"] == attached.log.sha256 != edited["packed_sha256"]
    assert rows[str(attached.big.id)]["problem"] == ""
    manifest = json.loads(files["manifest.json"])
    assert sorted((p["attachment"], p["problem"], p["path"]) for p in manifest["attachment_problems"]) == sorted(
        [(str(attached.screenshot.id), MISSING, None), (str(attached.log.id), DIFFERS, edited["path"])]
    )
    assert edited["path"] in {entry["name"] for entry in manifest["files"]}
    readme = files["README.txt"].decode()
    assert "2 attached file(s) are not as recorded" in readme and f"screen shot.png: {MISSING}" in readme


def _queries_to_build(supplier) -> int:
    pack = exit_pack_create(actor=SYSTEM, supplier=supplier, queue=False)
    with CaptureQueriesContext(connection) as queries:
        exit_pack_build(pack)
    return len(queries)


def test_files_are_listed_in_pages_not_one_query_each(attached):
    few = _queries_to_build(attached.world.estate.applications)
    for number in range(5):
        attach(attached.second, attached.world.desk.apps_resolver, f"extra-{number}.txt", b"more")
    assert _queries_to_build(attached.world.estate.applications) == few


@pytest.mark.parametrize(
    ("uploaded", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "_._etc_passwd"),
        ("a\\b/c.txt", "a_b_c.txt"),
        ("..", "file"),
        ("notes..v2...txt", "notes.v2.txt"),
        ("line\nbreak\t.txt", "line_break_.txt"),
        ("Übersicht März.xlsx", "Übersicht März.xlsx"),
        ("x" * 300 + ".docx", "x" * 115 + ".docx"),
    ],
)
def test_a_file_name_becomes_one_readable_path_segment(uploaded, safe):
    assert safe_name(uploaded) == safe
    path = path_in_pack("INC0000001", "1234", uploaded)
    assert path.count("/") == 2 and ".." not in path


def test_a_streamed_file_is_hashed_as_it_is_written(tmp_path):
    chunks = [b"a" * 1000, b"", b"b" * 3]
    with (tmp_path / "out.zip").open("wb") as out, PackArchive(out) as archive:
        entry = archive.add_stream("attachments/x/1-f", iter(chunks), when=datetime(2026, 3, 1, tzinfo=UTC),
                                   description="f")  # fmt: skip
    assert (entry.bytes, entry.sha256) == (1003, hashlib.sha256(b"".join(chunks)).hexdigest())


def test_the_command_line_summarises_the_attached_files_in_one_line(attached, tmp_path):
    printed = io.StringIO()
    call_command("exit_pack", "apps", "--out", str(tmp_path / "apps.zip"), stdout=printed)
    text = printed.getvalue()
    assert "attachments/" in text and "3 files" in text
    assert "heap.bin" not in text  # each file is in the manifest and the checksums, not printed one by one
