"""Every Sigma v2 modifier, on hand-written rules and events (no database, no shared data)."""

import base64
import textwrap
from typing import Any

import pytest

from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.events import prepare
from towers.soc.sigma.rules import CompileReport, compile_text


def make_rule(detection: str, logsource: str = "product: windows\n    category: process_creation") -> CompiledRule:
    text = textwrap.dedent(
        """\
        title: test
        id: 11111111-2222-3333-4444-555555555555
        logsource:
            {logsource}
        detection:
        {detection}
        level: high
        """
    ).format(logsource=logsource, detection=textwrap.indent(textwrap.dedent(detection), "    "))
    report = CompileReport()
    compile_text(text, report)
    assert not report.failures, report.summary()
    return report.rules[0]


def hits(rule: CompiledRule, **event: Any) -> bool:
    return rule.predicate(prepare(event))


def test_plain_value_is_case_insensitive_exact_match() -> None:
    rule = make_rule("sel:\n    Image: 'C:\\Windows\\cmd.exe'\ncondition: sel")
    assert hits(rule, Image="c:\\windows\\CMD.EXE")
    assert not hits(rule, Image="c:\\windows\\cmd.exe2")
    assert not hits(rule, Other="c:\\windows\\cmd.exe")


def test_field_names_match_case_insensitively() -> None:
    rule = make_rule("sel:\n    commandline: whoami\ncondition: sel")
    assert hits(rule, CommandLine="WHOAMI")


@pytest.mark.parametrize(
    ("modifier", "yes", "no"),
    [
        ("contains", "xx-ABC-yy", "xx-AB-C"),
        ("startswith", "abcdef", "xabc"),
        ("endswith", "xxABC", "abcx"),
    ],
)
def test_contains_startswith_endswith(modifier: str, yes: str, no: str) -> None:
    rule = make_rule(f"sel:\n    F|{modifier}: abc\ncondition: sel")
    assert hits(rule, F=yes)
    assert not hits(rule, F=no)


def test_wildcards_and_escapes() -> None:
    rule = make_rule("sel:\n    F: 'a?c*z'\ncondition: sel")
    assert hits(rule, F="ABCxyz")
    assert hits(rule, F="axcz")
    assert not hits(rule, F="acz")
    escaped = make_rule("sel:\n    F: 'what\\?\\*'\ncondition: sel")
    assert hits(escaped, F="WHAT?*")
    assert not hits(escaped, F="whatx*")


def test_list_is_or_and_all_is_and() -> None:
    any_rule = make_rule("sel:\n    F|contains:\n        - one\n        - two\ncondition: sel")
    all_rule = make_rule("sel:\n    F|contains|all:\n        - one\n        - two\ncondition: sel")
    assert hits(any_rule, F="only two")
    assert not hits(all_rule, F="only two")
    assert hits(all_rule, F="two and one")


def test_exists() -> None:
    present = make_rule("sel:\n    F|exists: true\ncondition: sel")
    absent = make_rule("sel:\n    F|exists: false\ncondition: sel")
    assert hits(present, F="")
    assert not hits(present, G="x")
    assert hits(absent, G="x")


def test_null_means_absent_or_empty() -> None:
    rule = make_rule("sel:\n    F: null\ncondition: sel")
    assert hits(rule, G="x")
    assert hits(rule, F="")
    assert not hits(rule, F="x")


def test_cased() -> None:
    rule = make_rule("sel:\n    F|cased|contains: AbC\ncondition: sel")
    assert hits(rule, F="xAbCx")
    assert not hits(rule, F="xabcx")


def test_re_with_flags() -> None:
    plain = make_rule("sel:\n    F|re: '^ab.c$'\ncondition: sel")
    assert hits(plain, F="abxc")
    assert not hits(plain, F="ABXC")  # re is case-sensitive by default
    insensitive = make_rule("sel:\n    F|re|i: '^ab.c$'\ncondition: sel")
    assert hits(insensitive, F="ABXC")
    multiline = make_rule("sel:\n    F|re|m: '^second$'\ncondition: sel")
    assert hits(multiline, F="first\nsecond")
    assert not hits(plain, F="ab\nc")
    dotall = make_rule("sel:\n    F|re|s: 'ab.c'\ncondition: sel")
    assert hits(dotall, F="ab\nc")


def test_base64_and_base64offset() -> None:
    rule = make_rule("sel:\n    F|base64: 'secret'\ncondition: sel")
    assert hits(rule, F=base64.b64encode(b"secret").decode())
    offset = make_rule("sel:\n    F|base64offset|contains: 'http://'\ncondition: sel")
    for prefix in (b"", b"a", b"ab"):
        encoded = base64.b64encode(prefix + b"http://evil").decode()
        assert hits(offset, F=encoded), prefix
    assert not hits(offset, F=base64.b64encode(b"ftp://evil").decode())


@pytest.mark.parametrize(
    ("modifier", "encoding"),
    [("wide", "utf-16-le"), ("utf16le", "utf-16-le"), ("utf16be", "utf-16-be"), ("utf16", "utf-16")],
)
def test_utf16_encodings_with_base64(modifier: str, encoding: str) -> None:
    rule = make_rule(f"sel:\n    F|{modifier}|base64offset|contains: 'ping'\ncondition: sel")
    encoded = base64.b64encode("ping".encode(encoding)).decode()
    assert hits(rule, F=encoded)
    assert not hits(rule, F=base64.b64encode(b"ping").decode())


def test_windash() -> None:
    rule = make_rule("sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel")
    for dash in ("-", "/", "\u2013", "\u2014", "\u2015"):
        assert hits(rule, CommandLine=f"powershell {dash}enc AAAA"), dash
    assert not hits(rule, CommandLine="powershell +enc AAAA")


def test_cidr() -> None:
    rule = make_rule("sel:\n    DestinationIp|cidr:\n        - 10.0.0.0/8\n        - 'fe80::/10'\ncondition: sel")
    assert hits(rule, DestinationIp="10.20.30.40")
    assert hits(rule, DestinationIp="fe80::1")
    assert not hits(rule, DestinationIp="11.0.0.1")
    assert not hits(rule, DestinationIp="not an ip")


@pytest.mark.parametrize(
    ("modifier", "yes", "no"),
    [("lt", 4, 5), ("lte", 5, 6), ("gt", 6, 5), ("gte", 5, 4)],
)
def test_numeric_comparisons(modifier: str, yes: int, no: int) -> None:
    rule = make_rule(f"sel:\n    Count|{modifier}: 5\ncondition: sel")
    assert hits(rule, Count=yes)
    assert hits(rule, Count=str(yes))  # evtx values often arrive as text
    assert not hits(rule, Count=no)
    assert not hits(rule, Count="n/a")


def test_numbers_match_text_and_int() -> None:
    rule = make_rule("sel:\n    EventID: 4688\ncondition: sel")
    assert hits(rule, EventID=4688)
    assert hits(rule, EventID="4688")
    assert not hits(rule, EventID=4689)


def test_fieldref() -> None:
    rule = make_rule("sel:\n    ParentImage|fieldref: Image\ncondition: sel")
    assert hits(rule, Image="C:\\a.exe", ParentImage="c:\\A.EXE")
    assert not hits(rule, Image="C:\\a.exe", ParentImage="C:\\b.exe")
    assert not hits(rule, ParentImage="C:\\b.exe")
    starts = make_rule("sel:\n    CommandLine|fieldref|startswith: Image\ncondition: sel")
    assert hits(starts, Image="C:\\a.exe", CommandLine="C:\\a.exe /q")


def test_expand_matches_configured_placeholder_values_only() -> None:
    text = textwrap.dedent(
        """\
        title: t
        logsource:
            product: windows
        detection:
            sel:
                Group|expand: '%admins%'
            condition: sel
        """
    )
    unconfigured, configured = CompileReport(), CompileReport()
    compile_text(text, unconfigured)
    compile_text(text, configured, placeholders={"admins": ["Domain Admins", "Enterprise Admins"]})
    assert not hits(unconfigured.rules[0], Group="Domain Admins")
    assert hits(configured.rules[0], Group="domain admins")
    assert not hits(configured.rules[0], Group="Users")


def test_keywords_search_every_field() -> None:
    rule = make_rule("keywords:\n    - 'mimikatz'\n    - '*sekurlsa*'\ncondition: keywords")
    assert hits(rule, A="x", B="MIMIKATZ")
    assert hits(rule, A="run sekurlsa::logonpasswords")
    assert not hits(rule, A="notepad")


def test_conditions_one_of_all_of_not() -> None:
    rule = make_rule(
        "sel_a:\n    A: 1\nsel_b:\n    B: 2\nfilter:\n    C: 3\ncondition: 1 of sel_* and not filter",
    )
    assert hits(rule, A=1)
    assert hits(rule, B=2)
    assert not hits(rule, A=1, C=3)
    both = make_rule("sel_a:\n    A: 1\nsel_b:\n    B: 2\ncondition: all of sel_*")
    assert hits(both, A=1, B=2)
    assert not hits(both, A=1)


def test_list_of_maps_is_or() -> None:
    rule = make_rule("sel:\n    - A: 1\n      B: 2\n    - C: 3\ncondition: sel")
    assert hits(rule, A=1, B=2)
    assert hits(rule, C=3)
    assert not hits(rule, A=1)


def test_list_valued_event_fields_match_any_item() -> None:
    rule = make_rule("sel:\n    Tags|contains: evil\ncondition: sel")
    assert hits(rule, Tags=["good", "EVIL-thing"])
    assert not hits(rule, Tags=["good"])


def test_broken_rule_is_reported_not_raised() -> None:
    report = CompileReport()
    compile_text("title: t\nlogsource:\n    product: windows\ndetection:\n    condition: missing\n", report, "x.yml")
    assert not report.rules
    assert report.failures and report.failures[0][0] == "x.yml"
