"""Reads of transitions, already restricted to what the actor may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.transition.models import Transition, TransitionStep


def transition_list(*, actor: Actor, status: str = "") -> QuerySet[Transition]:
    qs = visible_to(actor, Transition.objects).select_related("outgoing", "incoming").prefetch_related("services")
    return qs.filter(status=status) if status else qs


def transition_get(*, actor: Actor, id: UUID | str) -> Transition:
    qs = Transition.objects.select_related("outgoing__tower", "incoming__tower").prefetch_related("services")
    return get_visible(actor, qs, pk=id)


def transition_steps(*, actor: Actor, transition: Transition) -> QuerySet[TransitionStep]:
    return visible_to(actor, TransitionStep.objects).filter(transition=transition)
