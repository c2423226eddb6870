"""Periodic background jobs: each app registers its own; the worker starts them and each run books the next.

There is no separate scheduler process: a periodic task re-enqueues itself (`again`) with `run_after`,
and a worker starting up enqueues any registered task that has no run waiting, so a job survives
worker restarts without ever running twice in parallel from two starts.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

_periodic: dict[str, tuple[Any, float]] = {}


def every(seconds: float) -> Any:
    """Register a django-tasks task to run every `seconds` once a worker is up."""

    def register(task: Any) -> Any:
        _periodic[task.module_path] = (task, seconds)
        return task

    return register


def _waiting(task: Any) -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task.module_path, status__in=["READY", "RUNNING"]).exists()


def start_periodic() -> int:
    """Enqueue every registered periodic task that has no run waiting; return how many were started."""
    started = 0
    for task, _seconds in _periodic.values():
        if not _waiting(task):
            task.enqueue()
            started += 1
    return started


def again(task: Any) -> None:
    """Book the next run of a periodic task, from inside its current run."""
    _task, seconds = _periodic[task.module_path]
    task.using(run_after=timezone.now() + timedelta(seconds=seconds)).enqueue()
