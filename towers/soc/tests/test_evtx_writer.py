"""The test EVTX writer: files the `evtx` parser reads back exactly, as XML and as JSON, across chunks."""

import json
import struct
import zlib
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from evtx import PyEvtxParser

from towers.soc.tests.evtx_writer import (
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    EvtxRecord,
    filetime,
    name_hash,
    sid_bytes,
    write_evtx,
)

SYSMON = "Microsoft-Windows-Sysmon/Operational"
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
WHEN = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
PROCESS = EvtxRecord(
    event_id=1,
    channel=SYSMON,
    computer="WS5.theshire.local",
    time_created=WHEN,
    level=4,
    user_id="S-1-5-21-1004336348-1177238915-682003330-512",
    record_id=4242,
    data={
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "CommandLine": 'cmd.exe /c "echo <a & b>" – ünïcode',
        "ParentImage": "C:\\Windows\\explorer.exe",
        "Empty": "",
    },
)


def test_record_reads_back_as_json_with_typed_system_values_and_named_data(tmp_path):
    path = write_evtx(tmp_path / "one.evtx", [PROCESS])
    (item,) = list(PyEvtxParser(str(path)).records_json())
    assert item["event_record_id"] == 4242
    event = json.loads(item["data"])["Event"]
    assert event["System"] == {
        "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
        "EventID": 1,
        "Level": 4,
        "TimeCreated": {"#attributes": {"SystemTime": "2026-03-04T05:06:07.123456Z"}},
        "EventRecordID": 4242,
        "Channel": SYSMON,
        "Computer": "WS5.theshire.local",
        "Security": {"#attributes": {"UserID": "S-1-5-21-1004336348-1177238915-682003330-512"}},
    }
    assert event["EventData"] == dict(PROCESS.data)


def test_record_reads_back_as_xml_with_the_same_values(tmp_path):
    path = write_evtx(tmp_path / "one.evtx", [PROCESS])
    (item,) = list(PyEvtxParser(str(path)).records())
    root = ElementTree.fromstring(item["data"].encode("utf-8"))  # noqa: S314 -- XML this test just wrote
    system = root.find(f"{NS}System")
    assert system is not None
    assert system.find(f"{NS}Provider").get("Name") == "Microsoft-Windows-Sysmon"
    assert system.find(f"{NS}EventID").text == "1"
    assert system.find(f"{NS}TimeCreated").get("SystemTime") == "2026-03-04T05:06:07.123456Z"
    assert system.find(f"{NS}Channel").text == SYSMON
    assert system.find(f"{NS}Security").get("UserID") == PROCESS.user_id
    data = {d.get("Name"): (d.text or "").strip() for d in root.iter(f"{NS}Data")}
    assert data == dict(PROCESS.data)


def test_file_and_chunk_checksums_are_the_crc32s_the_format_defines(tmp_path):
    path = write_evtx(tmp_path / "sums.evtx", [PROCESS, EvtxRecord(event_id=4688, channel="Security")])
    blob = path.read_bytes()
    header, chunk = blob[:FILE_HEADER_SIZE], blob[FILE_HEADER_SIZE:]
    assert header[:8] == b"ElfFile\x00" and len(chunk) == CHUNK_SIZE
    assert struct.unpack_from("<QQQIHHHH", header, 8) == (0, 0, 4243, 128, 1, 3, 4096, 1)
    assert struct.unpack_from("<I", header, 124)[0] == zlib.crc32(header[:120])
    assert chunk[:8] == b"ElfChnk\x00"
    first, last, first_id, last_id, _size, last_offset, free = struct.unpack_from("<QQQQIII", chunk, 8)
    assert (first, last, first_id, last_id) == (1, 2, 4242, 2)  # the second record takes its position as ID
    assert chunk[last_offset : last_offset + 4] == b"**\x00\x00"
    assert struct.unpack_from("<I", chunk, 52)[0] == zlib.crc32(chunk[CHUNK_HEADER_SIZE:free])
    assert struct.unpack_from("<I", chunk, 124)[0] == zlib.crc32(chunk[:120] + chunk[128:CHUNK_HEADER_SIZE])
    assert chunk[free:] == b"\x00" * (CHUNK_SIZE - free)


def test_many_records_span_several_chunks_and_all_read_back_in_order(tmp_path):
    records = [
        EvtxRecord(event_id=1, channel=SYSMON, data={"Image": f"C:\\tools\\t{i}.exe", "CommandLine": "x" * 400})
        for i in range(400)
    ]
    path = write_evtx(tmp_path / "many.evtx", records)
    chunks = (path.stat().st_size - FILE_HEADER_SIZE) // CHUNK_SIZE
    assert chunks >= 3
    assert struct.unpack_from("<H", path.read_bytes(), 42)[0] == chunks
    items = list(PyEvtxParser(str(path)).records_json())
    assert [item["event_record_id"] for item in items] == list(range(1, 401))
    images = [json.loads(item["data"])["Event"]["EventData"]["Image"] for item in items]
    assert images == [f"C:\\tools\\t{i}.exe" for i in range(400)]


def test_a_record_larger_than_a_chunk_is_refused(tmp_path):
    huge = EvtxRecord(event_id=1, channel=SYSMON, data={"CommandLine": "x" * 40_000})  # 80 KB
    with pytest.raises(ValueError, match="does not fit"):
        write_evtx(tmp_path / "huge.evtx", [huge])


def test_encodings_follow_the_format():
    assert filetime(datetime(1601, 1, 1, tzinfo=UTC)) == 0
    assert filetime(datetime(1970, 1, 1, tzinfo=UTC)) == 116_444_736_000_000_000
    assert sid_bytes("S-1-5-18") == bytes([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0])
    assert name_hash("") == 0 and name_hash("A") == 0x41
    assert name_hash("AB") == (0x41 * 65599 + 0x42) & 0xFFFF
