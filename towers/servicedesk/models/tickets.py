"""Tickets of every kind in one table, their timeline, the organisations party to them, hand-offs and clocks.

One table (as ServiceNow's `task`) so queues, search, hand-offs and clocks work the same for incidents,
requests, fulfilment tasks, problems and changes; what only one kind has lives in a one-to-one detail.
"""

from django.db import models
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service, ServiceLevel
from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Person, Team


class TicketKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    REQUEST = "request", "Service request"
    TASK = "task", "Fulfilment task"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"


PREFIXES = {
    TicketKind.INCIDENT: "INC",
    TicketKind.REQUEST: "REQ",
    TicketKind.TASK: "TSK",
    TicketKind.PROBLEM: "PRB",
    TicketKind.CHANGE: "CHG",
}


class State(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = (State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.PENDING)
# The desk's day-to-day work (what volumes and backlogs count): not problems or changes, which have their own.
WORK_KINDS = (TicketKind.INCIDENT, TicketKind.REQUEST, TicketKind.TASK)


class PendingReason(models.TextChoices):
    REQUESTER = "requester", "Awaiting requester"
    SUPPLIER = "supplier", "Awaiting supplier"
    CHANGE = "change", "Awaiting change"
    APPROVAL = "approval", "Awaiting approval"


class Channel(models.TextChoices):
    PORTAL = "portal", "Self-service portal"
    PHONE = "phone", "Telephone"
    EMAIL = "email", "Email"
    API = "api", "API"
    MONITORING = "monitoring", "Monitoring"
    SECURITY = "security", "Security operations"


class Ticket(TowersModel):
    reference = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=10, choices=TicketKind.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=15, choices=State.choices, default=State.NEW)
    pending_reason = models.CharField(max_length=15, choices=PendingReason.choices, blank=True)
    impact = models.PositiveSmallIntegerField(default=3, help_text="1 high … 3 low")
    urgency = models.PositiveSmallIntegerField(default=3, help_text="1 high … 3 low")
    priority = models.CharField(max_length=4, default="P4")
    category = models.ForeignKey("servicedesk.Category", null=True, blank=True, on_delete=models.PROTECT)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    cis = models.ManyToManyField(ConfigurationItem, blank=True, related_name="tickets")
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.PORTAL)
    requester = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requester_email = models.EmailField(blank=True)
    requester_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The holder: the team working it now and its organisation (kept beside it for fast queues).
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_code = models.CharField(max_length=30, blank=True)
    resolution_notes = models.TextField(blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    # Links: a fulfilment task's request, an incident's problem, the change that caused an incident.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    problem = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    caused_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="caused_incidents"
    )
    catalog_item = models.ForeignKey(
        "servicedesk.CatalogItem", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    answers = models.JSONField(default=dict, blank=True)
    # Routing across suppliers.
    hop_count = models.PositiveSmallIntegerField(default=0)
    crossed_suppliers = models.BooleanField(default=False)
    ping_pong = models.BooleanField(default=False)
    is_major = models.BooleanField(default=False)
    # The most urgent clock, for queue colouring and sorting without reading the clocks.
    clock_percent = models.PositiveSmallIntegerField(default=0)
    clock_due_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["team", "state", "priority", "opened_at"], name="ticket_queue"),
            models.Index(fields=["organisation", "state", "priority", "opened_at"], name="ticket_org_queue"),
            models.Index(fields=["requester", "opened_at"], name="ticket_requester"),
            models.Index(fields=["kind", "state", "opened_at"], name="ticket_kind_state"),
            models.Index(fields=["crossed_suppliers", "opened_at"], name="ticket_crossed"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class TicketParty(models.Model):
    """An organisation party to a ticket (requester's, the desk's, every holder's): what segregation filters on."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "organisation"], name="one_party_row")]
        indexes = [models.Index(fields=["organisation", "ticket"], name="party_org_ticket")]

    def __str__(self) -> str:
        return f"{self.organisation_id} party to {self.ticket_id}"


class TicketEvent(models.Model):
    """One line of a ticket's timeline: comments, state and priority changes, assignments, hand-offs, clocks."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATE = "state", "State changed"
        PRIORITY = "priority", "Priority changed"
        ASSIGNED = "assigned", "Assigned"
        HANDED_OFF = "handed_off", "Handed off"
        ACCEPTED = "accepted", "Hand-off accepted"
        REJECTED = "rejected", "Hand-off rejected"
        RESOLVED = "resolved", "Resolved"
        REOPENED = "reopened", "Reopened"
        CLOSED = "closed", "Closed"
        COMMENT = "comment", "Comment"
        ATTACHMENT = "attachment", "Attachment"
        CLOCK = "clock", "Clock warning"
        LINK = "link", "Linked"
        UPDATE = "update", "Updated"

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor_label = models.CharField(max_length=200)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The ticket as this event left it, for the clock engine's replay ("pending_requester": pending, and why).
    state = models.CharField(max_length=24, blank=True)
    priority = models.CharField(max_length=4, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(blank=True)
    public = models.BooleanField(default=False, help_text="Comments the requester can read.")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticket_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class HandOff(TowersModel):
    """Work sent to another organisation's team; it waits there until that team accepts or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting acceptance"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="handoffs")
    from_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="handoffs_received")
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    sent_by = models.CharField(max_length=200)
    decided_by = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="Why it was rejected, or a note on acceptance.")
    # The receiving organisation's hold ended (handed on, or the ticket resolved): its OLA clock stops here.
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["to_team", "status"], name="handoff_inbox")]


class TicketClock(models.Model):
    """One service level's clock on one ticket (an OLA's per hand-off), as last recomputed."""

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    service_level = models.ForeignKey(ServiceLevel, on_delete=models.PROTECT, related_name="+")
    handoff = models.ForeignKey(HandOff, null=True, blank=True, on_delete=models.CASCADE, related_name="clocks")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=5)
    metric = models.CharField(max_length=15)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=12)
    target_seconds = models.FloatField(null=True, blank=True)
    elapsed_seconds = models.FloatField(default=0)
    percent = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    stopped_at = models.DateTimeField(null=True, blank=True)
    warned = models.PositiveSmallIntegerField(default=0, help_text="The highest warning sent: 50, 75, 90, 100.")
    by_organisation = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket", "kind", "metric", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "service_level", "handoff"], name="one_clock_per_level"),
            models.UniqueConstraint(
                fields=["ticket", "service_level"], condition=models.Q(handoff=None), name="one_sla_clock_per_level"
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="clock_due")]

    def __str__(self) -> str:
        return f"{self.name}: {self.percent}%"


class ProblemDetail(models.Model):
    """What a problem knows: the root cause and, once it is a known error, the workaround agents should use."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="problem_detail")
    root_cause = models.TextField(blank=True)
    known_error = models.BooleanField(default=False)
    workaround = models.TextField(blank=True)
    # Words that identify a matching incident (with the service and CIs), e.g. "VPN token expired".
    symptoms = models.TextField(blank=True)
    known_error_at = models.DateTimeField(null=True, blank=True, help_text="When the workaround was published.")

    def __str__(self) -> str:
        return f"problem {self.ticket_id}" + (" (known error)" if self.known_error else "")


class Attachment(TowersModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="attachments/%Y/%m/")
    uploaded_by = models.CharField(max_length=200)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at"]


class SavedView(TowersModel):
    """A person's named queue filter, e.g. "My team's P1s awaiting acceptance"."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["person", "name"], name="unique_view_name")]
