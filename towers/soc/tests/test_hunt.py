"""`towers soc hunt`: Sigma rules over JSON-lines files, zips and folders, one JSON line per hit."""

import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from towers.soc.hunt import attack_tags
from towers.soc.sigma.rules import CompileReport, compile_text
from towers.soc.tests.evtx_writer import EvtxRecord, write_evtx

WHOAMI_RULE = """
title: Whoami Run
id: 11111111-1111-1111-1111-111111111111
level: medium
tags: [attack.discovery, attack.t1033, attack.g0016]
logsource: {product: windows, category: process_creation}
detection:
  selection: {Image|endswith: '\\whoami.exe'}
  condition: selection
"""
LSASS_RULE = """
title: Lsass Access
id: 22222222-2222-2222-2222-222222222222
level: critical
tags: [attack.credential-access, attack.t1003.001]
logsource: {product: windows, category: process_access}
detection:
  selection: {TargetImage|endswith: '\\lsass.exe', GrantedAccess: '0x1010'}
  condition: selection
"""
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _event(event_id: int, **fields: object) -> str:
    return json.dumps({"Channel": SYSMON, "EventID": event_id, "Hostname": "ws1", "@timestamp": "t", **fields})


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "whoami.yml").write_text(WHOAMI_RULE)
    (folder / "lsass.yml").write_text(LSASS_RULE)
    return folder


def _hunt(*args: str) -> tuple[list[dict], str]:
    out, err = StringIO(), StringIO()
    call_command("soc", "hunt", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_hunt_prints_one_json_line_per_hit_with_rule_attack_file_and_line(tmp_path, rules):
    events = tmp_path / "a.jsonl"
    lines = [
        _event(1, Image="C:\\Windows\\System32\\WHOAMI.EXE"),
        "",
        "{broken",
        _event(1, Image="C:\\Windows\\notepad.exe"),
        _event(10, TargetImage="C:\\Windows\\system32\\lsass.exe", GrantedAccess="0x1010"),
        _event(1, Image="C:\\whoami.exe", Hostname="ws2"),
        _event(10, TargetImage="C:\\Windows\\system32\\lsass.exe", GrantedAccess="0x1fffff"),
    ]
    events.write_text("\n".join(lines) + "\n")
    hits, err = _hunt(str(events), "--rules", str(rules))
    assert [(h["title"], h["record"], h["host"]) for h in hits] == [
        ("Whoami Run", 1, "ws1"),
        ("Lsass Access", 5, "ws1"),
        ("Whoami Run", 6, "ws2"),
    ]
    first = hits[0]
    assert first == {
        "rule_id": "11111111-1111-1111-1111-111111111111",
        "title": "Whoami Run",
        "level": "medium",
        "tactics": ["discovery"],
        "techniques": ["T1033"],
        "file": str(events),
        "record": 1,
        "timestamp": "t",
        "host": "ws1",
        "channel": SYSMON,
        "event_id": 1,
    }
    assert hits[1]["tactics"] == ["credential-access"] and hits[1]["techniques"] == ["T1003.001"]
    assert "2/2 rules compiled" in err and "5 events, 3 hits, 1 quarantined" in err and "a.jsonl#3" in err


def test_hunt_reads_zips_and_folders_recursively_and_filters_by_level(tmp_path, rules):
    data = tmp_path / "data" / "nested"
    data.mkdir(parents=True)
    with zipfile.ZipFile(data / "capture.zip", "w") as archive:
        archive.writestr("inner.json", _event(1, Image="x\\whoami.exe") + "\n" + _event(1, Image="y") + "\n")
    (tmp_path / "data" / "plain.json").write_text(
        _event(10, TargetImage="c:\\windows\\system32\\LSASS.exe", GrantedAccess="0x1010") + "\n"
    )
    (tmp_path / "data" / "notes.txt").write_text("not events")  # folders yield only event files
    hits, _ = _hunt(str(tmp_path / "data"), "--rules", str(rules))
    assert [(h["title"], Path(h["file"]).name, h["record"]) for h in hits] == [
        ("Whoami Run", "capture.zip:inner.json", 1),
        ("Lsass Access", "plain.json", 1),
    ]
    high, _ = _hunt(str(tmp_path / "data"), "--rules", str(rules), "--min-level", "high")
    assert [h["title"] for h in high] == ["Lsass Access"]


def test_hunt_table_format_and_missing_paths(tmp_path, rules):
    events = tmp_path / "b.jsonl"
    events.write_text(_event(1, Image="c:\\whoami.exe") + "\n")
    out = StringIO()
    call_command("soc", "hunt", str(events), "--rules", str(rules), "--format", "table", "--quiet", stdout=out)
    assert out.getvalue().count("\n") == 1 and "Whoami Run" in out.getvalue() and "b.jsonl#1" in out.getvalue()
    with pytest.raises(CommandError, match="not found"):
        call_command("soc", "hunt", str(tmp_path / "absent.jsonl"), "--rules", str(rules))


def test_attack_tags_split_tactics_and_techniques_and_skip_groups_and_software():
    tags = ["attack.execution", "attack.t1059.001", "attack.s0002", "attack.g0016", "car.2016-04-002", "attack.t1003"]
    assert attack_tags(tags) == (["execution"], ["T1059.001", "T1003"])


MORDOR = settings.TOWERS_SHARED_DATA / "events" / "mordor" / "empire_shell_reg_dump_sam.zip"
REG_DUMP_RULE = settings.TOWERS_SHARED_DATA / "sigma" / "rules" / "windows" / "process_creation"


@pytest.mark.skipif(not MORDOR.exists() or not REG_DUMP_RULE.exists(), reason="shared data not present")
def test_hunt_over_a_mordor_capture_finds_the_reg_save_of_the_sam_hive(tmp_path):
    """Seen twice: by Sysmon (EventID 1) and by Security auditing (4688, read as process creation)."""
    rule = REG_DUMP_RULE / "proc_creation_win_reg_dumping_sensitive_hives.yml"
    hits, _ = _hunt(str(MORDOR), "--rules", str(rule))
    assert [(h["rule_id"], h["record"], h["host"], h["timestamp"]) for h in hits] == [
        ("fd877b94-9bb5-4191-bb25-d79cbd93c167", 227, "WORKSTATION5.theshire.local", "2020-09-22T08:28:41.547Z"),
        ("fd877b94-9bb5-4191-bb25-d79cbd93c167", 251, "WORKSTATION5.theshire.local", "2020-09-22T08:28:42.564Z"),
    ]
    assert hits[0]["techniques"] == ["T1003.002", "T1003.004", "T1003.005"]


def test_hunt_numbers_evtx_hits_by_event_record_id_and_quarantines_a_broken_evtx(tmp_path, rules):
    broken = tmp_path / "broken.evtx"
    broken.write_bytes(b"not an evtx file")
    _, err = _hunt(str(broken), "--rules", str(rules))
    assert "1 quarantined" in err and "broken.evtx" in err

    whoami = {"Image": "c:\\whoami.exe"}
    written = write_evtx(tmp_path / "sysmon.evtx", [EvtxRecord(1, SYSMON, computer="dc1", record_id=4242, data=whoami)])
    hits, _ = _hunt(str(written), "--rules", str(rules))
    assert [(h["title"], h["record"], h["host"]) for h in hits] == [("Whoami Run", 4242, "dc1")]


EVENT_ID_RULE = """
title: Script Block or Pipeline
id: 33333333-3333-3333-3333-333333333333
level: low
logsource: {product: windows, service: powershell}
detection:
  selection: {EventID: [4104, 4103], ScriptBlockText|contains: 'mimikatz'}
  filter: {EventID: 4103, Payload: 'benign'}
  condition: selection and not filter
"""


def test_detection_event_ids_dispatch_without_changing_hits_for_int_text_and_absent_ids(tmp_path):
    report = CompileReport()
    compile_text(EVENT_ID_RULE, report)
    assert report.rules[0].event_ids == frozenset({4103, 4104})  # NOT branches do not narrow it
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "ps.yml").write_text(EVENT_ID_RULE)
    channel = "Microsoft-Windows-PowerShell/Operational"
    lines = [
        {"EventID": 4104, "ScriptBlockText": "Invoke-Mimikatz"},
        {"EventID": "4103", "ScriptBlockText": "mimikatz", "Payload": "x"},  # text EventID: general path
        {"EventID": 4103, "ScriptBlockText": "mimikatz", "Payload": "benign"},  # filtered out
        {"EventID": 4105, "ScriptBlockText": "mimikatz"},  # other EventID: never evaluated, no hit
        {"ScriptBlockText": "mimikatz"},  # no EventID: no hit
        {"EventID": "0x1008", "ScriptBlockText": "mimikatz"},  # hex text 4104: the general number test
    ]
    path = tmp_path / "ps.jsonl"
    path.write_text("\n".join(json.dumps({"Channel": channel, **line}) for line in lines) + "\n")
    hits, _ = _hunt(str(path), "--rules", str(tmp_path / "rules"))
    assert [h["record"] for h in hits] == [1, 2, 6]
