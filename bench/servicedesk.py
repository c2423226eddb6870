"""Service desk at scale on PostgreSQL: raising tickets through the REST API, and a queue page at a million tickets.

    python -m bench.servicedesk [--reuse] [--clients 8] [--seconds 20] [--iterations 400] [--workers N]

PostgreSQL only. DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/towers_sd_bench, which is dropped
and created again unless --reuse (then the data already loaded is used, and loaded only if missing). The
benchmark migrates it, seeds the demo estate and bulk-loads the large service-desk history (a million tickets,
towers.demo.servicedesk), then measures:

(a) Raising tickets: `towers serve` (gunicorn) on that database, N client threads POSTing /api/v1/tickets with
    an agent's bearer tokens for S seconds. Each ticket is validated, routed by the assignment rules (most are
    handed off to a supplier), clocked by the engine, audited in the hash chain and its events written to the
    outbox, as in real use. Baseline: pgbench's TPC-B (scale 10, in its own database) with N clients for S
    seconds on the same server, in the same run. Ratio: tickets/s over TPC-B transactions/s (target >= 0.4).
(b) A queue page: ticket_queue(actor, QueueFilters(team=<busy team>, priorities=P1-P3, order="priority"))[:50]
    evaluated with its select_related, as the page runs it, against the bare SQL for the same page written by
    hand (the same EXISTS on the ticket's parties for the actor's organisations, filters, joins, ORDER BY and
    LIMIT), interleaved, several hundred times each, on the same connection. Ratio: ORM p95 over SQL p95
    (target <= 3). For the integrator's agent and for a supplier's resolver (the segregation path).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.support import setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/towers_sd_bench"
PGBENCH_DATABASE = "towers_sd_pgbench"
PRIORITIES = ("P1", "P2", "P3")


def _admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(parts._replace(scheme="postgresql", path="/postgres").geturl(), autocommit=True)


def _database(reuse: bool) -> str:
    """Point DATABASE_URL at the benchmark's PostgreSQL database, fresh unless --reuse; say which it is."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"bench.servicedesk runs on PostgreSQL only; DATABASE_URL is {url.split(':', 1)[0]}")
    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not reuse:
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    return f"{name} ({'kept from an earlier run' if exists and reuse else 'created by this run'})"


def _load(reuse: bool) -> None:
    """The demo estate, then the large service-desk history, each unless it is there."""
    from towers.demo.estate import seed
    from towers.demo.servicedesk import loaded, seed_history
    from towers.servicedesk.models import Ticket

    started = time.perf_counter()
    if seed("small").created:
        print(f"demo estate seeded in {time.perf_counter() - started:.0f} s")
    entry = loaded()
    if entry is not None:
        if not reuse:
            raise SystemExit("service-desk history is loaded in this database already: pass --reuse to use it")
        print(f"history reused: {(entry.after or {}).get('tickets', 0):,} tickets loaded {entry.at:%Y-%m-%d %H:%M}")
    else:
        shown = [-1]

        def progress(done: int, total: int) -> None:
            if done * 10 // total > shown[0]:
                shown[0] = done * 10 // total
                print(
                    f"  loading: {done:>10,} of {total:,} tickets ({time.perf_counter() - started:.0f} s)", flush=True
                )

        started = time.perf_counter()
        result = seed_history("large", progress)
        c = result.counts
        print(
            f"history loaded in {time.perf_counter() - started:.0f} s: {c['tickets']:,} tickets, {c['events']:,} "
            f"events, {c['handoffs']:,} hand-offs ({c['rejected']:,} rejected), {c['parties']:,} parties, "
            f"{c['breached']:,} breached, {c['open']:,} open"
        )
    if Ticket.objects.count() < 1_000_000:
        raise SystemExit("fewer than a million tickets: start from a fresh database (no --reuse)")


# -- (a) raising tickets through the API -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    towers = shutil.which("towers", path=str(Path(sys.executable).parent)) or "towers"
    command = [towers, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    server = subprocess.Popen(  # noqa: S603  (our own command)
        command,
        env=os.environ | {"LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    _stop(server)
    raise SystemExit("towers serve did not answer within a minute")


def _stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, 15)
    server.wait(timeout=30)


def _tokens(count: int) -> list[str]:
    from towers.core.actor import Channel
    from towers.organisations.models import ApiToken, Person
    from towers.organisations.selectors import actor_for
    from towers.organisations.services.tokens import token_create

    agent = actor_for(Person.objects.get(username="sd.agent"), channel=Channel.WEB)
    return [token_create(actor=agent, name=f"bench {n}", scope=ApiToken.Scope.WRITE)[1] for n in range(count)]


def _payloads() -> list[dict[str, Any]]:
    """What agents raise: an application fault (handed off to Apex), a laptop, a WAN link, one left to triage."""
    from towers.cmdb.models import ConfigurationItem
    from towers.contracts.models import Service

    service = dict(Service.objects.values_list("code", "id"))
    ci = dict(
        ConfigurationItem.objects.filter(name__in=["Crime records", "WAN Riverside", "LT-0003"]).values_list(
            "name", "id"
        )
    )
    cases = [
        ("Crime records: error when saving", 2, 2, "application-support", "Crime records"),
        ("Laptop LT-0003 very slow", 3, 3, "end-user", "LT-0003"),
        ("Network very slow at Riverside", 2, 3, "network", "WAN Riverside"),
        ("Cannot print from the custody suite", 3, 2, None, None),
    ]
    return [
        {
            "title": title,
            "description": "Raised by bench.servicedesk.",
            "impact": impact,
            "urgency": urgency,
            "service": str(service[code]) if code else None,
            "cis": [str(ci[name])] if name in ci else [],
        }
        for title, impact, urgency, code, name in cases
    ]


Send = Callable[[Any, int], Any]  # (httpx client, request number) -> response


def _clients(base: str, tokens: list[str], send: Send, seconds: float) -> tuple[Counter[int], list[float], float]:
    """One thread per token sends requests back to back until the time is up; statuses, latencies, elapsed."""
    import httpx

    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(tokens) + 1)
    stop_at = [0.0]

    def client(n: int, token: str) -> None:
        mine: Counter[int] = Counter()
        times: list[float] = []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            start.wait()
            i = n
            while time.perf_counter() < stop_at[0]:
                began = time.perf_counter()
                mine[send(http, i).status_code] += 1
                times.append(time.perf_counter() - began)
                i += 1
        with lock:
            statuses.update(mine)
            latencies.extend(times)

    threads = [threading.Thread(target=client, args=(n, t)) for n, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    return statuses, latencies, time.perf_counter() - began


def _create_rate(clients: int, seconds: float, workers: int, threads: int) -> float:
    from django.db import connection

    from towers.servicedesk.models import Ticket

    tokens, payloads = _tokens(clients), _payloads()

    def create(http: Any, i: int) -> Any:
        return http.post("/api/v1/tickets", json=payloads[i % len(payloads)])

    def health(http: Any, _i: int) -> Any:
        return http.get("/health")

    connection.close()  # the server's workers get the connections; this process needs none meanwhile
    port = _free_port()
    server = _serve(port, workers, threads)
    base = f"http://127.0.0.1:{port}"
    try:
        _clients(base, tokens, create, 3.0)  # warm up: every worker imports and connects
        pings, _latencies, ping_time = _clients(base, tokens, health, min(seconds, 5.0))
        before = Ticket.objects.count()
        statuses, latencies, elapsed = _clients(base, tokens, create, seconds)
        made = Ticket.objects.count() - before
    finally:
        _stop(server)
    rate = statuses[201] / elapsed
    errors = {code: n for code, n in statuses.items() if code != 201}
    p50, p95 = _percentiles(latencies)
    print(
        f"  {f'API, {clients} clients x {seconds:.0f} s':<28}: {rate:>9,.1f} tickets/s  ({statuses[201]:,} created, "
        f"{made:,} in the table; p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; gunicorn {workers} workers x "
        f"{threads} threads{f'; errors {errors}' if errors else ''})"
    )
    print(
        f"  {'for scale, GET /health':<28}: {pings[200] / ping_time:>9,.1f} requests/s (two queries, no auth: the "
        "most this machine's web tier serves)"
    )
    return rate


def _pgbench(clients: int, seconds: float) -> float:
    """TPC-B on the same server: pgbench -i -s 10 in its own database, then -c N -j N -T S."""
    if shutil.which("pgbench") is None:
        raise SystemExit("pgbench is not installed: apt-get install postgresql-client (or the server's contrib)")
    parts = urlsplit(os.environ["DATABASE_URL"])
    with _admin(os.environ["DATABASE_URL"]) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PGBENCH_DATABASE}")
    where = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    env = os.environ | ({"PGPASSWORD": parts.password} if parts.password else {})
    pgbench = shutil.which("pgbench") or "pgbench"
    initialise = [pgbench, *where, "-i", "-s", "10", "-q", PGBENCH_DATABASE]
    subprocess.run(initialise, env=env, check=True, capture_output=True)  # noqa: S603  (our own command)
    command = [pgbench, *where, "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)), PGBENCH_DATABASE]
    run = subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    if found is None:
        raise SystemExit(f"could not read pgbench's tps from:\n{run.stdout}")
    with _admin(os.environ["DATABASE_URL"]) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PGBENCH_DATABASE} WITH (FORCE)")
    tps = float(found.group(1))
    print(
        f"  {f'pgbench TPC-B, {clients} clients':<28}: {tps:>9,.1f} tps         (baseline; scale 10, {seconds:.0f} s)"
    )
    return tps


# -- (b) the queue page -------------------------------------------------------------------------------------------

BARE_QUEUE = """
SELECT t.*, tm.*, tmo.*, c.*, s.*, r.*, o.*, a.*
FROM servicedesk_ticket t
JOIN organisations_team tm ON tm.id = t.team_id
JOIN organisations_organisation tmo ON tmo.id = tm.organisation_id
LEFT JOIN servicedesk_category c ON c.id = t.category_id
LEFT JOIN contracts_service s ON s.id = t.service_id
LEFT JOIN organisations_person r ON r.id = t.requester_id
LEFT JOIN organisations_organisation o ON o.id = t.organisation_id
LEFT JOIN organisations_person a ON a.id = t.assignee_id
WHERE EXISTS (SELECT 1 FROM servicedesk_ticketparty p WHERE p.ticket_id = t.id AND p.organisation_id = ANY(%s))
  AND t.team_id = %s AND t.state = ANY(%s) AND t.priority = ANY(%s)
ORDER BY t.priority, t.opened_at, t.id
LIMIT 50
"""


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[94]


def _queue_case(label: str, actor: Any, team: Any, iterations: int, explain: bool) -> float:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from towers.core.actor import Sensitivity
    from towers.servicedesk.models.tickets import OPEN_STATES
    from towers.servicedesk.selectors import QueueFilters, ticket_queue

    filters = QueueFilters(team=team.id, priorities=PRIORITIES, order="priority")
    organisations = actor.scope.organisations(Sensitivity.OPERATIONAL)
    params = [list(organisations), team.id, [str(s) for s in OPEN_STATES], list(PRIORITIES)]

    def orm() -> list[Any]:
        return list(ticket_queue(actor=actor, filters=filters)[:50])

    def bare() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(BARE_QUEUE, params)
            return cursor.fetchall()

    with CaptureQueriesContext(connection) as queries:
        page = orm()
    rows = bare()
    if [t.id for t in page] != [row[0] for row in rows]:
        raise SystemExit(f"{label}: the ORM page and the bare SQL disagree")
    matching = ticket_queue(actor=actor, filters=filters).count()
    for _ in range(20):  # warm up both: caches, plans, the connection
        orm(), bare()
    timings: dict[str, list[float]] = {"orm": [], "sql": []}
    for n in range(iterations):
        for name, run in (("orm", orm), ("sql", bare)) if n % 2 else (("sql", bare), ("orm", orm)):
            began = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - began)
    (orm50, orm95), (sql50, sql95) = _percentiles(timings["orm"]), _percentiles(timings["sql"])
    print(f"\n  {label}: team {team.name} ({matching:,} open P1-P3 tickets visible, a page of {len(page)})")
    print(f"    ticket_queue()[:50], {len(queries)} query : p50 {orm50 * 1000:7.2f} ms  p95 {orm95 * 1000:7.2f} ms")
    print(f"    bare SQL (baseline)        : p50 {sql50 * 1000:7.2f} ms  p95 {sql95 * 1000:7.2f} ms")
    print(f"    ratio: ORM p95 is {orm95 / sql95:.2f}x the bare SQL's (p50 {orm50 / sql50:.2f}x)")
    if explain:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + BARE_QUEUE, params)
            print("\n".join("      " + line for (line,) in cursor.fetchall()))
    return orm95 / sql95


def _queue(iterations: int, explain: bool) -> None:
    from django.db.models import Count

    from towers.core.actor import Channel
    from towers.organisations.models import Person, Team
    from towers.organisations.selectors import actor_for
    from towers.servicedesk.models import Ticket
    from towers.servicedesk.models.tickets import OPEN_STATES

    open_work = Ticket.objects.filter(state__in=OPEN_STATES, priority__in=PRIORITIES)
    busiest = open_work.values("team").annotate(n=Count("id")).order_by("-n").first()
    if busiest is None:
        raise SystemExit("no open P1-P3 tickets to queue")
    agent = actor_for(Person.objects.get(username="sd.agent"), channel=Channel.WEB)
    resolver = actor_for(Person.objects.get(username="apps.resolver"), channel=Channel.WEB)
    _queue_case("integrator's agent", agent, Team.objects.get(pk=busiest["team"]), iterations, explain)
    _queue_case("Apex's resolver (segregated)", resolver, Team.objects.get(code="apex-crime"), iterations, explain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="keep the database and the data loaded in it")
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients, and pgbench clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long each throughput run lasts")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--iterations", type=int, default=400, help="queue pages timed on each side")
    parser.add_argument("--explain", action="store_true", help="print the bare queue SQL's plan")
    parser.add_argument("--part", choices=("a", "b", "all"), default="all", help="run only (a) or (b)")
    args = parser.parse_args()
    where = _database(args.reuse)
    setup_django()

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers')")
        version, buffers = cursor.fetchone()
    print(f"database: PostgreSQL {version} (shared_buffers {buffers}), {where}; {os.cpu_count()} CPUs")
    _load(args.reuse)

    if args.part in ("a", "all"):
        print("\n(a) Raising tickets through the REST API (routed, clocked, audited, outbox)")
        rate = _create_rate(args.clients, args.seconds, args.workers, args.threads)
        tps = _pgbench(args.clients, args.seconds)
        print(f"  ratio: {rate / tps:.3f} of pgbench's TPC-B rate (target >= 0.4)")
    if args.part in ("b", "all"):
        print("\n(b) A queue page at a million tickets: 50 open P1-P3 tickets of a busy team, by priority")
        _queue(args.iterations, args.explain)


if __name__ == "__main__":
    main()
