from datetime import UTC, date, datetime

import numpy as np
import pytest

from towers.contracts.businesstime import office_hours, twenty_four_seven
from towers.sla.bulk import Attainment, Batch, PriorityTarget, measure, monthly_attainment, reference_elapsed

HOUR = 3600.0
ALWAYS = twenty_four_seven()
OFFICE = office_hours("Office hours", bank_holidays_years=(2025, 2026))


def at(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def one_record(
    start: float, stop: float, target: PriorityTarget, *, is_open: bool = False, pauses: tuple = ()
) -> Batch:
    return Batch.of(
        start=[start],
        stop=[stop],
        open=[is_open],
        priority_index=[0],
        pause_record=[0] * len(pauses),
        pause_start=[p[0] for p in pauses],
        pause_end=[p[1] for p in pauses],
    )


def random_batch(records: int, seed: int) -> Batch:
    """Whole-second records from mid-October 2025 to early January 2026: the clocks going back, and Christmas."""
    rng = np.random.default_rng(seed)
    start = np.floor(rng.uniform(at(2025, 10, 20), at(2026, 1, 5), records))
    # Hours to a couple of weeks, so some records span the clock change, weekends and the Christmas closures.
    stop = start + np.floor(rng.lognormal(np.log(20 * HOUR), 1.2, records))
    pauses = np.where(rng.random(records) < 0.4, rng.integers(1, 4, records), 0)
    owner = np.repeat(np.arange(records), 2 * pauses)
    cuts = np.sort(rng.random((records, 6)), axis=1)
    # Each record's first 2k sorted cut points in its life: consecutive pairs are k disjoint pauses.
    used = np.arange(6) < 2 * pauses[:, None]
    edges = np.floor(start[owner] + cuts[used] * (stop - start)[owner])
    return Batch.of(
        start=start,
        stop=stop,
        open=rng.random(records) < 0.1,
        priority_index=rng.integers(0, 4, records),
        pause_record=owner[0::2],
        pause_start=edges[0::2],
        pause_end=edges[1::2],
    )


LEVEL = [
    PriorityTarget("P1", 4 * HOUR, ALWAYS),
    PriorityTarget("P2", 24 * HOUR, ALWAYS),
    PriorityTarget("P3", 10 * HOUR, OFFICE),
    PriorityTarget("P4", 30 * HOUR, OFFICE),
]


def test_bulk_agrees_with_the_per_record_engine_on_random_records_across_the_clock_change_and_christmas():
    batch = random_batch(4000, seed=20251026)
    bulk, reference = measure(batch, LEVEL), reference_elapsed(batch, LEVEL)

    np.testing.assert_allclose(bulk.elapsed, reference.elapsed, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(bulk.breached, reference.breached)
    np.testing.assert_array_equal(bulk.met, reference.met)
    np.testing.assert_allclose(bulk.breach_at, reference.breach_at, rtol=0, atol=1e-6)
    # The sample covers what it claims to: both outcomes, paused and open records, both calendars.
    assert 0.2 < bulk.breached.mean() < 0.8
    assert len(batch.pause_record) > 1000 and batch.open.any()
    assert ((batch.start < at(2025, 10, 26, 1)) & (batch.stop > at(2025, 10, 26, 1))).sum() > 10
    assert ((batch.start < at(2025, 12, 24)) & (batch.stop > at(2025, 12, 29))).sum() > 10


def test_a_subset_measures_as_the_same_records_in_the_whole_batch():
    batch = random_batch(300, seed=7)
    chosen = np.array([299, 5, 120, 6])
    np.testing.assert_array_equal(measure(batch.take(chosen), LEVEL).elapsed, measure(batch, LEVEL).elapsed[chosen])


def test_office_hours_record_over_a_weekend_counts_only_friday_evening_and_monday_morning():
    # Friday 6 March 2026 16:00 GMT to Monday 9 March 10:00: 2 hours on Friday, 2 on Monday.
    target = PriorityTarget("P3", 3 * HOUR, OFFICE)
    outcome = measure(one_record(at(2026, 3, 6, 16), at(2026, 3, 9, 10), target), [target])

    assert outcome.elapsed.tolist() == [4 * HOUR]
    assert outcome.breached.tolist() == [True]
    # 3 hours were used up at 09:00 on Monday, the due time that was missed.
    assert outcome.breach_at.tolist() == [at(2026, 3, 9, 9)]


def test_a_pause_over_the_easter_bank_holidays_removes_only_the_business_hours_it_covers():
    # BST (UTC+1). Thursday 2 April 09:00 to Tuesday 7 April 12:00, paused Thursday 17:00 to Tuesday 10:00;
    # Good Friday and Easter Monday are closed anyway. Running: Thursday 09-17 and Tuesday 10-12 = 10 hours.
    target = PriorityTarget("P4", 30 * HOUR, OFFICE)
    pause = (at(2026, 4, 2, 16), at(2026, 4, 7, 9))
    outcome = measure(one_record(at(2026, 4, 2, 8), at(2026, 4, 7, 11), target, pauses=(pause,)), [target])

    assert outcome.elapsed.tolist() == [10 * HOUR]
    assert outcome.met.tolist() == [True]


def test_a_pause_delays_the_breach_only_if_it_starts_before_the_target_is_reached():
    # 1-hour target on 24x7 from 10:00, open until 12:30: paused 10:30-11:00 (before the target is reached)
    # and 11:40-11:50 (after): breached at 11:30, not 11:40.
    target = PriorityTarget("P1", HOUR, ALWAYS)
    pauses = ((at(2026, 5, 5, 11, 40), at(2026, 5, 5, 11, 50)), (at(2026, 5, 5, 10, 30), at(2026, 5, 5, 11)))
    batch = one_record(at(2026, 5, 5, 10), at(2026, 5, 5, 12, 30), target, is_open=True, pauses=pauses)
    outcome = measure(batch, [target])

    assert outcome.elapsed.tolist() == [2.5 * HOUR - 40 * 60]
    assert outcome.breach_at.tolist() == [at(2026, 5, 5, 11, 30)]
    assert outcome.measured.tolist() == [True]
    assert outcome.counted_at.tolist() == outcome.breach_at.tolist()


def test_a_pause_after_the_target_was_reached_at_closing_time_does_not_move_the_breach():
    # 10 business hours from Monday 9 March 08:00 are used up at 18:00 closing; paused 19:00 to Tuesday 10:00,
    # resolved 11:00: 11 hours, breached, and the missed due time is still Monday 18:00.
    target = PriorityTarget("P4", 10 * HOUR, OFFICE)
    pause = (at(2026, 3, 9, 19), at(2026, 3, 10, 10))
    outcome = measure(one_record(at(2026, 3, 9, 8), at(2026, 3, 10, 11), target, pauses=(pause,)), [target])

    assert outcome.elapsed.tolist() == [11 * HOUR]
    assert outcome.breach_at.tolist() == [at(2026, 3, 9, 18)]


def test_twenty_four_seven_counts_25_hours_on_the_day_the_clocks_go_back():
    # Midnight to midnight in London on Sunday 26 October 2025: 23:00 UTC on the 25th to 00:00 UTC on the 27th.
    target = PriorityTarget("P1", 24 * HOUR, ALWAYS)
    outcome = measure(one_record(at(2025, 10, 25, 23), at(2025, 10, 27), target), [target])

    assert outcome.elapsed.tolist() == [25 * HOUR]
    assert outcome.breached.tolist() == [True]
    assert outcome.breach_at.tolist() == [at(2025, 10, 26, 23)]


def test_open_records_are_measured_only_once_breached():
    target = PriorityTarget("P1", HOUR, ALWAYS)
    batch = Batch.of(
        start=[at(2026, 3, 2, 9)] * 2,
        stop=[at(2026, 3, 2, 9, 30), at(2026, 3, 2, 11)],
        open=[True, True],
        priority_index=[0, 0],
    )
    outcome = measure(batch, [target])

    assert outcome.measured.tolist() == [False, True]
    assert outcome.met.tolist() == [False, False]


def test_monthly_attainment_counts_each_record_in_the_london_month_its_outcome_became_known():
    p1, p2 = PriorityTarget("P1", HOUR, ALWAYS), PriorityTarget("P2", 2 * HOUR, ALWAYS)
    records = [  # (start, stop, open, priority): where it counts
        (at(2026, 2, 28, 20), at(2026, 3, 1, 1), False, 1),  # breached 22:00 on 28 Feb: February, missed
        (at(2026, 3, 10, 9), at(2026, 3, 10, 9, 30), False, 0),  # March, met
        (at(2026, 3, 10, 9), at(2026, 3, 10, 11), False, 0),  # March, missed
        (at(2026, 3, 31, 21, 30), at(2026, 3, 31, 23, 30), False, 0),  # breached 23:30 BST on 31 March: March
        (at(2026, 3, 31, 22), at(2026, 3, 31, 23, 15), False, 1),  # resolved 00:15 BST on 1 April: April, met
        (at(2026, 4, 10, 10), at(2026, 4, 10, 10, 30), True, 0),  # open, within target: not measured
        (at(2026, 4, 10, 6), at(2026, 4, 10, 10, 30), True, 1),  # open, breached 08:00 on 10 April: April
    ]
    start, stop, is_open, priority = zip(*records, strict=True)
    outcome = measure(Batch.of(start=start, stop=stop, open=is_open, priority_index=priority), [p1, p2])

    months = monthly_attainment(outcome)

    assert [m.month for m in months] == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert [m.overall for m in months] == [Attainment(1, 0), Attainment(3, 1), Attainment(2, 1)]
    assert months[1].by_priority == {"P1": Attainment(3, 1), "P2": Attainment(0, 0)}
    assert months[2].by_priority == {"P1": Attainment(0, 0), "P2": Attainment(2, 1)}
    assert months[1].overall.percent == pytest.approx(100 / 3)
    assert months[1].by_priority["P2"].percent is None


def test_an_empty_pause_at_the_instant_another_begins_leaves_the_record_paused():
    target = PriorityTarget("P1", HOUR, ALWAYS)
    pauses = ((at(2026, 5, 5, 10, 30), at(2026, 5, 5, 11)), (at(2026, 5, 5, 10, 30), at(2026, 5, 5, 10, 30)))
    batch = one_record(at(2026, 5, 5, 10), at(2026, 5, 5, 12), target, pauses=pauses)

    assert measure(batch, [target]).elapsed.tolist() == reference_elapsed(batch, [target]).elapsed.tolist() == [5400]


def test_a_batch_that_is_not_consistent_is_refused_naming_what_is_wrong():
    with pytest.raises(ValueError, match="one entry per record"):
        Batch.of(start=[0.0, 1.0], stop=[2.0], open=[False], priority_index=[0])
    with pytest.raises(ValueError, match="stop is before start for record 1"):
        Batch.of(start=[0.0, 5.0], stop=[2.0, 4.0], open=[False, False], priority_index=[0, 0])
    with pytest.raises(ValueError, match="pause 0 is not an interval within"):
        Batch.of(
            start=[10.0],
            stop=[20.0],
            open=[False],
            priority_index=[0],
            pause_record=[0],
            pause_start=[5.0],
            pause_end=[15.0],
        )
