"""Segregation of the service desk: a ticket is seen by the organisations party to it, and so is all it holds.

The parties are the requester's organisation, the desk's and every organisation that has held the
ticket (kept in TicketParty as hand-offs happen), so a supplier keeps sight of work it once held but
never sees a ticket that never reached it. Reference data (categories, the matrix, templates, freezes) is
visible to everyone and configured by the desk's and the authority's administrators; catalogue items are
configured by them too but seen as their services are.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from towers.core import permissions
from towers.core.permissions import PartyRows
from towers.core.roles import Role
from towers.servicedesk.models import (
    Approval,
    Article,
    AssignmentRule,
    Attachment,
    CatalogItem,
    Category,
    ChangeDetail,
    ChangeTemplate,
    DeskSettings,
    FreezeWindow,
    HandOff,
    InboundMail,
    MajorIncident,
    Notification,
    PriorityRule,
    ProblemDetail,
    ReviewAction,
    SavedView,
    StakeholderUpdate,
    Ticket,
    TicketClock,
    TicketEvent,
    TicketParty,
)


def desk_owners(_obj: Any = None) -> Iterable[UUID]:
    """The desk's organisation and the authority administer desk-wide configuration."""
    from towers.organisations.models import Organisation, OrganisationKind

    settings = DeskSettings.objects.first()
    ids = set(Organisation.objects.filter(kind=OrganisationKind.AUTHORITY).values_list("id", flat=True))
    if settings and settings.desk_organisation_id:
        ids.add(settings.desk_organisation_id)
    return ids


def ticket_owners(ticket: Ticket) -> Iterable[UUID]:
    """Who may work a ticket: its holder, the desk and the requester's organisation."""
    owners = set(desk_owners()) | {ticket.requester_organisation_id}
    if ticket.organisation_id:
        owners.add(ticket.organisation_id)
    return owners


TICKET_PARTIES = PartyRows(TicketParty, "ticket")
THROUGH_TICKET = PartyRows(TicketParty, "ticket", outer="ticket")

permissions.register(Ticket, parties=[], owner=ticket_owners, party_rows=TICKET_PARTIES)
for child in (TicketEvent, HandOff, TicketClock, Attachment, ProblemDetail, ChangeDetail, Approval, MajorIncident):
    permissions.register(child, parties=[], owner=lambda obj: ticket_owners(obj.ticket), party_rows=THROUGH_TICKET)
for grandchild in (StakeholderUpdate, ReviewAction):
    permissions.register(
        grandchild,
        parties=[],
        owner=lambda obj: ticket_owners(obj.major.ticket),
        party_rows=PartyRows(TicketParty, "ticket", outer="major__ticket"),
    )
for reference in (Category, PriorityRule, AssignmentRule, DeskSettings, ChangeTemplate, FreezeWindow):
    permissions.register(reference, parties=[], owner=desk_owners, directory=True)
# A catalogue item is seen by whoever may see its service (the same rule as Service's), so a supplier does not
# browse what other suppliers deliver; the desk administers them.
permissions.register(
    CatalogItem,
    parties=["service__owner", "service__offerings__supplier"],
    owner=desk_owners,
    directory=True,
    spans_many=True,
)
permissions.register(Article, parties=[], owner="organisation", directory=True)
permissions.register(SavedView, parties=["person__memberships__organisation"], owner=lambda v: (), spans_many=True)
permissions.register(InboundMail, parties=["organisation"], owner="organisation")
permissions.register(
    Notification,
    parties=["team__organisation", "person__memberships__organisation"],
    owner=lambda n: (),
    spans_many=True,
)

WORKERS = [Role.AGENT, Role.RESOLVER, Role.TEAM_LEAD, Role.SERVICE_MANAGER, Role.ADMINISTRATOR]
permissions.define_action("ticket.raise", roles=[Role.REQUESTER, *WORKERS, Role.SOC_ANALYST])
permissions.define_action("ticket.work", roles=[*WORKERS, Role.SOC_ANALYST])
permissions.define_action("ticket.comment", roles=[Role.REQUESTER, *WORKERS, Role.SOC_ANALYST])
permissions.define_action("ticket.hand_off", roles=[*WORKERS, Role.SOC_ANALYST])
permissions.define_action("change.approve", roles=[Role.SERVICE_MANAGER, Role.TEAM_LEAD, Role.ADMINISTRATOR])
permissions.define_action("major.manage", roles=[Role.AGENT, Role.SERVICE_MANAGER, Role.TEAM_LEAD])
permissions.define_action("desk.configure", roles=[Role.ADMINISTRATOR])
permissions.define_action("article.write", roles=[*WORKERS])
