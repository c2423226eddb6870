"""Sigma detection throughput: the Windows rules over recorded Mordor telemetry, on one core.

python -m bench.soc [--zips N] [--runs N]

Events are read and flattened before timing; the timed part is what the engine does per event
(building its case-insensitive views, dispatch by Channel/EventID, every candidate rule).
A pySigma→SQLite baseline (convert the rules to SQL, run them over the same events in SQLite)
is not measured yet.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from bench.support import best_of
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.events import prepare, read_events
from towers.soc.sigma.rules import load_rules

DEFAULT_ZIPS = (
    "metasploit_nanodump_lsass_memory_dump.zip",
    "empire_persistence_registry_modification_run_keys_standard_user.zip",
)


def shared_data() -> Path:
    # Same default as the TOWERS_SHARED_DATA setting, without starting Django.
    return Path(os.environ.get("TOWERS_SHARED_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--zips", type=int, default=len(DEFAULT_ZIPS), help="how many Mordor zips (largest first)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = shared_data()
    sigma = data / "sigma"

    started = time.perf_counter()
    report = load_rules([sigma / "rules" / "windows", sigma / "rules-emerging-threats", sigma / "rules-threat-hunting"])
    windows = [r for r in report.rules if r.logsource.windows and r.logsource.channels is not None]
    print(f"{report.summary().splitlines()[0]} in {time.perf_counter() - started:.1f}s; {len(windows)} Windows rules")

    mordor = data / "events" / "mordor"
    zips = [mordor / name for name in DEFAULT_ZIPS if (mordor / name).exists()]
    zips += sorted((p for p in mordor.glob("*.zip") if p not in zips), key=lambda p: -p.stat().st_size)
    events = [flat for path in zips[: args.zips] for flat in read_events(path)]
    print(f"{len(events)} events from {', '.join(p.name for p in zips[: args.zips])}")

    engine = Engine(windows)
    hits: Counter[str] = Counter()

    def run() -> None:
        hits.clear()
        for flat in events:
            for rule in engine.evaluate(prepare(flat)):
                hits[rule.title] += 1

    seconds = best_of(args.runs, run)
    print(f"{len(events) / seconds:,.0f} events/s ({seconds:.2f}s best of {args.runs}); {sum(hits.values())} matches")
    for title, count in hits.most_common(10):
        print(f"  {count:6d}  {title}")


if __name__ == "__main__":
    main()
