"""Reads of the mail the desk received: what became tickets or comments, and what was set aside and why."""

from __future__ import annotations

from django.db.models import QuerySet

from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import get_visible, visible_to
from towers.core.roles import Role
from towers.servicedesk.models import InboundMail

MAIL_READERS = (Role.AGENT, Role.SERVICE_MANAGER, Role.TEAM_LEAD, Role.ADMINISTRATOR, Role.AUDITOR)


def _ensure_reader(actor: Actor) -> None:
    # Mail may hold anything its sender wrote: the desk's own staff and auditors read it, not every resolver.
    if not actor.has_role(*MAIL_READERS):
        raise Forbidden("Received mail is read by the service desk and auditors.")


def inbound_mail_list(*, actor: Actor, outcome: str = "") -> QuerySet[InboundMail]:
    _ensure_reader(actor)
    mail = visible_to(actor, InboundMail.objects).select_related("ticket").defer("raw")
    return (mail.filter(outcome=outcome) if outcome else mail).order_by("-received_at", "-id")


def inbound_mail_get(*, actor: Actor, id: int) -> InboundMail:
    _ensure_reader(actor)
    return get_visible(actor, InboundMail.objects.select_related("ticket"), pk=id)
