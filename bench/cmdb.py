"""CMDB at scale on PostgreSQL: impact of a data-centre outage and of one busy database, and the import rate.

    python -m bench.cmdb [--cis 1000000] [--reuse] [--python-budget 180] [--import-items 20000]

PostgreSQL only. DATABASE_URL must name a PostgreSQL database; without it the benchmark creates a throw-away
database `towers_bench` on 127.0.0.1 (dropped and created again unless --reuse) and migrates it. It seeds the
small demo (organisations, catalogue, service levels) and bulk-loads the large estate, unless --reuse finds
them loaded already.

Impact is timed as the selector runs it (one recursive query and the report), best of three, against what an
ORM walk does: breadth first in Python, one query per CI for its relationships, over the same data in the
same run. A walk that would outlast --python-budget is stopped there and its time extrapolated from its rate
over the CIs the query found, which the output says. The busy database is the identity provider's, which
every application and phone leans on.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.support import best_of, setup_django

BENCH_DATABASE = "towers_bench"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BUSY_DATABASE = "IDENTITYPROVIDERDB"


def _database(reuse: bool) -> str:
    """Point DATABASE_URL at PostgreSQL and say which database this is."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise SystemExit(f"bench.cmdb runs on PostgreSQL only; DATABASE_URL is {url.split(':', 1)[0]}")
        return f"{url.rsplit('/', 1)[-1]} (DATABASE_URL)"
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
        if exists and not reuse:
            admin.execute(f"DROP DATABASE {BENCH_DATABASE} WITH (FORCE)")
        if not exists or not reuse:
            admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
    kept = "kept from an earlier run" if exists and reuse else "created by this run"
    return f"{BENCH_DATABASE} on 127.0.0.1 (throw-away, {kept})"


def _load(cis: int, reuse: bool) -> None:
    """The small demo (for its organisations and service levels), then the large estate, each unless there."""
    from towers.cmdb import largeestate
    from towers.demo.estate import seed

    started = time.perf_counter()
    if seed("small").created:
        print(f"small demo seeded in {time.perf_counter() - started:.0f} s (organisations, catalogue, service levels)")
    if largeestate.loaded() is not None:
        if not reuse:
            raise SystemExit("the large estate is loaded in this database already: pass --reuse to use it")
        print(f"estate reused: {largeestate.loaded()}")
        return
    shown = [-1]

    def progress(done: int, total: int) -> None:
        if done * 10 // total > shown[0]:
            shown[0] = done * 10 // total
            print(f"  loading: {done:>10,} of about {total:,} rows", flush=True)

    written = largeestate.generate(cis=cis, progress=progress)
    print(
        f"estate generated in {written['seconds']:.0f} s with {written['method']}: {written['cis']:,} CIs, "
        f"{written['relationships']:,} relationships, {written['identifiers']:,} identification keys"
    )


@dataclass
class Walk:
    states: dict[tuple[Any, int], int]  # (CI id, at risk) -> depth
    queried: int  # CIs whose relationships were fetched, one query each
    seconds: float
    finished: bool
    settled: int  # depths fully walked: what the walk found down to it is final

    def impacted(self, up_to: int) -> dict[Any, tuple[int, str]]:
        """CI -> (depth, severity) for what was found down to `up_to`, as the SQL reports it."""
        found: dict[Any, tuple[int, str]] = {}
        for (ci, risk), depth in sorted(self.states.items(), key=lambda item: (item[0][1], item[1])):
            if depth <= up_to and ci not in found:
                found[ci] = (depth, "at_risk" if risk else "down")
        return found


def _python_walk(root: Any, max_depth: int, budget: float) -> Walk:
    """Breadth first over (CI, at risk), one query per CI for its relationships, stopped after `budget` seconds."""
    from django.db.models import Q

    from towers.cmdb.models import AT_RISK_ONLY, IMPACT_DIRECTION, Relationship

    up = [t for t, d in IMPACT_DIRECTION.items() if d == "up"]
    down = [t for t, d in IMPACT_DIRECTION.items() if d == "down"]
    started = time.perf_counter()
    states, edges = {(root, 0): 0}, {}
    frontier = [(root, 0)]
    for depth in range(1, max_depth + 1):
        following = []
        for ci, risk in frontier:
            if ci not in edges:
                found = Relationship.objects.filter(Q(target_id=ci, type__in=up) | Q(source_id=ci, type__in=down))
                edges[ci] = list(found.order_by().values_list("source_id", "target_id", "type"))
                if time.perf_counter() - started > budget:
                    return Walk(states, len(edges), time.perf_counter() - started, False, depth - 1)
            for source, target, kind in edges[ci]:
                state = (target if kind in down else source, int(risk or kind in AT_RISK_ONLY))
                if state not in states:
                    states[state] = depth
                    following.append(state)
        frontier = following
    return Walk(states, len(edges), time.perf_counter() - started, True, max_depth)


def _impact_case(label: str, ci: Any, actor: Any, budget: float, max_depth: int = 15) -> None:
    from towers.cmdb.impact import impact_of

    report = impact_of(actor=actor, cis=[ci], max_depth=max_depth)
    sql = best_of(3, lambda: impact_of(actor=actor, cis=[ci], max_depth=max_depth))
    expected = {i.id: (i.depth, i.severity) for i in report.impacted}
    severities = Counter(i.severity for i in report.impacted)
    print(f"\n{label}: {ci.name}")
    print(
        f"  impacted                 : {report.total:>10,} CIs ({severities['down']:,} down, {severities['at_risk']:,} "
        f"at risk, deepest {max(d for d, _s in expected.values())}): {len(report.applications):,} applications, "
        f"{len(report.databases):,} databases, {len(report.business_services):,} business services, "
        f"{len(report.service_offerings):,} offerings, {len(report.service_levels)} service levels, "
        f"{len(report.suppliers)} suppliers, {report.people_served:,} people served, {report.locations:,} "
        f"locations ({report.staff:,} staff)"
    )
    print(f"  SQL, one recursive query : {sql:>10.2f} s  best of 3, the report included")
    walk = _python_walk(ci.pk, max_depth, budget)
    walked = walk.impacted(walk.settled)
    if walk.finished:
        python = walk.seconds
        print(f"  Python, a query per CI   : {python:>10.2f} s  (baseline) {walk.queried:,} queries")
        agree = walked == expected
        print(
            f"  same impacted CIs        : {'yes' if agree else 'NO'}, {len(walked):,} with the same depth and severity"
        )
    else:
        expansions = sum(1 for depth, _severity in expected.values() if depth < max_depth)
        python = walk.seconds / walk.queried * expansions
        print(
            f"  Python, a query per CI   : {python:>10.0f} s  (baseline) EXTRAPOLATED: stopped at the "
            f"{budget:.0f} s budget after {walk.queried:,} of the {expansions:,} CIs it would query "
            f"({walk.seconds / walk.queried * 1e6:,.0f} µs a CI)"
        )
        # What the walk settled must be what the query found: down at the same depth, or at risk there
        # unless a path found deeper (past where the walk stopped) makes it down.
        agree = all(
            expected.get(ci) == found or (found[1] == "at_risk" and expected.get(ci, (0, ""))[1] == "down")
            for ci, found in walked.items()
        )
        print(
            f"  same impacted CIs        : {'yes' if agree else 'NO'}, on the {len(walked):,} the walk settled "
            f"(depths 0-{walk.settled})"
        )
    if not agree:
        raise SystemExit("the SQL and the Python walk disagree")
    print(f"  ratio: SQL is {python / sql:,.1f}x faster")


def _import_items(count: int, stamp: int) -> list[dict[str, Any]]:
    """Virtual machines as a discovery tool reports them: half of the estate's (updates), half new."""
    from django.db.models import F

    from towers.cmdb.models import ConfigurationItem

    known = list(
        ConfigurationItem.objects.filter(ci_class="virtual_machine", outgoing__type="hosted_in")
        .order_by("name")
        .values_list("name", "attributes__cloud_id", F("outgoing__target__name"))[(stamp % 50) * 1000 :][: count // 2]
    )
    clusters = [cluster for _name, _cloud, cluster in known]
    updates = [(name, cloud, cluster, f"ESXi 8.0.{stamp % 10}") for name, cloud, cluster in known]
    new = [
        (f"vm-bench-{stamp}-{n:05d}", f"bench-{stamp}-{n:05d}", clusters[n % len(clusters)], "ESXi 8.0")
        for n in range(count - len(known))
    ]
    items = []
    for update, fresh in zip(updates, new, strict=False):
        for name, cloud, cluster, hypervisor in (update, fresh):
            items.append(
                {
                    "class": "virtual_machine",
                    "native_key": f"vc-{cloud}",
                    "name": name,
                    "owner": "meridian",
                    "attributes": {"cloud_id": cloud, "hypervisor": hypervisor, "cpu_cores": 8},
                    "relationships": [{"type": "hosted_in", "target": {"class": "cluster", "name": cluster}}],
                }
            )
    return items


def _import_rate(actor: Any, count: int) -> None:
    from towers.cmdb.models import DataSource
    from towers.cmdb.services.reconcile import ci_import
    from towers.cmdb.services.sources import source_create
    from towers.organisations.models import Organisation

    source = DataSource.objects.filter(code="bench-vcenter").first() or source_create(
        actor=actor,
        code="bench-vcenter",
        name="Benchmark vCenter",
        organisation=Organisation.objects.get(code="meridian"),
        priority=50,
    )
    items = _import_items(count, int(time.time()))
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    for start in range(0, len(items), 500):
        report = ci_import(actor=actor, source=source, items=items[start : start + 500], dry_run=False)
        outcomes.update(item.outcome for item in report.items)
    seconds = time.perf_counter() - started
    print(
        f"  {len(items):,} VMs in batches of 500 : {len(items) / seconds:>8,.0f} CIs/s  ({seconds:.0f} s; "
        + ", ".join(f"{n:,} {outcome}" for outcome, n in sorted(outcomes.items()))
        + ")"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cis", type=int, default=1_000_000, help="CIs in the large estate (default a million)")
    parser.add_argument("--reuse", action="store_true", help="use the estate already loaded in the database")
    parser.add_argument("--python-budget", type=float, default=180.0, help="seconds for each Python walk")
    parser.add_argument("--import-items", type=int, default=20_000, help="VMs to import, half new, half updates")
    args = parser.parse_args()
    where = _database(args.reuse)
    setup_django()

    from django.db import connection

    from towers.cmdb.models import ConfigurationItem, Relationship
    from towers.core.actor import Actor

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers')")
        version, buffers = cursor.fetchone()
    print(f"database: PostgreSQL {version} (shared_buffers {buffers}), {where}")
    _load(args.cis, args.reuse)
    print(f"estate: {ConfigurationItem.objects.count():,} CIs, {Relationship.objects.count():,} relationships")

    actor = Actor.system("bench")
    centre = ConfigurationItem.objects.get(ci_class="data_centre", name="DC North")
    _impact_case("(a) Data-centre outage", centre, actor, args.python_budget)
    busy = ConfigurationItem.objects.get(ci_class="database", name=BUSY_DATABASE)
    _impact_case("(b) One busy database", busy, actor, args.python_budget)
    print("\n(c) Reconciliation import (identified by native key or cloud id, hosted in a cluster named by name)")
    _import_rate(actor, args.import_items)


if __name__ == "__main__":
    main()
