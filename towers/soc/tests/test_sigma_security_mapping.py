"""process_creation rules on Security 4688 events, under the Sysmon EventID 1 names the rules are written with."""

from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.events import prepare
from towers.soc.sigma.rules import CompileReport, compile_text

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def rule(title: str, logsource: str, detection: str) -> CompiledRule:
    report = CompileReport()
    compile_text(f"title: {title}\nlogsource: {logsource}\ndetection:\n{detection}", report)
    (compiled,) = report.rules
    return compiled


ENCODED_POWERSHELL = rule(
    "Encoded PowerShell From Office",
    "{product: windows, category: process_creation}",
    "  selection:\n"
    "    Image|endswith: '\\powershell.exe'\n"
    "    ParentImage|endswith: '\\winword.exe'\n"
    "    CommandLine|contains: ' -enc '\n"
    "  condition: selection",
)
POWERSHELL_LOADS_DLL = rule(
    "PowerShell Image Load",
    "{product: windows, category: image_load}",
    "  selection: {Image|endswith: '\\powershell.exe'}\n  condition: selection",
)
ELEVATED_AS_SYSTEM = rule(
    "Elevated System Process",
    "{product: windows, category: process_creation}",
    "  selection:\n"
    "    User|contains: ['AUTHORI', 'AUTORI']\n"
    "    IntegrityLevel: ['System', 'S-1-16-16384']\n"
    "  condition: selection",
)
ENGINE = Engine([ENCODED_POWERSHELL, POWERSHELL_LOADS_DLL, ELEVATED_AS_SYSTEM])


def audit_4688(**overrides: object) -> dict[str, object]:
    """A Security 4688 as collectors flatten it (values as Windows writes them: hex process IDs)."""
    event: dict[str, object] = {
        "Channel": "Security",
        "EventID": 4688,
        "SubjectUserSid": "S-1-5-21-1-2-3-1104",
        "SubjectUserName": "pgustavo",
        "SubjectDomainName": "THESHIRE",
        "SubjectLogonId": "0x551686",
        "NewProcessId": "0x1a2c",
        "NewProcessName": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "TokenElevationType": "%%1938",
        "ProcessId": "0x3b8",
        "CommandLine": "powershell.exe -nop -enc SQBFAFgA",
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": "-",
        "TargetDomainName": "-",
        "TargetLogonId": "0x0",
        "ParentProcessName": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "MandatoryLabel": "S-1-16-8192",
    }
    event.update(overrides)
    return event


def titles(flat: dict[str, object]) -> list[str]:
    return [r.title for r in ENGINE.evaluate(prepare(flat))]


def test_process_creation_rule_matches_a_security_4688_event():
    assert titles(audit_4688()) == ["Encoded PowerShell From Office"]
    assert titles(audit_4688(EventID="4688", Channel="security")) == ["Encoded PowerShell From Office"]


def test_process_creation_rule_still_matches_sysmon_event_id_1():
    sysmon = {
        "Channel": SYSMON,
        "EventID": 1,
        "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "ParentImage": "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "CommandLine": "powershell.exe -nop -enc SQBFAFgA",
    }
    assert titles(sysmon) == ["Encoded PowerShell From Office"]


def test_4688_is_not_matched_by_a_rule_for_another_category():
    assert "PowerShell Image Load" not in titles(audit_4688())
    # The same field values under Sysmon's image_load EventID do match: dispatch, not the values, keeps them apart.
    image_load = {"Channel": SYSMON, "EventID": 7, "Image": "C:\\x\\powershell.exe"}
    assert titles(image_load) == ["PowerShell Image Load"]


def test_4688_names_map_only_on_the_security_channel_and_never_over_an_existing_field():
    assert titles(audit_4688(Channel="Microsoft-Windows-Other/Operational")) == []
    kept = prepare(audit_4688(Image="C:\\collector\\says.exe"))
    assert kept.raw["image"] == "C:\\collector\\says.exe"


def test_4688_gets_sysmon_user_process_ids_and_logon_and_keeps_its_own_fields():
    flat = audit_4688()
    event = prepare(flat)
    assert event.text["user"] == "THESHIRE\\pgustavo"
    assert (event.raw["processid"], event.raw["parentprocessid"]) == (0x1A2C, 0x3B8)
    assert event.raw["logonid"] == "0x551686" and event.raw["integritylevel"] == "S-1-16-8192"
    assert event.raw["newprocessname"] == flat["NewProcessName"] and event.raw["newprocessid"] == "0x1a2c"
    assert flat["ProcessId"] == "0x3b8" and "Image" not in flat  # the event itself is not rewritten


def test_4688_user_is_the_new_process_account_when_windows_names_it():
    runas = prepare(audit_4688(TargetUserName="wardog", TargetDomainName="THESHIRE", TargetLogonId="0x7ed5aa"))
    assert runas.text["user"] == "THESHIRE\\wardog" and runas.raw["logonid"] == "0x7ed5aa"
    service = prepare(audit_4688(TargetUserName="WS5$", TargetDomainName="THESHIRE", TargetLogonId="0x3e4"))
    assert service.text["user"] == "NT AUTHORITY\\NETWORK SERVICE"


def test_system_account_under_its_machine_name_matches_a_rule_on_nt_authority():
    system = audit_4688(
        SubjectUserSid="S-1-5-18",
        SubjectUserName="WS5$",
        SubjectLogonId="0x3e7",
        MandatoryLabel="S-1-16-16384",
        CommandLine="C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding",
    )
    assert prepare(system).text["user"] == "NT AUTHORITY\\SYSTEM"
    assert titles(system) == ["Elevated System Process"]
    assert titles({**system, "MandatoryLabel": "S-1-16-8192"}) == []


def test_decimal_process_ids_from_a_collector_are_kept_as_numbers():
    event = prepare(audit_4688(NewProcessId=6700, ProcessId="952"))
    assert (event.raw["processid"], event.raw["parentprocessid"]) == (6700, 952)
    unparsable = prepare(audit_4688(NewProcessId="n/a"))
    assert unparsable.raw["parentprocessid"] == 0x3B8 and unparsable.raw["processid"] == "0x3b8"  # nothing invented
    listed = prepare(audit_4688(EventID=[4688]))  # not an EventID the dispatch knows: left alone, no error
    assert "image" not in listed.raw
