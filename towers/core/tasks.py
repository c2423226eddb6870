"""Background jobs of the core: thin wrappers around the outbox dispatcher."""

from django.db.models import Min
from django_tasks import task

from towers.core import events
from towers.core.models import OutboxEvent


@task()
def deliver_pending_events() -> int:
    delivered = events.deliver_all_pending()
    # Events whose handlers failed wait for their back-off; come back when the first is due.
    retry_at = OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).aggregate(at=Min("next_attempt_at"))["at"]
    if retry_at is not None:
        deliver_pending_events.using(run_after=retry_at).enqueue()
    return delivered
