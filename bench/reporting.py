"""Building a month's service review pack at the large demo's size, against the time of its SQL alone.

    python -m bench.reporting [--reuse] [--runs 3]

PostgreSQL, on bench.servicedesk's database (DATABASE_URL, default towers_sd_bench): the demo estate and the
large service-desk history, a million tickets, loaded unless --reuse finds them there. For the authority's
administrator it builds the pack of the history's busiest complete month, for the whole estate and for one
supplier (Apex), recording every SQL statement the builder sends; then it sends those same statements, with the
same parameters, straight through a cursor and reads every row. Ratio: the builder's time over its SQL's time
(what the Python around the queries costs), best of N runs each, in the same run on the same connection.
"""

from __future__ import annotations

import argparse
from datetime import date
from functools import partial
from typing import Any

from bench.support import best_of, setup_django


def _busiest_month() -> date:
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from towers.servicedesk.models import Ticket

    months = (
        Ticket.objects.annotate(month=TruncMonth("opened_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-month")
    )
    rows = list(months[1:13])  # complete months only: the newest is still running
    if not rows:
        raise SystemExit("no tickets: load the history first (without --reuse)")
    busiest = max(rows, key=lambda row: row["n"])["month"]
    return date(busiest.year, busiest.month, 1)


def _statements(build: Any) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        build()
    return [query["sql"] for query in captured.captured_queries]


def _replay(statements: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="use the database an earlier run loaded")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from bench import servicedesk

    print(f"database: {servicedesk._database(args.reuse)}")
    setup_django()
    servicedesk._load(args.reuse)

    from towers.core.actor import Channel
    from towers.organisations.models import Organisation, Person
    from towers.organisations.selectors import actor_for
    from towers.reporting.selectors_pack import build_pack

    authority = Organisation.objects.get(code="northshire-police")
    actor = actor_for(Person.objects.get(username="admin"), organisation=authority, channel=Channel.JOB)
    month = _busiest_month()
    print(f"month: {month:%B %Y}; reader: {actor.label} (the authority sees everything)")
    print(f"{'pack':<18}{'queries':>8}{'builder':>12}{'SQL alone':>12}{'ratio':>8}")
    for label, supplier in (("whole estate", None), ("Apex", Organisation.objects.get(code="apex"))):

        def build(supplier: Organisation | None = supplier) -> object:
            return build_pack(actor=actor, month=month, supplier=supplier)

        build()  # warm the caches, as a page served twice would
        statements = _statements(build)
        built = best_of(args.runs, build)
        replayed = best_of(args.runs, partial(_replay, statements))
        print(f"{label:<18}{len(statements):>8}{built:>11.2f}s{replayed:>11.2f}s{built / replayed:>8.2f}")


if __name__ == "__main__":
    main()
