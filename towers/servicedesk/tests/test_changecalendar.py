"""The pure change calendar: conflicts (against a brute-force reference), risk scoring and approval tallies."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from towers.servicedesk.changecalendar import (
    ConflictKind,
    Freeze,
    PlannedChange,
    RiskAnswers,
    RiskLevel,
    Tally,
    find_conflicts,
    freezes_at,
    overlaps,
    risk_level,
    risk_score,
    tally,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def change(id: str, start: float, end: float, services=(), cis=()) -> PlannedChange:
    return PlannedChange(id, at(start), at(end), frozenset(services), frozenset(cis))


def kinds(conflicts, change_id):
    return sorted((c.kind.value, c.other_id) for c in conflicts[change_id])


# --- Hand-worked conflicts -------------------------------------------------------------------------------------


def test_two_changes_to_one_ci_at_once_conflict_on_both_sides_over_their_overlap():
    found = find_conflicts([change("a", 0, 4, cis={"db1"}), change("b", 3, 6, cis={"db1", "web1"})])
    assert kinds(found, "a") == [("same_ci", "b")] and kinds(found, "b") == [("same_ci", "a")]
    (conflict,) = found["a"]
    assert (conflict.start, conflict.end, conflict.shared) == (at(3), at(4), frozenset({"db1"}))


def test_back_to_back_windows_do_not_conflict():
    found = find_conflicts([change("a", 0, 2, cis={"db1"}), change("b", 2, 4, cis={"db1"})])
    assert found == {"a": [], "b": []}


def test_same_service_and_same_ci_are_both_reported_and_unrelated_overlap_is_only_an_overlap():
    found = find_conflicts(
        [
            change("a", 0, 4, services={"crime"}, cis={"db1"}),
            change("b", 1, 2, services={"crime"}, cis={"db1"}),
            change("c", 1, 2, services={"email"}, cis={"mx1"}),
        ]
    )
    assert kinds(found, "a") == [("overlap", "c"), ("same_ci", "b"), ("same_service", "b")]
    assert kinds(found, "c") == [("overlap", "a"), ("overlap", "b")]
    # Blocking kinds come first on each change, so a page can show the worst one.
    assert [c.kind for c in found["a"]][:2] == [ConflictKind.SAME_CI, ConflictKind.SAME_SERVICE]


def test_a_freeze_covers_its_services_only_and_a_freeze_without_services_covers_everything():
    changes = [change("crime", 10, 12, services={"crime"}), change("mail", 10, 12, services={"email"})]
    freezes = [Freeze("budget", at(11), at(30), frozenset({"crime"})), Freeze("xmas", at(20), at(40))]
    found = find_conflicts(changes, freezes)
    assert kinds(found, "crime") == [("freeze", "budget"), ("overlap", "mail")]
    assert kinds(found, "mail") == [("overlap", "crime")]
    late = change("late", 25, 26, services={"email"})
    assert kinds(find_conflicts([late], freezes), "late") == [("freeze", "xmas")]


def test_freezes_in_force_at_a_moment():
    crime = change("crime", 0, 100, services={"crime"})
    freezes = [Freeze("budget", at(10), at(20), frozenset({"crime"})), Freeze("mail", at(0), at(50), frozenset({"e"}))]
    assert freezes_at(at(9), crime, freezes) == []
    assert [f.id for f in freezes_at(at(10), crime, freezes)] == ["budget"]
    assert freezes_at(at(20), crime, freezes) == []


def test_an_empty_or_inverted_window_conflicts_with_no_other_change():
    found = find_conflicts([change("a", 0, 5, cis={"x"}), change("empty", 2, 2, cis={"x"}), change("inv", 4, 1)])
    assert found == {"a": [], "empty": [], "inv": []}


# --- Properties ------------------------------------------------------------------------------------------------

ids = st.sampled_from(["s1", "s2", "s3"])
windows = st.tuples(st.integers(0, 48), st.integers(1, 24)).map(lambda w: (w[0], w[0] + w[1]))
planned_changes = st.lists(
    st.builds(
        lambda w, services, cis: (w, services, cis),
        windows,
        st.frozensets(ids, max_size=2),
        st.frozensets(st.sampled_from(["c1", "c2", "c3", "c4"]), max_size=2),
    ),
    max_size=12,
).map(lambda rows: [change(f"ch{i}", w[0], w[1], s, c) for i, (w, s, c) in enumerate(rows)])
freeze_lists = st.lists(st.builds(lambda w, s: (w, s), windows, st.frozensets(ids, max_size=2)), max_size=3).map(
    lambda rows: [Freeze(f"f{i}", at(w[0]), at(w[1]), s) for i, (w, s) in enumerate(rows)]
)


def brute_force(changes, freezes):
    """Every pair and every freeze, the obvious way: what the sweep must agree with."""
    expected = {c.id: set() for c in changes}
    for a in changes:
        for b in changes:
            if a.id == b.id or not overlaps(a.start, a.end, b.start, b.end):
                continue
            found = set()
            if a.ci_ids & b.ci_ids:
                found.add(("same_ci", b.id))
            if a.service_ids & b.service_ids:
                found.add(("same_service", b.id))
            expected[a.id] |= found or {("overlap", b.id)}
        for f in freezes:
            if (not f.service_ids or f.service_ids & a.service_ids) and overlaps(a.start, a.end, f.start, f.end):
                expected[a.id].add(("freeze", f.id))
    return expected


@given(planned_changes, freeze_lists)
def test_the_sweep_finds_exactly_what_comparing_every_pair_finds(changes, freezes):
    found = find_conflicts(changes, freezes)
    assert {k: {(c.kind.value, c.other_id) for c in v} for k, v in found.items()} == brute_force(changes, freezes)


@given(planned_changes)
def test_conflicts_between_changes_are_symmetric_and_lie_inside_both_windows(changes):
    found = find_conflicts(changes)
    by_id = {c.id: c for c in changes}
    for change_id, conflicts in found.items():
        for conflict in conflicts:
            assert any(c.kind == conflict.kind and c.other_id == change_id for c in found[conflict.other_id])
            mine, other = by_id[change_id], by_id[conflict.other_id]
            assert max(mine.start, other.start) == conflict.start < conflict.end == min(mine.end, other.end)


@given(planned_changes, freeze_lists, st.integers(-1000, 1000))
def test_moving_every_window_by_the_same_time_changes_no_conflict(changes, freezes, hours):
    shift = timedelta(hours=hours)
    moved = [PlannedChange(c.id, c.start + shift, c.end + shift, c.service_ids, c.ci_ids) for c in changes]
    moved_freezes = [Freeze(f.id, f.start + shift, f.end + shift, f.service_ids) for f in freezes]

    def summary(found):
        return {k: sorted((c.kind, c.other_id) for c in v) for k, v in found.items()}

    assert summary(find_conflicts(moved, moved_freezes)) == summary(find_conflicts(changes, freezes))


@given(planned_changes)
def test_the_order_changes_are_given_in_does_not_matter(changes):
    assert find_conflicts(changes) == find_conflicts(list(reversed(changes)))


# --- Risk ------------------------------------------------------------------------------------------------------


def answers(services=1, criticality=3, outage=False, tested=True, before=True) -> RiskAnswers:
    return RiskAnswers(services, criticality, outage, tested, before)


@pytest.mark.parametrize(
    ("given_answers", "score", "level"),
    [
        # A routine patch to one service on a medium CI, rehearsed and done before: 2 + 1.
        (answers(), 3, RiskLevel.LOW),
        # The same, first time and with an untested back-out: 3 + 2 + 2.
        (answers(tested=False, before=False), 7, RiskLevel.MEDIUM),
        # A critical CI on its own makes it medium: 0 services + 5.
        (answers(services=0, criticality=1), 5, RiskLevel.MEDIUM),
        # A critical CI with an outage is high: 2 + 5 + 3.
        (answers(criticality=1, outage=True), 10, RiskLevel.HIGH),
        # Everything alarming: 6 + 5 + 3 + 2 + 2.
        (answers(services=7, criticality=1, outage=True, tested=False, before=False), 18, RiskLevel.VERY_HIGH),
        # No CI and no service touched, rehearsed: nothing to fear.
        (answers(services=0, criticality=None), 0, RiskLevel.LOW),
    ],
)
def test_hand_worked_risk_scores(given_answers, score, level):
    assert risk_score(given_answers) == score
    assert risk_level(given_answers) is level


risk_answers = st.builds(
    RiskAnswers,
    st.integers(0, 20),
    st.one_of(st.none(), st.integers(1, 4)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
LEVELS = list(RiskLevel)


@given(risk_answers)
def test_a_worse_answer_never_lowers_the_risk(a):
    worse = [
        RiskAnswers(a.services_affected + 1, a.ci_criticality, a.outage_required, a.backout_tested, a.done_before),
        # One step more critical (no CI counts as below low).
        RiskAnswers(
            a.services_affected, max(1, (a.ci_criticality or 5) - 1), a.outage_required, a.backout_tested, a.done_before
        ),
        RiskAnswers(a.services_affected, a.ci_criticality, True, a.backout_tested, a.done_before),
        RiskAnswers(a.services_affected, a.ci_criticality, a.outage_required, False, a.done_before),
        RiskAnswers(a.services_affected, a.ci_criticality, a.outage_required, a.backout_tested, False),
    ]
    for w in worse:
        assert risk_score(w) >= risk_score(a)
        assert LEVELS.index(risk_level(w)) >= LEVELS.index(risk_level(a))


def test_impossible_answers_are_refused():
    with pytest.raises(ValueError, match="criticality"):
        risk_score(answers(criticality=7))
    with pytest.raises(ValueError, match="negative"):
        risk_score(answers(services=-1))


# --- Approval tallies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "statuses", "expected"),
    [
        ("all", ["approved", "approved", "requested"], Tally.PENDING),
        ("all", ["approved", "approved", "approved"], Tally.APPROVED),
        ("all", ["approved", "rejected", "requested"], Tally.REJECTED),
        ("majority", ["approved", "approved", "requested"], Tally.APPROVED),  # 2 of 3
        ("majority", ["approved", "approved", "requested", "requested"], Tally.PENDING),  # 2 of 4 is not more than half
        ("majority", ["rejected", "rejected", "requested", "requested"], Tally.REJECTED),  # at most 2 of 4 now
        ("majority", ["rejected", "requested", "requested"], Tally.PENDING),
        ("any", ["requested", "rejected", "approved"], Tally.APPROVED),
        ("any", ["rejected", "rejected", "requested"], Tally.PENDING),
        ("any", ["rejected", "rejected"], Tally.REJECTED),
    ],
)
def test_hand_worked_tallies(rule, statuses, expected):
    assert tally(rule, statuses) is expected


statuses_lists = st.lists(st.sampled_from(["requested", "approved", "rejected"]), min_size=1, max_size=9)


@given(st.sampled_from(["all", "majority", "any"]), statuses_lists)
def test_a_settled_tally_stays_settled_whatever_the_remaining_approvers_decide(rule, statuses):
    outcome = tally(rule, statuses)
    if outcome is Tally.PENDING:
        return
    open_seats = [i for i, s in enumerate(statuses) if s == "requested"]
    for decision in ("approved", "rejected"):
        later = [decision if i in open_seats else s for i, s in enumerate(statuses)]
        assert tally(rule, later) is outcome


@given(st.sampled_from(["all", "majority", "any"]), statuses_lists, st.data())
def test_once_everyone_has_decided_the_tally_is_settled_and_order_does_not_matter(rule, statuses, data):
    decided = ["rejected" if s == "requested" else s for s in statuses]
    assert tally(rule, decided) is not Tally.PENDING
    assert tally(rule, data.draw(st.permutations(decided))) is tally(rule, decided)


def test_a_tally_needs_approvers_and_a_known_rule():
    with pytest.raises(ValueError, match="at least one"):
        tally("all", [])
    with pytest.raises(ValueError, match="unknown"):
        tally("loudest", ["approved"])
