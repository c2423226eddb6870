"""Background jobs of the service desk: thin wrappers around its sweeps, each booking its next run."""

from django_tasks import task

from towers.core import schedule
from towers.core.actor import Actor
from towers.servicedesk.services.clocks import clocks_sweep
from towers.servicedesk.services.tickets import tickets_close_resolved


@schedule.every(60)
@task()
def sweep_clocks() -> int:
    """Warnings and breaches are told as time passes, not only when someone touches the ticket."""
    try:
        return clocks_sweep(actor=Actor.system("clocks"))
    finally:
        schedule.again(sweep_clocks)


@schedule.every(3600)
@task()
def close_resolved_tickets() -> int:
    try:
        return tickets_close_resolved(actor=Actor.system("auto-close"))
    finally:
        schedule.again(close_resolved_tickets)
