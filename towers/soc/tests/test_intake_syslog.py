"""RFC 5424 / RFC 3164 parsing and RFC 6587 deframing, on hand-written lines."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.syslog import Deframer, bsd_timestamp, decode_priority, parse_syslog

RECEIVED = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def parsed(line: str | bytes) -> dict:
    result = parse_syslog(line, received_at=RECEIVED)
    assert isinstance(result, Event), result
    return result.fields


def test_rfc5424_example_with_bom_and_nil_procid():
    fields = parsed("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed")
    assert fields == {
        "facility": 4,
        "severity": 2,
        "timestamp": datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC),
        "hostname": "mymachine.example.com",
        "app_name": "su",
        "procid": None,
        "msgid": "ID47",
        "message": "'su root' failed",
    }


def test_rfc5424_structured_data_unescapes_quote_backslash_and_bracket():
    line = (
        r'<165>1 2003-08-24T05:14:15.000003-07:00 host evntslog 8710 ID47 [exampleSDID@32473 iut="3" '
        r'eventSource="Appl\"i\]ca\\tion" other="a\b"][examplePriority@32473 class="high"][empty@1] body text'
    )
    fields = parsed(line)
    assert fields["sd.exampleSDID@32473.iut"] == "3"
    assert fields["sd.exampleSDID@32473.eventSource"] == 'Appl"i]ca\\tion'
    assert fields["sd.exampleSDID@32473.other"] == "a\\b"  # a backslash before another character is literal
    assert fields["sd.examplePriority@32473.class"] == "high"
    assert fields["sd.empty@1"] is True
    assert fields["procid"] == "8710"
    assert fields["message"] == "body text"
    assert fields["timestamp"].utcoffset().total_seconds() == -7 * 3600


def test_rfc5424_all_nil_and_no_message():
    fields = parsed("<0>1 - - - - - -")
    assert fields["timestamp"] is None and fields["hostname"] is None and fields["message"] == ""
    assert (fields["facility"], fields["severity"]) == (0, 0)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("no priority here", "no <PRI>"),
        ("<192>1 - - - - - -", "above 191"),
        ("<01>1 - - - - - -", "malformed <PRI>"),
        ("<13>1 2003-13-45T00:00:00Z h a p m - x", "bad RFC 5424 timestamp"),
        ("<13>1 2003-10-11T22:14:15 h a p m - x", "without a time zone"),
        ('<13>1 - h a p m [id x="unterminated] msg', "unterminated"),
        ("<13>1 - h a p m [id msg", "malformed SD-PARAM"),
        ("<13>1 - h a p m junk msg", "neither '-' nor '['"),
        ("<13>1 - h a", "truncated"),
        ("<13>1 - h  p m - x", "empty RFC 5424 header field"),
    ],
)
def test_malformed_lines_are_quarantined_with_reason(line, reason):
    result = parse_syslog(line, received_at=RECEIVED)
    assert isinstance(result, Quarantined)
    assert reason in result.reason
    assert result.raw == line and result.source == "syslog"


def test_priority_decoding():
    assert decode_priority(165) == (20, 5)
    assert decode_priority(191) == (23, 7)


def test_rfc3164_with_tag_pid_and_space_padded_day():
    fields = parsed("<38>Mar  2 07:08:09 gateway sshd[4242]: Accepted password for root")
    assert fields["timestamp"] == datetime(2026, 3, 2, 7, 8, 9, tzinfo=UTC)
    assert (fields["hostname"], fields["app_name"], fields["procid"]) == ("gateway", "sshd", "4242")
    assert fields["message"] == "Accepted password for root"
    assert (fields["facility"], fields["severity"]) == (4, 6)


def test_bsd_timestamp_in_the_future_rolls_back_a_year():
    # Received 15 March 2026: a December stamp can only be from December 2025.
    assert bsd_timestamp("Dec 31 23:59:59", RECEIVED) == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert bsd_timestamp("Mar 15 12:30:00", RECEIVED).year == 2026  # within the clock-skew allowance


def test_bsd_timestamp_29_february_falls_back_to_the_leap_year():
    assert bsd_timestamp("Feb 29 10:00:00", datetime(2025, 1, 5, tzinfo=UTC)).year == 2024
    assert bsd_timestamp("Feb 30 10:00:00", RECEIVED) is None


def test_rfc3164_without_header_is_content_stamped_on_receipt():
    # Python's SysLogHandler sends "<PRI>tag: message" and a NUL, no timestamp or hostname.
    fields = parsed(b"<14>myapp: hello world\x00")
    assert fields["timestamp"] == RECEIVED and fields["hostname"] is None
    assert (fields["app_name"], fields["message"]) == ("myapp", "hello world")


def test_rfc3164_with_rfc3339_timestamp_and_no_tag():
    fields = parsed("<13>2026-03-01T10:00:00+01:00 host just a message")
    assert fields["timestamp"] == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert fields["app_name"] is None and fields["message"] == "just a message"


def test_invalid_utf8_is_replaced_and_raw_bytes_kept():
    raw = b"<13>Mar  1 00:00:00 h app: caf\xe9"
    result = parse_syslog(raw, received_at=RECEIVED)
    assert isinstance(result, Event)
    assert result.fields["message"] == "caf\ufffd" and result.raw == raw


def test_deframer_octet_counting_split_across_reads():
    deframer = Deframer()
    frame = b"<13>1 - h a - - - hello"
    stream = f"{len(frame)} ".encode() + frame + b"5 <13>x"
    out = [deframer.feed(stream[i : i + 1]) for i in range(len(stream))]  # one byte per read
    assert [f for chunk in out for f in chunk] == [frame, b"<13>x"]


def test_deframer_lf_crlf_and_nul_framing_skips_empty_lines():
    deframer = Deframer()
    assert deframer.feed(b"<13>one\r\n\n<13>two\x00<13>th") == [b"<13>one", b"<13>two"]
    assert deframer.feed(b"ree\n") == [b"<13>three"]
    assert deframer.feed(b"<13>tail") == []
    assert deframer.close() == [b"<13>tail"]


def test_deframer_mixes_framings_on_one_stream():
    assert Deframer().feed(b"4 <1>a<13>lf\n3 <2>") == [b"<1>a", b"<13>lf", b"<2>"]


def test_deframer_quarantines_oversize_octet_counted_frame_and_resyncs():
    deframer = Deframer(max_frame=10)
    out = deframer.feed(b"20 " + b"x" * 12)
    assert len(out) == 1 and isinstance(out[0], Quarantined) and "over 10" in out[0].reason
    assert out[0].offset == 0
    assert deframer.feed(b"x" * 8 + b"3 <1>") == [b"<1>"]


def test_deframer_quarantines_oversize_unterminated_frame_then_resyncs():
    deframer = Deframer(max_frame=10)
    out = deframer.feed(b"<13>" + b"y" * 20)
    assert len(out) == 1 and isinstance(out[0], Quarantined) and "unterminated" in out[0].reason
    assert deframer.feed(b"yyy\n<13>ok\n") == [b"<13>ok"]


def test_deframer_close_quarantines_half_octet_counted_frame():
    deframer = Deframer()
    bad, good = deframer.feed(b"1\n<1>a\n")  # a digit without a space is no count: quarantined, then resync
    assert isinstance(bad, Quarantined) and bad.raw == b"1" and good == b"<1>a"
    assert deframer.feed(b"50 <13>partial") == []
    (left,) = deframer.close()
    assert isinstance(left, Quarantined) and "ended inside" in left.reason


def test_deframer_bad_octet_count_is_quarantined_with_offset():
    deframer = Deframer()
    out = deframer.feed(b"<1>a\n12345678901234 x\n<1>b\n")
    assert out[0] == b"<1>a"
    assert isinstance(out[1], Quarantined) and out[1].reason == "bad octet count" and out[1].offset == 5
    assert out[1].raw == b"12345678901234 x"
    assert out[2] == b"<1>b"


sd_names = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='= ]"'), min_size=1)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(sd_names, st.text(), max_size=5), st.text())
def test_rfc5424_structured_data_round_trips_any_values(params, message):
    def escape(value):
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")

    sd = "[x@1" + "".join(f' {k}="{escape(v)}"' for k, v in params.items()) + "]"
    fields = parsed(f"<14>1 - host app - - {sd} {message}")
    assert {k.removeprefix("sd.x@1."): v for k, v in fields.items() if k.startswith("sd.x@1.")} == params
    assert fields["message"] == message.removeprefix("\ufeff").rstrip("\r\n\x00")
