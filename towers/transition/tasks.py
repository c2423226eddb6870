"""Periodic job of transitions (registered with core.schedule; the worker runs it): a thin wrapper."""

from django_tasks import task

from towers.core import schedule
from towers.core.actor import Actor
from towers.transition.services.move import transitions_apply_due


@schedule.every(60)
@task()
def apply_due_transitions() -> int:
    """Scheduled transitions are applied at their effective date, not when someone next looks."""
    try:
        return transitions_apply_due(actor=Actor.system("transition-worker"))
    finally:
        schedule.again(apply_due_transitions)
