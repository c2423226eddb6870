"""Hand-offs between organisations: sent with a reason, accepted or rejected by the receiving team.

A hand-off moves the ticket to the receiving team at once (its OLA clock starts), so the queue shows
who holds it; rejection sends it back to the team it came from with the reason. Every move between
organisations is a hop; enough moves between the same two organisations flag the ticket as ping-pong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes
from towers.organisations.models import Team
from towers.servicedesk.models import HandOff, State, Ticket, TicketEvent
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.timeline import record_event


def release_holder(ticket: Ticket, at: datetime) -> None:
    """The organisation holding the ticket stops holding it (handed on, returned or resolved): its OLA stops."""
    HandOff.objects.filter(ticket=ticket, released_at__isnull=True, to_organisation_id=ticket.organisation_id).update(
        released_at=at
    )


def _moves_between(ticket: Ticket, a: object, b: object) -> int:
    pair = Q(from_organisation_id=a, to_organisation_id=b) | Q(from_organisation_id=b, to_organisation_id=a)
    sent = HandOff.objects.filter(pair, ticket=ticket).count()
    returned = HandOff.objects.filter(pair, ticket=ticket, status=HandOff.Status.REJECTED).count()
    return sent + returned


def _flag_hop(ticket: Ticket, from_org: object, to_org: object) -> dict[str, object]:
    changes: dict[str, object] = {"hop_count": ticket.hop_count + 1}
    if from_org is not None and from_org != to_org:
        changes["crossed_suppliers"] = True
        if _moves_between(ticket, from_org, to_org) >= desk_settings().ping_pong_threshold:
            changes["ping_pong"] = True
    return changes


def hand_off_in_transaction(
    *, ticket: Ticket, to_team: Team, reason: str, actor: Actor, audit_later: list[Callable[[], object]] | None = None
) -> HandOff:
    """The hand-off itself, for callers already inside a ticket write that checked permission (routing on create).

    `audit_later` collects the audit entry for the caller to write last, so the audit chain's lock (which
    serialises every writer) is held for the shortest time.
    """
    now = timezone.now()
    from_team, from_org = ticket.team, ticket.organisation_id
    HandOff.objects.filter(ticket=ticket, status=HandOff.Status.PENDING).update(
        status=HandOff.Status.SUPERSEDED, decided_at=now, released_at=now
    )
    release_holder(ticket, now)
    handoff = HandOff.objects.create(
        ticket=ticket,
        from_team=from_team,
        from_organisation_id=from_org,
        to_team=to_team,
        to_organisation_id=to_team.organisation_id,
        reason=reason,
        sent_by=actor.label,
    )
    changes = {"team": to_team, "organisation": to_team.organisation, "assignee": None, "state": State.ASSIGNED}
    before, after = apply_changes(ticket, changes | _flag_hop(ticket, from_org, to_team.organisation_id))
    from towers.servicedesk.services.tickets import add_parties

    add_parties(ticket, [to_team.organisation_id])
    record_event(
        ticket, TicketEvent.Kind.HANDED_OFF, actor, body=reason, data={"handoff": str(handoff.id), "to": str(to_team)}
    )
    entry = partial(audit.record, actor, "ticket.handed_off", ticket, before=before, after={**after, "reason": reason})
    if audit_later is None:
        entry()
    else:
        audit_later.append(entry)
    events.emit(
        "servicedesk.ticket.handed_off",
        key=str(ticket.id),
        ticket_id=str(ticket.id),
        handoff_id=str(handoff.id),
        to_team=str(to_team.id),
    )
    return handoff


def ticket_hand_off(*, actor: Actor, ticket: Ticket, to_team: Team, reason: str) -> HandOff:
    """Send a ticket to another organisation's team; it waits there until accepted or rejected."""
    ensure_can(actor, "ticket.hand_off", ticket)
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why the ticket is being handed off")
    if not ticket.is_open:
        raise ValidationFailed.one("state", f"a {ticket.get_state_display().lower()} ticket cannot be handed off")
    if to_team.id == ticket.team_id:
        raise ValidationFailed.one("team", f"{to_team} already holds the ticket")
    if not to_team.is_active:
        raise ValidationFailed.one("team", f"{to_team} is not active")
    with transaction.atomic():
        handoff = hand_off_in_transaction(ticket=ticket, to_team=to_team, reason=reason.strip(), actor=actor)
        ticket_clocks_recompute(ticket=ticket, actor=actor)
    return handoff


def _ensure_receiver(actor: Actor, handoff: HandOff) -> None:
    ensure_can(actor, "ticket.work", handoff.ticket)
    if handoff.status != HandOff.Status.PENDING:
        raise ValidationFailed.one("status", f"this hand-off is already {handoff.get_status_display().lower()}")
    if not actor.is_system and actor.organisation_id != handoff.to_organisation_id:
        raise Forbidden("Only the receiving organisation can accept or reject a hand-off.")


def handoff_accept(*, actor: Actor, handoff: HandOff, note: str = "") -> HandOff:
    """The receiving team takes the ticket on: it is in progress with them (their response clock stops)."""
    _ensure_receiver(actor, handoff)
    ticket, now = handoff.ticket, timezone.now()
    with transaction.atomic():
        HandOff.objects.filter(pk=handoff.pk).update(
            status=HandOff.Status.ACCEPTED, decided_by=actor.label, decided_at=now, response=note
        )
        handoff.refresh_from_db()
        changes: dict[str, object] = {"state": State.IN_PROGRESS, "pending_reason": ""}
        if ticket.responded_at is None:
            changes["responded_at"] = now
        if actor.person_id and ticket.assignee_id is None:
            changes["assignee_id"] = actor.person_id
        _before, after = apply_changes(ticket, changes)
        record_event(ticket, TicketEvent.Kind.ACCEPTED, actor, body=note, data={"handoff": str(handoff.id)})
        audit.record(actor, "handoff.accepted", handoff, after={"ticket": ticket.reference, **after})
        events.emit(
            "servicedesk.handoff.accepted", key=str(ticket.id), ticket_id=str(ticket.id), handoff_id=str(handoff.id)
        )
        ticket_clocks_recompute(ticket=ticket, actor=actor)
    return handoff


def handoff_reject(*, actor: Actor, handoff: HandOff, reason: str) -> HandOff:
    """Refuse the work: the ticket returns to the team that sent it, with the reason on its timeline."""
    _ensure_receiver(actor, handoff)
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why the hand-off is rejected")
    ticket, now = handoff.ticket, timezone.now()
    back = handoff.from_team or desk_settings().triage_team
    if back is None:
        raise ValidationFailed.one("team", "there is no team to return the ticket to")
    with transaction.atomic():
        HandOff.objects.filter(pk=handoff.pk).update(
            status=HandOff.Status.REJECTED, decided_by=actor.label, decided_at=now, response=reason, released_at=now
        )
        handoff.refresh_from_db()
        changes = {"team": back, "organisation": back.organisation, "assignee": None, "state": State.ASSIGNED}
        _before, after = apply_changes(
            ticket, changes | _flag_hop(ticket, handoff.to_organisation_id, back.organisation_id)
        )
        record_event(
            ticket,
            TicketEvent.Kind.REJECTED,
            actor,
            body=reason.strip(),
            data={"handoff": str(handoff.id), "to": str(back)},
        )
        audit.record(actor, "handoff.rejected", handoff, after={"ticket": ticket.reference, "reason": reason, **after})
        events.emit(
            "servicedesk.handoff.rejected",
            key=str(ticket.id),
            ticket_id=str(ticket.id),
            handoff_id=str(handoff.id),
            to_team=str(back.id),
        )
        ticket_clocks_recompute(ticket=ticket, actor=actor)
    return handoff
