"""Background jobs of the service desk: thin wrappers around its sweeps, each booking its next run."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from towers.core import schedule
from towers.core.actor import Actor
from towers.servicedesk.models import Notification
from towers.servicedesk.services.clocks import clocks_sweep
from towers.servicedesk.services.major import major_updates_overdue_notify
from towers.servicedesk.services.notify import notifications_send
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


@schedule.every(300)
@task()
def resend_unsent_mail() -> int:
    """Mail that failed to go (the relay was down) is retried until it goes."""
    try:
        # Older than a few minutes, so a message still being sent after its commit is not sent twice.
        settled = timezone.now() - timedelta(minutes=5)
        unsent = Notification.objects.filter(sent_at=None, created_at__lt=settled).exclude(email="").order_by("id")
        return notifications_send(ids=list(unsent.values_list("id", flat=True)[:500]))
    finally:
        schedule.again(resend_unsent_mail)


@schedule.every(60)
@task()
def remind_overdue_major_updates() -> int:
    try:
        return major_updates_overdue_notify(actor=Actor.system("major-updates"))
    finally:
        schedule.again(remind_overdue_major_updates)
