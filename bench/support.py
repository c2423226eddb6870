"""Shared set-up for benchmarks: Django on a throw-away database, and a timer that takes the best of runs."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable


def setup_django() -> None:
    """Point Django at a fresh SQLite file (or DATABASE_URL, if set) and migrate it."""
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='towers-bench-')}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "towers.settings.base")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of `runs` timings, in seconds: the least disturbed by a shared, noisy machine."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)
