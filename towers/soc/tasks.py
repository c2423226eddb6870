"""Periodic jobs of the SOC (registered with core.schedule; the worker runs them): thin wrappers around services."""

from django_tasks import task

from towers.core import schedule
from towers.core.actor import Actor
from towers.soc.services.case_clocks import case_clocks_sweep
from towers.soc.services.correlations import correlation_matches_prune
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


@schedule.every(300)
@task()
def prune_correlation_matches() -> int:
    """Matches a correlation no longer waits on (outside its timespan) leave, so windows stay small."""
    try:
        return correlation_matches_prune()
    finally:
        schedule.again(prune_correlation_matches)
