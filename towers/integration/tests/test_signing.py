import random

from hypothesis import given
from hypothesis import strategies as st

from towers.integration.signing import backoff_seconds, matches, sign, verify_signature

SECRET = "whsec_test"
BODY = b'{"event":"servicedesk.ticket.updated"}'


def test_a_fresh_signature_verifies():
    assert verify_signature(SECRET, sign(SECRET, BODY, 1_000_000), BODY, now=1_000_100)


def test_a_signature_outside_the_replay_window_is_refused_either_side():
    header = sign(SECRET, BODY, 1_000_000)
    assert not verify_signature(SECRET, header, BODY, now=1_000_301)
    assert not verify_signature(SECRET, header, BODY, now=999_699)
    assert verify_signature(SECRET, header, BODY, now=1_000_300)


def test_a_changed_body_wrong_secret_or_moved_timestamp_is_refused():
    header = sign(SECRET, BODY, 1_000_000)
    assert not verify_signature(SECRET, header, BODY + b" ", now=1_000_000)
    assert not verify_signature("whsec_other", header, BODY, now=1_000_000)
    moved = header.replace("t=1000000", "t=1000001")
    assert not verify_signature(SECRET, moved, BODY, now=1_000_000)


def test_a_rotated_header_with_several_signatures_verifies_if_any_matches():
    good = sign(SECRET, BODY, 1_000_000)
    assert verify_signature(SECRET, f"{good},v1={'0' * 64}", BODY, now=1_000_000)


@given(st.text(max_size=200))
def test_garbage_headers_never_verify_nor_raise(header):
    assert not verify_signature(SECRET, header, BODY, now=1_000_000)


def test_patterns_match_event_names_with_wildcards():
    assert matches(["servicedesk.ticket.*"], "servicedesk.ticket.updated")
    assert not matches(["servicedesk.ticket.*"], "servicedesk.problem.created")
    assert matches(["soc.*", "servicedesk.ticket.created"], "servicedesk.ticket.created")


@given(st.integers(min_value=1, max_value=60))
def test_back_off_grows_with_attempts_and_stays_under_its_cap(attempts):
    delay = backoff_seconds(attempts, base=2, cap=600, rng=random.Random(attempts))
    ceiling = min(600, 2 * 2 ** (attempts - 1))
    assert ceiling / 2 <= delay <= ceiling
