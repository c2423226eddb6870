"""Syslog intake parsing on one core: a mix of RFC 5424, RFC 3164 and syslog-carried CEF lines.

python -m bench.soc_intake [--lines N] [--seed N]

Two baselines are measured in the same run on the same messages: `json.loads` of each message's fields already
encoded as JSON (what a JSON-speaking sender would cost us), and a naive regex-only parser (one pattern per format,
no structured-data unescaping, no timestamps, no quarantine reasons). The ratio is time per line against each.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from datetime import UTC, datetime

from bench.support import best_of
from towers.soc.intake.event import Quarantined
from towers.soc.intake.listener import parse_frame

HOSTS = ("web01", "db-2.example.org", "fw-edge", "dc01.corp.local")
APPS = ("sshd", "sudo", "nginx", "kernel", "CRON")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_NAIVE_5424 = re.compile(r"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+) ?(.*)", re.S)
_NAIVE_3164 = re.compile(r"<(\d{1,3})>(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^:\[]+)(?:\[(\d+)\])?: (.*)", re.S)
_NAIVE_CEF = re.compile(r"CEF:(\d+)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|(.*)", re.S)


def lines(count: int, rng: random.Random) -> list[bytes]:
    """40% RFC 5424 (half with structured data), 40% RFC 3164, 20% CEF in a BSD syslog header."""
    out = []
    for i in range(count):
        host, app, pid = rng.choice(HOSTS), rng.choice(APPS), rng.randint(100, 99999)
        kind = rng.random()
        if kind < 0.4:
            sd = f'[origin@32473 ip="10.0.{i % 250}.{pid % 250}" seq="{i}"]' if i % 2 else "-"
            line = (
                f"<{rng.randint(0, 191)}>1 2026-11-{1 + i % 28:02d}T12:{i % 60:02d}:07.{i % 1000:03d}Z {host} {app} "
                f"{pid} ID{i % 50} {sd} Accepted publickey for user{i % 97} from 10.1.{i % 250}.9 port {pid}"
            )
        elif kind < 0.8:
            line = (
                f"<{rng.randint(0, 191)}>{rng.choice(MONTHS)} {1 + i % 28:2d} 0{i % 10}:1{i % 10}:2{i % 10} {host} "
                f"{app}[{pid}]: session opened for user root by (uid={i % 1000})"
            )
        else:
            line = (
                f"<134>Nov {1 + i % 28:2d} 08:26:10 {host} CEF:0|Security|threatmanager|1.0|{100 + i % 9}|"
                f"worm successfully stopped|{i % 11}|src=10.0.0.{i % 250} dst=2.1.2.{i % 250} spt={pid} "
                f"msg=Detected a threat. No action needed cs1Label=policy cs1=default"
            )
        out.append(line.encode())
    return out


def naive(line: bytes) -> dict[str, str] | None:
    text = line.decode("utf-8", "replace")
    cef = text.find("CEF:")
    for pattern, at in ((_NAIVE_CEF, cef),) if cef >= 0 else ((_NAIVE_5424, 0), (_NAIVE_3164, 0)):
        match = pattern.match(text, at)
        if match:
            return {str(i): g for i, g in enumerate(match.groups())}
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    sample = lines(args.lines, random.Random(args.seed))
    received_at = datetime(2026, 11, 30, tzinfo=UTC)
    parsed = [parse_frame(line, received_at=received_at) for line in sample]
    quarantined = sum(isinstance(result, Quarantined) for result in parsed)
    assert quarantined == 0, f"{quarantined} benchmark lines quarantined: the generator and parser disagree"
    as_json = [json.dumps(r.fields, default=str).encode() for r in parsed if not isinstance(r, Quarantined)]
    assert all(naive(line) is not None for line in sample), "the naive baseline must parse every line too"

    ours = best_of(5, lambda: [parse_frame(line, received_at=received_at) for line in sample])
    json_time = best_of(5, lambda: [json.loads(doc) for doc in as_json])
    regex_time = best_of(5, lambda: [naive(line) for line in sample])
    n = len(sample)
    print(f"lines: {n} (40% RFC 5424, 40% RFC 3164, 20% CEF in syslog), one core")
    print(f"json.loads of same fields : {n / json_time:10.0f} lines/s  (baseline)")
    print(f"naive regex, no SD/times  : {n / regex_time:10.0f} lines/s  (baseline)")
    print(
        f"towers parse_frame        : {n / ours:10.0f} lines/s  ratio {ours / json_time:.2f}x json.loads time, "
        f"{ours / regex_time:.2f}x naive regex time  (target >= 50,000 lines/s)"
    )


if __name__ == "__main__":
    main()
