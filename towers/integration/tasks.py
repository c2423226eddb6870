"""Background jobs of the integration hub: thin wrappers around webhook delivery."""

import logging

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from towers.core import schedule
from towers.integration.services.delivery import next_due_at, webhooks_deliver_all

logger = logging.getLogger(__name__)


@task()
def deliver_webhooks() -> int:
    delivered = webhooks_deliver_all().delivered
    # Messages backing off come back when the first is due (the periodic sweep covers a lost run).
    retry_at = next_due_at()
    if retry_at is not None and not _waiting():
        deliver_webhooks.using(run_after=retry_at).enqueue()
    return delivered


@schedule.every(60)
@task()
def sweep_webhooks() -> int:
    """A worker killed mid-run leaves its task RUNNING forever; this sweep still delivers what it owed."""
    try:
        return webhooks_deliver_all().delivered
    finally:
        schedule.again(sweep_webhooks)


def _waiting() -> bool:
    return DBTaskResult.objects.ready().filter(task_path=deliver_webhooks.module_path).exists()


def nudge_webhook_delivery() -> None:
    """Queue one delivery run after new messages were committed (one waiting run is enough)."""
    try:
        if not _waiting():
            deliver_webhooks.enqueue()
    except Exception:  # the periodic sweep still delivers them; never fail the outbox handler's commit
        logger.exception("could not enqueue webhook delivery")
