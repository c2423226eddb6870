"""No input makes a parser raise: everything is an Event or a Quarantined result, and never the internal-error net."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from towers.soc.intake.cef import parse_cef
from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.http import parse_batch
from towers.soc.intake.jsonl import iter_lines
from towers.soc.intake.leef import parse_leef
from towers.soc.intake.listener import parse_frame
from towers.soc.intake.syslog import Deframer, parse_syslog

RECEIVED = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)  # right after new year: exercises the year roll-back

# Raw bytes alone rarely reach deep parser states, so fragments of each grammar are mixed in.
FRAGMENTS = [
    "<13>", "<191>", "<0>1 ", "1 ", "- ", "[", "]", '="', '"', "\\", "\\]", '\\"', " ", "=", "|", "\\|", "\\=",
    "CEF:0|", "LEEF:1.0|", "LEEF:2.0|", "x09|", "^", "\t", "Dec 31 23:59:59 ", "Feb 29 00:00:00 ", "host ",
    "app[12]: ", "2026-01-01T00:00:00Z ", "\ufeff", "\n", "\x00", "é", "a", "7",
]  # fmt: skip
text_inputs = st.one_of(st.text(), st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
inputs = st.one_of(st.binary(), text_inputs, text_inputs.map(lambda t: t.encode("utf-8", "surrogatepass")))


def assert_clean(result):
    assert isinstance(result, Event | Quarantined)
    if isinstance(result, Quarantined):
        assert not result.reason.startswith("internal error"), result


@settings(max_examples=400, deadline=None)
@given(inputs)
def test_line_parsers_never_raise(data):
    for parse in (parse_syslog, parse_cef, parse_leef):
        assert_clean(parse(data, received_at=RECEIVED))
    frame = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data  # frames come off sockets
    assert_clean(parse_frame(frame, received_at=RECEIVED))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([b"5 <1>a", b"\n", b"12", b" ", b"\x00"]))))
def test_deframer_never_raises_and_accounts_for_every_byte(chunks):
    deframer = Deframer(max_frame=16)
    out = [item for chunk in chunks for item in deframer.feed(chunk)] + deframer.close()
    assert all(isinstance(item, bytes | Quarantined) for item in out)
    frames = b"".join(item for item in out if isinstance(item, bytes))
    assert len(frames) <= sum(map(len, chunks))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(), st.text(), st.recursive(st.none() | st.integers() | st.text(), st.lists).map(str)))
def test_batch_and_jsonl_never_raise(data):
    for result in parse_batch(data):
        assert_clean(result)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    for result in iter_lines(raw.split(b"\n")):
        assert_clean(result)
