"""Retention of the SOC's intake bookkeeping: evaluated-event markers outlive the stream's redelivery window only.

An EvaluatedEvent row exists so that a redelivered or duplicated stream message is recognised; once the
stream can no longer redeliver it, the row is dead weight (one per event, at stream rates).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation
from towers.soc.models import EvaluatedEvent

DEFAULT_RETENTION_DAYS = 7
CHUNK = 5000  # rows per delete: each chunk is its own short transaction, so a big table is not locked for long


def evaluated_retention() -> timedelta:
    return timedelta(days=getattr(settings, "TOWERS_SOC_EVALUATED_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def evaluated_events_prune(*, older_than: timedelta, actor: Actor | None = None, chunk: int = CHUNK) -> int:
    """Delete evaluated-event markers evaluated more than `older_than` ago, in chunks; return how many went.

    Each chunk is deleted and audited (per organisation, with the count and cutoff) in one transaction.
    """
    actor = actor or Actor.system("soc-retention")
    cutoff = timezone.now() - older_than
    old = EvaluatedEvent.objects.filter(evaluated_at__lt=cutoff)
    deleted = 0
    for organisation in Organisation.objects.filter(pk__in=old.values("organisation_id")).order_by("pk"):
        ensure_can(actor, "soc.tune", organisation)
        # Oldest first by primary key: markers are written in time order, so the scan finds them at once.
        mine = old.filter(organisation=organisation).order_by("pk")
        while ids := list(mine.values_list("pk", flat=True)[:chunk]):
            with transaction.atomic():
                count, _ = EvaluatedEvent.objects.filter(pk__in=ids).delete()
                after = {"deleted": count, "evaluated_before": cutoff}
                audit.record(actor, "soc.evaluated_events.pruned", organisation, after=after)
            deleted += count
    return deleted
