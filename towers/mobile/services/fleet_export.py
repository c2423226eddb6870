"""Record who exported the fleet: device rows name the officers who carry them, so every export is audited."""

from __future__ import annotations

from django.db import transaction

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.organisations.models import Organisation


def fleet_export_record(*, actor: Actor, export: str, file_format: str, filters: dict[str, str], rows: int) -> None:
    """One audit entry, on the actor's organisation, saying what was exported, filtered how, and how much of it."""
    if actor.organisation_id is None:  # the entry hangs on the exporter's organisation: a system job has none
        raise Forbidden("Only a person acting for an organisation may export the fleet.")
    with transaction.atomic():
        organisation = Organisation.objects.get(pk=actor.organisation_id)
        after = {"export": export, "format": file_format, "filters": filters, "rows": rows}
        audit.record(actor, "mobile.fleet_exported", organisation, after=after)
