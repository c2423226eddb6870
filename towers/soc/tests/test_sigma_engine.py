"""Event flattening, logsource dispatch and the batched engine."""

import json
import zipfile
from pathlib import Path

from towers.soc.sigma.engine import Engine
from towers.soc.sigma.events import flatten_evtx, prepare, read_events
from towers.soc.sigma.logsource import logsource_filter
from towers.soc.sigma.rules import CompileReport, compile_text

EVTX = {
    "Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "5770385F"}},
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "pc1",
        },
        "EventData": {"Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c whoami", "Name": "data"},
    }
}


def rule_text(title: str, logsource: str, detection: str) -> str:
    return f"title: {title}\nlogsource:\n{logsource}\ndetection:\n{detection}\n"


def test_flatten_evtx_keeps_sigma_field_names() -> None:
    flat = flatten_evtx(EVTX)
    assert flat["EventID"] == 1
    assert flat["Channel"] == "Microsoft-Windows-Sysmon/Operational"
    assert flat["Provider_Name"] == "Microsoft-Windows-Sysmon"
    assert flat["Image"].endswith("cmd.exe")
    assert flat["Name"] == "data"  # a System attribute must not shadow EventData


def test_flatten_joins_spaced_names_and_passes_flat_events() -> None:
    flat = flatten_evtx({"Event": {"System": {"EventID": 1119}, "EventData": {"Threat Name": "EICAR"}}})
    assert flat["ThreatName"] == "EICAR"
    assert flatten_evtx({"EventID": 4688, "Channel": "Security"}) == {"EventID": 4688, "Channel": "Security"}


def test_read_events_handles_concatenated_json_and_zipped_lines(tmp_path: Path) -> None:
    pretty = tmp_path / "a.json"
    pretty.write_text(json.dumps(EVTX, indent=2) + "\n" + json.dumps(EVTX, indent=2))
    assert len(list(read_events(pretty))) == 2
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("b.json", '{"EventID": 1, "Channel": "Security"}\n{"EventID": 2}\n')
    assert [e["EventID"] for e in read_events(archive)] == [1, 2]


def test_logsource_table() -> None:
    proc = logsource_filter("windows", "process_creation", None)
    assert proc.accepts("microsoft-windows-sysmon/operational", 1)
    assert proc.accepts("security", 4688)
    assert not proc.accepts("microsoft-windows-sysmon/operational", 3)
    assert not proc.accepts("security", 4624)
    security = logsource_filter("windows", None, "security")
    assert security.accepts("security", 4624)
    assert not security.accepts("system", 7045)
    # Unknown Windows logsources put no restriction: dispatch must not drop events.
    assert logsource_filter("windows", None, "some-new-service").accepts("anything", 1)
    # Rules for other products never see Windows events.
    linux = logsource_filter("linux", "process_creation", None)
    assert not linux.accepts("security", 4688)
    assert linux.accepts(None, None)


def test_engine_dispatches_by_channel_and_event_id() -> None:
    report = CompileReport()
    compile_text(
        rule_text(
            "proc",
            "    product: windows\n    category: process_creation",
            "    s:\n        Image|endswith: cmd.exe\n    condition: s",
        ),
        report,
    )
    compile_text(
        rule_text(
            "net",
            "    product: windows\n    category: network_connection",
            "    s:\n        Image|endswith: cmd.exe\n    condition: s",
        ),
        report,
    )
    compile_text(
        rule_text(
            "lin",
            "    product: linux\n    category: process_creation",
            "    s:\n        Image|endswith: cmd.exe\n    condition: s",
        ),
        report,
    )
    assert not report.failures, report.summary()
    engine = Engine(report.rules)
    matched = engine.evaluate(prepare(flatten_evtx(EVTX)))
    assert [r.title for r in matched] == ["proc"]
    # The same rule's own check agrees with the engine's index.
    assert report.rules[0].matches(prepare(flatten_evtx(EVTX)))
    assert not report.rules[1].matches(prepare(flatten_evtx(EVTX)))
    assert [r.title for _e, r in engine.run([{"Image": "x\\cmd.exe"}])] == ["lin"]
