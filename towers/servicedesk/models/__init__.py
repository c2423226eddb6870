"""Service desk records: tickets of every kind, their timeline, hand-offs and clocks, and what they use."""

from towers.servicedesk.models.catalogue import CatalogItem
from towers.servicedesk.models.changes import Approval, ChangeDetail, ChangeTemplate, FreezeWindow
from towers.servicedesk.models.config import AssignmentRule, Category, DeskSettings, PriorityRule, ReferenceCounter
from towers.servicedesk.models.knowledge import Article
from towers.servicedesk.models.mail import InboundMail, Notification
from towers.servicedesk.models.major import MajorIncident, ReviewAction, StakeholderUpdate
from towers.servicedesk.models.tickets import (
    Attachment,
    HandOff,
    PendingReason,
    ProblemDetail,
    SavedView,
    State,
    Ticket,
    TicketClock,
    TicketEvent,
    TicketKind,
    TicketParty,
)

__all__ = [
    "Approval",
    "Article",
    "AssignmentRule",
    "Attachment",
    "CatalogItem",
    "Category",
    "ChangeDetail",
    "ChangeTemplate",
    "DeskSettings",
    "FreezeWindow",
    "HandOff",
    "InboundMail",
    "MajorIncident",
    "Notification",
    "PendingReason",
    "PriorityRule",
    "ProblemDetail",
    "ReferenceCounter",
    "ReviewAction",
    "SavedView",
    "StakeholderUpdate",
    "State",
    "Ticket",
    "TicketClock",
    "TicketEvent",
    "TicketKind",
    "TicketParty",
]
