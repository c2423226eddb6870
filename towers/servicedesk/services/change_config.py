"""The change calendar's reference data: freeze windows and standard change templates, kept by desk administrators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.audit import snapshot
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import validate
from towers.organisations.models import Team
from towers.servicedesk.models import ChangeTemplate, FreezeWindow
from towers.servicedesk.models.changes import Risk

TEMPLATE_FIELDS = ["code", "name", "service", "team", "risk", "is_active"]


def freeze_window_create(
    *,
    actor: Actor,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    services: Iterable[Service] = (),
    reason: str = "",
) -> FreezeWindow:
    """A period without changes to the given services (to everything when none are given)."""
    window = FreezeWindow(name=name.strip(), starts_at=starts_at, ends_at=ends_at, reason=reason)
    ensure_can(actor, "desk.configure", window)
    if ends_at <= starts_at:
        raise ValidationFailed.one("ends_at", "the freeze must end after it starts")
    validate(window)
    services = list(services)
    with transaction.atomic():
        window.save(force_insert=True)
        window.services.set(services)
        after = {**snapshot(window, ["name", "starts_at", "ends_at"]), "services": [str(s.pk) for s in services]}
        audit.record(actor, "freeze_window.created", window, after=after)
        events.emit("servicedesk.freeze_window.created", key=str(window.pk), freeze_window_id=str(window.pk))
    return window


def change_template_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    implementation_plan: str,
    backout_plan: str,
    test_plan: str = "",
    risk: str = Risk.LOW,
    service: Service | None = None,
    team: Team | None = None,
) -> ChangeTemplate:
    """A standard change, approved once here for every later use; so only low or medium risk work qualifies."""
    template = ChangeTemplate(
        code=code,
        name=name.strip(),
        implementation_plan=implementation_plan,
        backout_plan=backout_plan,
        test_plan=test_plan,
        risk=risk,
        service=service,
        team=team,
    )
    ensure_can(actor, "desk.configure", template)
    if risk not in (Risk.LOW, Risk.MEDIUM):
        raise ValidationFailed.one("risk", "a standard change is low or medium risk; riskier work goes to the CAB")
    validate(template)
    with transaction.atomic():
        template.save(force_insert=True)
        audit.record(actor, "change_template.created", template, after=snapshot(template, TEMPLATE_FIELDS))
        events.emit("servicedesk.change_template.created", key=str(template.pk), template_id=str(template.pk))
    return template
