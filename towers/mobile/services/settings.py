"""An owner's mobile settings: where losses, swaps and repairs go, and when devices are due for refresh."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.mobile.models import MobileSettings
from towers.mobile.policies import CONFIGURE_FLEET
from towers.mobile.services.devices import only_fields
from towers.organisations.models import Organisation, Team

FIELDS = [
    "incident_service", "loss_impact", "loss_urgency", "wipe_team", "wipe_service", "line_service",
    "logistics_team", "repair_team", "lifecycle_service", "security_organisation", "refresh_after_months",
    "support_warning_days",
]  # fmt: skip


def mobile_settings_update(
    *,
    actor: Actor,
    organisation: Organisation,
    changes: dict[str, Any],
    line_teams: list[Team] | None = None,
    expected_version: int | None = None,
) -> MobileSettings:
    """Change (creating on first use) `organisation`'s settings; `line_teams` replaces the operators' teams."""
    only_fields(changes, FIELDS)
    for name in ("loss_impact", "loss_urgency"):
        if name in changes and changes[name] not in (1, 2, 3):
            raise ValidationFailed.one(name, "must be 1 (high), 2 or 3 (low)")
    if line_teams is not None and len({team.organisation_id for team in line_teams}) < len(line_teams):
        raise ValidationFailed.one("line_teams", "one team per network operator")
    with transaction.atomic():
        settings, created = MobileSettings.objects.select_for_update().get_or_create(organisation=organisation)
        ensure_can(actor, CONFIGURE_FLEET, settings)
        before, after = apply_changes(settings, changes, expected_version=None if created else expected_version)
        validate(settings)
        if line_teams is not None:
            old = sorted(str(t) for t in settings.line_teams.all())
            settings.line_teams.set(line_teams)
            if old != sorted(str(t) for t in line_teams):
                before["line_teams"], after["line_teams"] = old, sorted(str(t) for t in line_teams)
        if after or created:
            audit.record(actor, "mobile.settings.updated", settings, before=before, after=after)
    return settings
