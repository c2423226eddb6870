"""Reads of major incidents, restricted to the actor: the board, one incident, its updates and actions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.servicedesk.models import MajorIncident, ReviewAction, StakeholderUpdate

MAJOR_RELATED = ("ticket__service", "ticket__team__organisation", "ticket__organisation", "manager")


def majors_list(*, actor: Actor, status: str = "") -> QuerySet[MajorIncident]:
    """The board: active majors first, the most overdue update first, then the most recently declared."""
    qs = visible_to(actor, MajorIncident.objects).select_related(*MAJOR_RELATED)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "next_update_due", "-declared_at")


def major_get(*, actor: Actor, id: UUID | str) -> MajorIncident:
    return get_visible(actor, MajorIncident.objects.select_related(*MAJOR_RELATED), pk=id)


def major_updates(*, actor: Actor, major: MajorIncident) -> list[StakeholderUpdate]:
    return list(visible_to(actor, StakeholderUpdate.objects).filter(major=major).order_by("-created_at"))


def major_actions(*, actor: Actor, major: MajorIncident) -> list[ReviewAction]:
    return list(visible_to(actor, ReviewAction.objects).filter(major=major).select_related("ticket"))


def majors_overdue(now: datetime, *, actor: Actor | None = None) -> QuerySet[MajorIncident]:
    """Active majors whose next stakeholder update was due before `now` (all of them for a sweep)."""
    qs = MajorIncident.objects.all() if actor is None else visible_to(actor, MajorIncident.objects)
    return (
        qs.filter(status=MajorIncident.Status.ACTIVE, next_update_due__lt=now)
        .select_related("ticket", "manager")
        .order_by("next_update_due")
    )
