"""The integrations step of a transition: the moved tickets leave the outgoing supplier's tool for the incoming one's.

It runs once the tickets are handed over. The incoming supplier's tool is given the teams taking over (when there is
one obvious tool), then each moved ticket is bonded to it here, in the move's own transaction: the dry run shows the
bonds, apply owes the creates at once, and the outbox handler for the same hand-offs, running later, finds the bonds
active and owes nothing more.
"""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from towers.contracts.models import Service, ServiceOffering
from towers.integration.models import WebhookSubscription
from towers.integration.models_partners import PartnerIntegration, TicketBond
from towers.integration.services.partner_admin import partner_integration_update
from towers.integration.services.partner_outbound import integrations_for_team, ticket_bonds_sync
from towers.integration.services.subscriptions import webhook_subscription_update
from towers.integration.tasks_partners import nudge_partner_delivery
from towers.organisations.models import Team
from towers.servicedesk.models import Ticket
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.transition.services.rehome import Move


def integrations_repoint(move: Move) -> None:
    """Pause the moved tickets' bonds to the outgoing tool, give the incoming tool the teams taking over and bond the
    tickets to it, pause the outgoing supplier's tools if it has left, and say what is left to set up."""
    outgoing_tools = list(PartnerIntegration.objects.filter(organisation=move.outgoing, active=True).order_by("name"))
    hooks = list(WebhookSubscription.objects.filter(organisation=move.outgoing, active=True).order_by("name"))
    _pause_outgoing_bonds(move)
    _cover_incoming_teams(move)  # while the outgoing tools are active: which teams they served is read from them
    bonded_through = _bond_moved_tickets(move)
    _pause_if_left(move, outgoing_tools, hooks)
    _say_what_to_set_up(move, outgoing_tools, hooks, bonded_through)


def _pause_outgoing_bonds(move: Move) -> None:
    bonds = TicketBond.objects.filter(
        ticket_id__in=move.moved_tickets, active=True, integration__organisation=move.outgoing
    )
    for bond in bonds.select_related("integration", "ticket"):
        bond.active = False
        bond.save(update_fields=["active"])
        label = f"{bond.ticket.reference} ↔ {bond.integration.name}"
        after = {"active": False, "ticket": bond.ticket.reference}
        move.changed("bond_paused", bond, {"active": True}, after, label=label)


def _teams_losing_a_tool(move: Move) -> list[Team]:
    """Incoming teams taking over from a team the outgoing supplier's tool served, that no incoming tool serves:
    without one, the hand-offs the outgoing supplier's people worked in their own tool would reach no tool at all."""
    losing: dict[UUID, Team] = {}
    for out_team in Team.objects.filter(id__in=move.targets).order_by("code"):
        into = move.targets[out_team.id]
        if integrations_for_team(out_team) and not integrations_for_team(into):
            losing[into.id] = into
    return list(losing.values())


def _cover_incoming_teams(move: Move) -> None:
    tools = list(PartnerIntegration.objects.filter(organisation=move.incoming, active=True).order_by("name"))
    for team in _teams_losing_a_tool(move):
        if len(tools) == 1:
            _add_team(move, tools[0], team)
        elif tools:
            move.report.to_set_up.append(
                f"Team {team.code} ({team}) takes over work {move.outgoing}'s tool received, but no tool of "
                f"{move.incoming} takes its hand-offs: add it to one of {', '.join(t.name for t in tools)}"
            )
        # With no tool at all, the line naming each outgoing tool to replace says so.


def _add_team(move: Move, tool: PartnerIntegration, team: Team) -> None:
    teams = list(tool.teams.order_by("code"))
    partner_integration_update(actor=move.actor, integration=tool, changes={}, teams=[*teams, team])
    before = [t.code for t in teams]
    move.report.add("integration_repointed", tool, {"teams": before}, {"teams": sorted([*before, team.code])})


def _bond_moved_tickets(move: Move) -> set[str]:
    """Bond each moved ticket to the incoming tool serving its new team; returns the names of the tools bonded to."""
    bonded_through: set[str] = set()
    moved = Ticket.objects.filter(id__in=move.moved_tickets).select_related("team", "requester_organisation")
    for ticket in moved.order_by("opened_at"):
        for message in ticket_bonds_sync(ticket=ticket, reason=move.reason, actor=move.actor):
            if message.bond is None:  # never: every message owed by a sync is about its bond
                continue
            kind = "bond_created" if message.operation == "create" else "bond_resumed"
            name = message.integration.name
            bonded_through.add(name)
            after = {"ticket": ticket.reference, "integration": name, "owed": message.operation}
            # The sync audits as the partners job; this entry says the transition, and who ran it, made the bond.
            move.changed(kind, message.bond, None, after, label=f"{ticket.reference} → {name}")
    if move.moved_tickets and not move.report.dry_run:
        transaction.on_commit(nudge_partner_delivery)  # send the creates now, not at the next sweep
    return bonded_through


def _still_working(move: Move) -> list[str]:
    """What the outgoing supplier still does once the services have gone (none: it has left)."""
    out = move.outgoing
    reasons = []
    if n := Ticket.objects.filter(organisation=out, state__in=OPEN_STATES).count():
        reasons.append(f"holds {n} other open ticket(s)")
    if n := ServiceOffering.objects.filter(supplier=out).count() + Service.objects.filter(owner=out).count():
        reasons.append(f"delivers or owns {n} other service(s) or offering(s)")
    return reasons


def _pause_if_left(move: Move, tools: list[PartnerIntegration], hooks: list[WebhookSubscription]) -> None:
    if not tools and not hooks:
        return
    if still := _still_working(move):
        move.report.notes.append(
            f"{move.outgoing}'s integrations and webhooks stay active: it still {' and '.join(still)}"
        )
        return
    for tool in tools:
        partner_integration_update(actor=move.actor, integration=tool, changes={"active": False})
        move.report.add("integration_paused", tool, {"active": True}, {"active": False})
    for hook in hooks:
        webhook_subscription_update(actor=move.actor, subscription=hook, changes={"active": False})
        move.report.add("webhook_paused", hook, {"active": True}, {"active": False})


def _say_what_to_set_up(
    move: Move, tools: list[PartnerIntegration], hooks: list[WebhookSubscription], bonded_through: set[str]
) -> None:
    if bonded_through:
        move.report.notes.append(
            f"Re-homed tickets reach {move.incoming}'s tool through {', '.join(sorted(bonded_through))}"
        )
    if not PartnerIntegration.objects.filter(organisation=move.incoming, active=True).exists():
        for tool in tools:
            move.report.to_set_up.append(
                f"{move.incoming} has no partner integration to replace {tool.name} ({tool.base_url})"
            )
    for hook in hooks:
        move.report.to_set_up.append(
            f"{move.incoming} may want its own webhook subscription like {hook.name} ({', '.join(hook.event_patterns)})"
        )
