"""Monthly resolution attainment in bulk (numpy) against the per-record clock engine, on synthetic March 2026.

python -m bench.sla [--records N] [--sample N] [--seed N]

March 2026 holds the change to BST (29 March), and records started in late February reach back over a month end.
The reference engine replays one timeline at a time, so it runs on a random sample and its per-record time is
scaled to the full batch; both are checked to agree on that sample before any figure is printed.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, date, datetime

import numpy as np

from bench.support import best_of
from towers.contracts.businesstime import office_hours, twenty_four_seven
from towers.sla.bulk import Batch, PriorityTarget, measure, monthly_attainment, reference_elapsed

HOUR = 3600.0
PERIOD = date(2026, 3, 1)
PERIOD_START = datetime(2026, 3, 1, tzinfo=UTC).timestamp()  # midnight in London: GMT until 29 March
PERIOD_END = datetime(2026, 3, 31, 23, tzinfo=UTC).timestamp()  # midnight in London: BST by then

# Share of records and median resolution time per priority: urgent work is rare and fast, routine work common.
MIX = (0.02, 0.10, 0.48, 0.40)
MEDIAN_HOURS = (2.0, 4.0, 30.0, 60.0)  # wall-clock: office-hours business time is about a third of it


def targets() -> list[PriorityTarget]:
    always = twenty_four_seven()
    office = office_hours("office", bank_holidays_years=(2025, 2026))
    return [
        PriorityTarget("P1", 4 * HOUR, always),
        PriorityTarget("P2", 8 * HOUR, always),
        PriorityTarget("P3", 3 * 10 * HOUR, office),  # three business days of 08:00-18:00
        PriorityTarget("P4", 5 * 10 * HOUR, office),
    ]


def synthetic_month(records: int, seed: int) -> Batch:
    """Resolution measurements of one month: whole-second times, ~5% open at month end, ~30% with 1-3 pauses."""
    rng = np.random.default_rng(seed)
    priority = rng.choice(len(MIX), size=records, p=MIX)
    duration = np.ceil(np.asarray(MEDIAN_HOURS)[priority] * HOUR * rng.lognormal(0.0, 0.8, records))
    is_open = rng.random(records) < 0.05
    # Resolved records stop somewhere in the month (some started in February); open ones run to the month end.
    stop = np.where(is_open, PERIOD_END, np.floor(rng.uniform(PERIOD_START, PERIOD_END, records)))
    start = np.where(is_open, np.floor(rng.uniform(PERIOD_START, PERIOD_END, records)), stop - duration)

    pauses = np.where(rng.random(records) < 0.30, rng.integers(1, 4, records), 0)
    # Each paused record draws 2k cut points in its life; sorted, consecutive pairs are its k disjoint pauses.
    paused = np.flatnonzero(pauses)
    cuts = rng.random((len(paused), 6))
    cuts[np.arange(6) >= 2 * pauses[paused][:, None]] = np.inf
    cuts.sort(axis=1)
    owner = np.repeat(paused, 2 * pauses[paused])
    flat = np.floor(start[owner] + cuts[np.isfinite(cuts)] * (stop - start)[owner])
    return Batch.of(
        start=start,
        stop=stop,
        open=is_open,
        priority_index=priority,
        pause_record=owner[0::2],
        pause_start=flat[0::2],
        pause_end=flat[1::2],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    level = targets()
    batch = synthetic_month(args.records, args.seed)
    outcome = measure(batch, level)
    bulk = best_of(3, lambda: measure(batch, level))

    sample = np.random.default_rng(args.seed + 1).choice(len(batch), size=min(args.sample, len(batch)), replace=False)
    sampled = batch.take(sample)
    started = time.perf_counter()
    reference = reference_elapsed(sampled, level)
    per_record = (time.perf_counter() - started) / len(sampled)
    extrapolated = per_record * len(batch)

    assert np.allclose(outcome.elapsed[sample], reference.elapsed, rtol=0.0, atol=1e-6), "elapsed differs"
    assert (outcome.breached[sample] == reference.breached).all(), "breached differs"
    assert (outcome.met[sample] == reference.met).all(), "met differs"
    assert np.allclose(outcome.breach_at[sample], reference.breach_at, rtol=0.0, atol=1e-6, equal_nan=True)

    pauses, still_open = len(batch.pause_record), int(batch.open.sum())
    print(f"records                : {len(batch):12,d}  ({pauses:,d} pauses, {still_open:,d} open)")
    print(f"reference, per record  : {per_record * 1e6:12.1f} us  measured on a random sample of {len(sampled):,d}")
    print(f"reference, all records : {extrapolated:12.2f} s   (baseline) EXTRAPOLATED: per record x {len(batch):,d}")
    print(f"bulk (numpy), all      : {bulk:12.3f} s   best of 3, {len(batch) / bulk:,.0f} records/s")
    print(f"identical on {len(sampled):,d} sampled records (elapsed, breached, met, breach instant)")
    print(f"ratio: bulk is {extrapolated / bulk:,.0f}x faster than the per-record reference")

    months = monthly_attainment(outcome)
    march = next(m for m in months if m.month == PERIOD)
    by_priority = "".join(f"   {name} {_percent(a.percent)}" for name, a in march.by_priority.items())
    print(f"attainment {PERIOD:%B %Y}  : {_percent(march.overall.percent)} of {march.overall.measured:,d}{by_priority}")
    # By the counting rule a record that breached before March counts in the month it breached, not here.
    earlier = sum(m.overall.measured for m in months if m.month < PERIOD)
    waiting = int((~outcome.measured).sum())
    print(f"  not counted in March  : {earlier:,d} breached in an earlier month, {waiting:,d} open within target")


def _percent(value: float | None) -> str:
    return "  n/a " if value is None else f"{value:5.1f}%"


if __name__ == "__main__":
    main()
