"""Background jobs of supplier integrations: thin wrappers around sending owed messages to partners."""

import logging

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from towers.core import schedule
from towers.integration.services.partner_delivery import partner_next_due_at, partners_deliver_all

logger = logging.getLogger(__name__)


@task()
def deliver_partner_messages() -> int:
    delivered = partners_deliver_all().delivered
    retry_at = partner_next_due_at()  # messages backing off come back when the first is due
    if retry_at is not None and not _waiting():
        deliver_partner_messages.using(run_after=retry_at).enqueue()
    return delivered


@schedule.every(60)
@task()
def sweep_partner_messages() -> int:
    """A worker killed mid-run leaves its task RUNNING forever; this sweep still sends what it owed."""
    try:
        return partners_deliver_all().delivered
    finally:
        schedule.again(sweep_partner_messages)


def _waiting() -> bool:
    return DBTaskResult.objects.ready().filter(task_path=deliver_partner_messages.module_path).exists()


def nudge_partner_delivery() -> None:
    """Queue one sending run after new messages were committed (one waiting run is enough)."""
    try:
        if not _waiting():
            deliver_partner_messages.enqueue()
    except Exception:  # the periodic sweep still sends them; never fail the outbox handler's commit
        logger.exception("could not enqueue partner delivery")
