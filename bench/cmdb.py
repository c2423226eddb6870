"""CMDB at scale on PostgreSQL: impact of a data-centre outage and of one busy database, and the import rate.

    python -m bench.cmdb [--cis 1000000] [--reuse] [--python-budget 120]

Uses DATABASE_URL if it names a PostgreSQL database, else creates and migrates `towers_bench` on 127.0.0.1.
The baseline for impact is what an ORM walk does: a breadth-first traversal in Python that asks the database
for each node's relationships, one query per node, over the same data in the same run.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from bench.support import best_of


def _postgres() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return f"DATABASE_URL ({url.rsplit('/', 1)[-1]})"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'towers_bench'").fetchone():
            conn.execute("CREATE DATABASE towers_bench")
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/towers_bench"
    return "towers_bench on 127.0.0.1 (created by this benchmark)"


def _python_walk(root: Any, max_depth: int, budget: float) -> tuple[set[Any], bool, float]:
    """Breadth-first, one query per node; stops when the time budget is spent. Returns (found, finished, seconds)."""
    from django.db.models import Q

    from towers.cmdb.models import IMPACT_DIRECTION, Relationship

    up = [t for t, d in IMPACT_DIRECTION.items() if d == "up"]
    down = [t for t, d in IMPACT_DIRECTION.items() if d == "down"]
    started = time.perf_counter()
    found, frontier = {root}, [root]
    for _depth in range(max_depth):
        following = []
        for node in frontier:
            edges = Relationship.objects.filter(
                Q(target_id=node, type__in=up) | Q(source_id=node, type__in=down)
            ).values_list("source_id", "target_id", "type")
            for source, target, kind in edges:
                reached = target if kind in down else source
                if reached not in found:
                    found.add(reached)
                    following.append(reached)
            if time.perf_counter() - started > budget:
                return found, False, time.perf_counter() - started
        frontier = following
        if not frontier:
            break
    return found, True, time.perf_counter() - started


def _impact_case(label: str, ci: Any, actor: Any, budget: float) -> None:
    from towers.cmdb.impact import impact_of

    report = impact_of(actor=actor, cis=[ci], max_depth=15)
    sql = best_of(3, lambda: impact_of(actor=actor, cis=[ci], max_depth=15))
    found, finished, seconds = _python_walk(ci.pk, 15, budget)
    sql_ids = {item.id for item in report.impacted}
    print(f"\n{label}: {ci.name}")
    print(
        f"  impacted CIs            : {report.total:>12,}  (apps {len(report.applications)}, business services "
        f"{len(report.business_services)}, locations {report.locations}, people served {report.people_served:,})"
    )
    print(f"  SQL (one recursive query): {sql:>11.3f} s  best of 3")
    if finished:
        assert found == sql_ids, f"the walks disagree: {len(found ^ sql_ids)} CIs differ"
        print(f"  Python, query per node  : {seconds:>11.3f} s  (baseline) same {len(found):,} CIs found")
        python = seconds
    else:
        rate = len(found) / seconds
        python = len(sql_ids) / rate
        print(
            f"  Python, query per node  : {python:>11.1f} s  (baseline) EXTRAPOLATED: {len(found):,} CIs in the "
            f"{seconds:.0f} s budget, {rate:,.0f} CIs/s, over the {len(sql_ids):,} the SQL found"
        )
    print(f"  ratio: SQL is {python / sql:,.0f}x faster")


def _import_rate(actor: Any) -> None:
    from towers.cmdb.models import DataSource
    from towers.cmdb.services.reconcile import ci_import
    from towers.cmdb.services.sources import source_create
    from towers.organisations.models import Organisation

    owner = Organisation.objects.get(code="meridian")
    source = DataSource.objects.filter(code="bench-discovery").first() or source_create(
        actor=actor, code="bench-discovery", name="Benchmark discovery", organisation=owner, priority=50
    )
    stamp = int(time.time())

    def items(os_name: str) -> list[dict[str, Any]]:
        return [
            {
                "class": "server",
                "native_key": f"bench-{stamp}-{n}",
                "name": f"bench-{stamp}-{n:05d}",
                "owner": "meridian",
                "attributes": {"serial": f"BN{stamp}{n:05d}", "fqdn": f"bench-{stamp}-{n}.force.local", "os": os_name},
            }
            for n in range(5000)
        ]

    for label, batch in (("new CIs", items("RHEL 9")), ("updates", items("RHEL 10"))):
        started = time.perf_counter()
        for start in range(0, len(batch), 500):
            ci_import(actor=actor, source=source, items=batch[start : start + 500], dry_run=False)
        seconds = time.perf_counter() - started
        print(f"  import, {label:<8}: {len(batch) / seconds:>8,.0f} CIs/s  ({len(batch):,} in batches of 500)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cis", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="Use the estate already loaded in the database.")
    parser.add_argument("--python-budget", type=float, default=120.0, help="Seconds for each Python walk.")
    args = parser.parse_args()
    where = _postgres()
    from bench.support import setup_django

    setup_django()
    from django.db.models import Count

    from towers.cmdb import largeestate
    from towers.cmdb.models import ConfigurationItem, Relationship
    from towers.core.actor import Actor

    print(f"database: PostgreSQL, {where}")
    if largeestate.loaded() is None:
        written = largeestate.generate(cis=args.cis, progress=None)
        print(
            f"generated: {written['cis']:,} CIs, {written['relationships']:,} relationships in "
            f"{written['seconds']:,.0f} s ({written['method']})"
        )
    elif not args.reuse:
        raise SystemExit("the large estate is already loaded here: pass --reuse, or drop the database")
    print(f"estate: {ConfigurationItem.objects.count():,} CIs, {Relationship.objects.count():,} relationships")

    actor = Actor.system("bench")
    centre = ConfigurationItem.objects.filter(ci_class="data_centre").order_by("name").first()
    busiest = (
        Relationship.objects.filter(target__ci_class="database")
        .values("target")
        .annotate(users=Count("id"))
        .order_by("-users")
        .first()
    )
    assert centre is not None and busiest is not None, "the estate has no data centre or database"
    _impact_case("Data-centre outage", centre, actor, args.python_budget)
    _impact_case("One busy database", ConfigurationItem.objects.get(pk=busiest["target"]), actor, args.python_budget)
    print("\nreconciliation import (servers identified by native key, serial and FQDN)")
    _import_rate(actor)


if __name__ == "__main__":
    main()
