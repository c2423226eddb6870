"""CEF and LEEF records, bare and inside syslog, on hand-written lines."""

from datetime import UTC, datetime

import pytest

from towers.soc.intake.cef import parse_cef, parse_extension
from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.leef import delimiter, parse_leef
from towers.soc.intake.listener import parse_frame

RECEIVED = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def test_cef_header_and_extension_values_with_spaces():
    line = (
        "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|"
        "src=10.0.0.1 dst=2.1.2.2 spt=1232 msg=Detected a threat. No action needed cs1Label=policy"
    )
    result = parse_cef(line, received_at=RECEIVED)
    assert isinstance(result, Event) and result.source == "cef"
    assert result.fields == {
        "CEFVersion": "0",
        "deviceVendor": "Security",
        "deviceProduct": "threatmanager",
        "deviceVersion": "1.0",
        "deviceEventClassId": "100",
        "name": "worm successfully stopped",
        "severity": "10",
        "src": "10.0.0.1",
        "dst": "2.1.2.2",
        "spt": "1232",
        "msg": "Detected a threat. No action needed",
        "cs1Label": "policy",
    }


def test_cef_header_escapes_pipe_and_backslash():
    result = parse_cef(r"CEF:0|Ven\|dor|Prod\\|1|sig|a \| b|5|", received_at=RECEIVED)
    assert isinstance(result, Event)
    assert result.fields["deviceVendor"] == "Ven|dor"
    assert result.fields["deviceProduct"] == "Prod\\"
    assert result.fields["name"] == "a | b"


def test_cef_extension_escapes_equals_backslash_and_newline():
    ext = parse_extension(r"filePath=C:\\Windows\\x.exe msg=a\=b line1\nline2 act=blocked")
    assert ext == {"filePath": "C:\\Windows\\x.exe", "msg": "a=b line1\nline2", "act": "blocked"}


def test_cef_in_rfc3164_syslog_keeps_syslog_header_fields():
    line = b"<134>Mar  1 08:26:10 fw01 CEF:0|Palo Alto|PAN-OS|10.1|THREAT|virus|8|src=1.2.3.4 suser=bob smith"
    result = parse_frame(line, received_at=RECEIVED)
    assert isinstance(result, Event) and result.source == "cef"
    assert result.fields["syslog.hostname"] == "fw01"
    assert result.fields["syslog.severity"] == 6
    assert result.fields["suser"] == "bob smith"


def test_cef_in_rfc5424_syslog():
    line = "<134>1 2026-03-01T08:26:10Z fw01 cefapp - - - CEF:1|V|P|1|sig|n|Low|act=allow"
    result = parse_cef(line, received_at=RECEIVED)
    assert isinstance(result, Event)
    assert result.fields["syslog.app_name"] == "cefapp" and result.fields["act"] == "allow"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("CEF:0|only|three|fields", "fewer than 7"),
        ("CEF:x|V|P|1|s|n|5|", "bad CEF version"),
        ("no marker at all", "no 'CEF:'"),
        ("<999>junk CEF:0|V|P|1|s|n|5|", "syslog header"),
    ],
)
def test_bad_cef_is_quarantined(line, reason):
    result = parse_cef(line, received_at=RECEIVED)
    assert isinstance(result, Quarantined) and reason in result.reason and result.raw == line


def test_leef_1_tab_delimited():
    line = "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tmsg=a message = with equals"
    result = parse_leef(line, received_at=RECEIVED)
    assert isinstance(result, Event) and result.source == "leef"
    assert result.fields == {
        "LEEFVersion": "1.0",
        "Vendor": "Microsoft",
        "Product": "MSExchange",
        "Version": "4.0 SP1",
        "EventID": "15345",
        "src": "192.0.2.0",
        "dst": "172.50.123.1",
        "msg": "a message = with equals",
    }


@pytest.mark.parametrize("spec", ["^", "x5E", "0x5e", "X5E"])
def test_leef_2_declared_delimiter_in_character_and_hex_form(spec):
    result = parse_leef(f"LEEF:2.0|Lancope|StealthWatch|1.0|41|{spec}|src=10.0.1.8^dst=10.0.0.5^sev=5")
    assert isinstance(result, Event)
    assert (result.fields["src"], result.fields["dst"], result.fields["sev"]) == ("10.0.1.8", "10.0.0.5", "5")


def test_leef_2_hex_tab_and_omitted_delimiter():
    assert delimiter("x09") == "\t"
    for line in ("LEEF:2.0|V|P|1|E|x09|a=1\tb=2", "LEEF:2.0|V|P|1|E|a=1\tb=2"):
        result = parse_leef(line)
        assert isinstance(result, Event) and (result.fields["a"], result.fields["b"]) == ("1", "2")


def test_leef_in_syslog_through_the_frame_dispatcher():
    result = parse_frame(b"<13>Jan 18 11:07:53 host LEEF:2.0|V|P|1|E|;|usrName=alice;devTime=x", received_at=RECEIVED)
    assert isinstance(result, Event) and result.source == "leef"
    assert result.fields["usrName"] == "alice" and result.fields["syslog.hostname"] == "host"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("LEEF:1.0|V|P|1", "fewer than 5"),
        ("LEEF:3.0|V|P|1|E|a=1", "unknown LEEF version"),
        ("LEEF:2.0|V|P|1|E|xZZ|a=1", "bad LEEF delimiter"),
        ("LEEF:1.0|V|P|1|E|a=1\tnoequals", "without '='"),
    ],
)
def test_bad_leef_is_quarantined(line, reason):
    result = parse_leef(line)
    assert isinstance(result, Quarantined) and reason in result.reason


def test_syslog_text_that_mentions_cef_is_a_syslog_event_but_bad_cef_body_is_quarantined():
    mention = parse_frame(b"<13>Mar  1 00:00:00 h app: grep CEF: found nothing", received_at=RECEIVED)
    assert isinstance(mention, Event) and mention.source == "syslog"
    bad = parse_frame(b"<13>Mar  1 00:00:00 h CEF:0|too|few", received_at=RECEIVED)
    assert isinstance(bad, Quarantined) and bad.source == "cef"
