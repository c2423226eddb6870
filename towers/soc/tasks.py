"""Periodic jobs of the SOC (registered with core.schedule; the worker runs them): thin wrappers around services."""

from django_tasks import task

from towers.core import schedule
from towers.core.actor import Actor
from towers.soc.services.case_clocks import case_clocks_sweep
from towers.soc.services.retention import evaluated_events_prune, evaluated_retention


@schedule.every(60)
@task()
def sweep_case_clocks() -> int:
    """Case clock warnings and breaches are told as time passes, not only when someone touches the case."""
    try:
        return case_clocks_sweep(actor=Actor.system("case-clocks"))
    finally:
        schedule.again(sweep_case_clocks)


@schedule.every(24 * 3600)
@task()
def prune_evaluated_events() -> int:
    try:
        return evaluated_events_prune(older_than=evaluated_retention(), actor=Actor.system("soc-retention"))
    finally:
        schedule.again(prune_evaluated_events)
