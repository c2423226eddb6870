"""Sigma detection throughput: the SigmaHQ Windows rules over recorded Mordor telemetry, on one core,
against the approach public Python tools take (Zircolite): pySigma's SQLite backend, SQL over an in-memory table.

python -m bench.soc [--zips N | --all] [--runs N]

Both sides get the same rules (a rule the SQLite backend cannot convert, or whose SQL SQLite rejects, is left out
of both and counted) and the same flattened events, read before timing. Ours: prepare each event's case-insensitive
views, dispatch by Channel/EventID, run every candidate rule. Baseline: insert the events into a table whose columns
are the union of field names (TEXT COLLATE NOCASE, as Zircolite builds it), then run each rule's SQL, restricted to
the rule's channels and EventIDs as Zircolite's logsource pipelines do. Agreement compares the (rule, event) hits.

Ours also matches process_creation rules on Security 4688 events, under Sysmon's field names (events.prepare);
pySigma's SQLite backend has no such mapping. So the baseline's table is loaded with the same prepared fields
(like for like, the headline agreement), and a second, untimed baseline over the unmapped 4688 events shows
what the mapping adds: the hits only ours can have.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from towers.soc.sigma.compiler import CompiledRule, RuleCompileError, compile_rule
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.events import prepare, read_events
from towers.soc.sigma.logsource import PROCESS_CREATION_EVENT_IDS, SECURITY, LogsourceFilter
from towers.soc.sigma.modifiers import UnsupportedValueError
from towers.soc.sigma.rules import rule_files

DEFAULT_ZIPS = (
    "metasploit_nanodump_lsass_memory_dump.zip",
    "empire_persistence_registry_modification_run_keys_standard_user.zip",
)
TABLE = "logs"
_SELECT = f"SELECT * FROM {TABLE} WHERE "  # noqa: S608 -- the backend's own prefix, stripped


@dataclass(slots=True)
class Pair:
    """One rule on both sides: our compiled rule and the baseline's SQL."""

    ours: CompiledRule
    sql: str
    fields: list[str]


def shared_data() -> Path:
    # Same default as the TOWERS_SHARED_DATA setting, without starting Django.
    return Path(os.environ.get("TOWERS_SHARED_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data"))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def logsource_sql(source: LogsourceFilter) -> str:
    """The rule's channels and EventIDs as a WHERE clause (our index does the same dispatch)."""
    assert source.channels is not None
    clauses = []
    for channel in sorted(source.channels):
        ids = source.event_ids.get(channel)
        clause = f'"Channel" = {_literal(channel)}'
        if ids:
            clause += f' AND "EventID" IN ({", ".join(str(i) for i in sorted(ids))})'
        clauses.append(f"({clause})")
    return " OR ".join(clauses)


def pair_rules(roots: list[Path]) -> tuple[list[Pair], Counter[str]]:
    """Compile and convert every Windows rule; the counter says why the others were left out."""
    backend = sqliteBackend(collect_errors=True)
    pairs: list[Pair] = []
    skipped: Counter[str] = Counter()
    for path in rule_files(roots):
        collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True)
        for rule in collection.rules:
            if not isinstance(rule, SigmaRule):
                continue
            try:
                ours = compile_rule(rule)
            except (SigmaError, RuleCompileError, UnsupportedValueError, re.error, ValueError):
                skipped["ours: does not compile"] += 1
                continue
            if not ours.logsource.windows or ours.logsource.channels is None:
                skipped["not a Windows channel rule"] += 1
                continue
            ours.source = str(path)
            try:
                queries = backend.convert_rule(rule)
                fields = backend.required_fields(rule)
            except (SigmaError, ValueError, NotImplementedError) as error:
                skipped[f"baseline: {type(error).__name__}"] += 1
                continue
            if len(queries) != 1 or not isinstance(queries[0], str) or not queries[0].startswith(_SELECT):
                skipped["baseline: not converted"] += 1
                continue
            where = queries[0][len(_SELECT) :]
            # SQL built from rule text is the baseline under test, not user input.
            sql = f"SELECT row_id FROM {TABLE} WHERE ({logsource_sql(ours.logsource)}) AND ({where})"  # noqa: S608
            pairs.append(Pair(ours, sql, fields))
    return pairs, skipped


def _regexp(pattern: str, value: Any) -> bool:
    # SQLite's `X REGEXP Y` calls regexp(Y, X); Zircolite registers the same function.
    return value is not None and re.search(pattern, str(value)) is not None


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


class SqliteBaseline:
    """An in-memory table of the events, columns the union of field names, and each rule's query."""

    def __init__(self, events: list[dict[str, Any]], pairs: list[Pair]) -> None:
        columns: dict[str, str] = {}
        for flat in events:
            for name in flat:
                columns.setdefault(name.lower(), name)
        for pair in pairs:
            for name in pair.fields:
                columns.setdefault(name.lower(), name)
        self.columns = list(columns.values())
        self.events = events
        self.connection = sqlite3.connect(":memory:")
        self.connection.create_function("regexp", 2, _regexp, deterministic=True)
        body = ", ".join(f"{_quote(c)} TEXT COLLATE NOCASE" for c in self.columns)
        self.connection.execute(f"CREATE TABLE {TABLE} (row_id INTEGER PRIMARY KEY, {body})")
        self.rejected: list[tuple[Pair, str]] = []
        self.pairs = []
        for pair in pairs:  # against the empty table: a query SQLite rejects is left out of both sides
            try:
                self.connection.execute(pair.sql).fetchall()
                self.pairs.append(pair)
            except sqlite3.Error as error:
                self.rejected.append((pair, str(error)))

    def load(self) -> None:
        index = {c.lower(): i for i, c in enumerate(self.columns)}
        width = len(self.columns)
        rows = []
        for number, flat in enumerate(self.events):
            row: list[Any] = [None] * (width + 1)
            row[0] = number
            for name, value in flat.items():
                slot = index[name.lower()] + 1
                if row[slot] is None:
                    row[slot] = _cell(value)
            rows.append(row)
        self.connection.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        marks = ", ".join("?" * (width + 1))
        self.connection.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", rows)  # noqa: S608

    def run(self) -> set[tuple[int, int]]:
        hits: set[tuple[int, int]] = set()
        for rule_number, pair in enumerate(self.pairs):
            for (row_id,) in self.connection.execute(pair.sql):
                hits.add((rule_number, row_id))
        return hits


def ours(events: list[dict[str, Any]], rules: list[CompiledRule]) -> Callable[[], set[tuple[int, int]]]:
    engine = Engine(rules)
    number = {id(rule): i for i, rule in enumerate(rules)}

    def run() -> set[tuple[int, int]]:
        hits: set[tuple[int, int]] = set()
        for event_number, flat in enumerate(events):
            for rule in engine.evaluate(prepare(flat)):
                hits.add((number[id(rule)], event_number))
        return hits

    return run


def security_process_creation(raw: dict[str, Any], lower: dict[str, Any]) -> bool:
    """The events ``prepare`` gives Sysmon's process creation names (its own test, repeated for the split)."""
    return raw.get("eventid") in PROCESS_CREATION_EVENT_IDS and lower.get("channel") == SECURITY


def unmapped_baseline_hits(
    events: list[dict[str, Any]], audit: list[int], mapped: SqliteBaseline, mapped_hits: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The baseline's hits had it seen 4688 events under their own names only: other events' hits are the same."""
    audit_set = set(audit)
    hits = {(rule, event) for rule, event in mapped_hits if event not in audit_set}
    plain = SqliteBaseline([events[i] for i in audit], mapped.pairs)
    plain.load()
    number = {id(pair): i for i, pair in enumerate(mapped.pairs)}
    hits |= {(number[id(plain.pairs[rule])], audit[row]) for rule, row in plain.run()}
    return hits


def _agreement(ours: set[tuple[int, int]], baseline: set[tuple[int, int]]) -> str:
    both, union = len(ours & baseline), len(ours | baseline)
    return (
        f"{both} hits in both, {len(ours - baseline)} only ours, {len(baseline - ours)} only baseline "
        f"({both / union if union else 1.0:.2%})"
    )


def timed(runs: int, work: Callable[[], set[tuple[int, int]]]) -> tuple[float, set[tuple[int, int]]]:
    best, result = float("inf"), set[tuple[int, int]]()
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zips", type=int, default=len(DEFAULT_ZIPS), help="how many Mordor zips (defaults first)")
    parser.add_argument("--all", action="store_true", help="every Mordor zip (long)")
    parser.add_argument("--runs", type=int, default=1, help="best of N runs, each side")
    parser.add_argument("--examples", type=int, default=5, help="disagreements shown per side")
    args = parser.parse_args()
    data = shared_data()
    sigma = data / "sigma"

    started = time.perf_counter()
    pairs, skipped = pair_rules(
        [sigma / "rules" / "windows", sigma / "rules-emerging-threats", sigma / "rules-threat-hunting"]
    )
    print(
        f"{len(pairs)} Windows rules on both sides in {time.perf_counter() - started:.1f}s; left out: {dict(skipped)}"
    )

    mordor = data / "events" / "mordor"
    zips = [mordor / name for name in DEFAULT_ZIPS if (mordor / name).exists()]
    zips += sorted((p for p in mordor.glob("*.zip") if p not in zips), key=lambda p: -p.stat().st_size)
    zips = zips if args.all else zips[: args.zips]
    events = [flat for path in zips for flat in read_events(path)]
    print(f"{len(events):,} events from {len(zips)} zips: {', '.join(p.name for p in zips[:4])}{'…' * (len(zips) > 4)}")

    # Like for like: the baseline's rows hold the fields our matchers see, 4688's Sysmon names included.
    prepared = [prepare(flat) for flat in events]
    audit = [i for i, p in enumerate(prepared) if security_process_creation(p.raw, p.lower)]
    baseline = SqliteBaseline([p.raw for p in prepared], pairs)
    print(
        f"baseline table: {len(baseline.columns)} columns; {len(baseline.rejected)} rules rejected by SQLite (left out)"
    )
    for pair, error in baseline.rejected[: args.examples]:
        print(f"  {pair.ours.title}: {error}")
    rules = [pair.ours for pair in baseline.pairs]

    our_seconds, our_hits = timed(args.runs, ours(events, rules))
    load_seconds = sql_seconds = float("inf")
    base_hits: set[tuple[int, int]] = set()
    for _ in range(args.runs):
        started = time.perf_counter()
        baseline.load()
        loaded = time.perf_counter()
        base_hits = baseline.run()
        load_seconds, sql_seconds = min(load_seconds, loaded - started), min(sql_seconds, time.perf_counter() - loaded)
    base_seconds = load_seconds + sql_seconds

    n = len(events)
    print(
        f"ours:     {n / our_seconds:>10,.0f} events/s ({our_seconds:.2f}s, best of {args.runs}); {len(our_hits)} hits"
    )
    print(
        f"baseline: {n / base_seconds:>10,.0f} events/s ({base_seconds:.2f}s = load {load_seconds:.2f}s + "
        f"SQL {sql_seconds:.2f}s, pySigma-backend-sqlite); {len(base_hits)} hits"
    )
    print(f"ratio:    {base_seconds / our_seconds:.1f}x faster (target ≥ 5x)")
    only_ours, only_base = our_hits - base_hits, base_hits - our_hits
    print(f"agreement (baseline given the 4688 → Sysmon names): {_agreement(our_hits, base_hits)}")
    unmapped = unmapped_baseline_hits(events, audit, baseline, base_hits)
    print(
        f"agreement (baseline as pySigma ships, no 4688 mapping): {_agreement(our_hits, unmapped)}; "
        f"{len(audit)} Security 4688 events, {len(our_hits - unmapped)} hits only through the mapping"
    )
    shown = (("only ours", only_ours), ("only baseline", only_base), ("only through 4688", our_hits - unmapped))
    for label, hits in shown:
        for rule_number, event_number in sorted(hits)[: args.examples]:
            rule, flat = rules[rule_number], events[event_number]
            print(
                f"  {label}: {rule.title} [{Path(rule.source).name}] on event {event_number} "
                f"({flat.get('Channel')} {flat.get('EventID')})"
            )
    per_rule = Counter(rules[r].title for r, _ in our_hits)
    for title, count in per_rule.most_common(10):
        print(f"  {count:6d}  {title}")


if __name__ == "__main__":
    main()
