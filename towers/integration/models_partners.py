"""Supplier integrations (e-bonding): a supplier's own tool bonded to Towers over TMF621.

Hand-offs to the supplier's teams go out to its TMF621 endpoint; the updates it sends back are applied to the
ticket. Each integration has its own field and state mapping tables, each bonded ticket a correlation on both
sides, and every payload in either direction is kept in a message log the integrator can read.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Team
from towers.servicedesk.models import Ticket


class Direction(models.TextChoices):
    OUTBOUND = "out", "Outbound"
    INBOUND = "in", "Inbound"
    BOTH = "both", "Both ways"


class PartnerIntegration(TowersModel):
    """One supplier's tool: where to send its hand-offs, how to sign in there, and how its fields and states read."""

    class Protocol(models.TextChoices):
        TMF621 = "tmf621", "TMF621 Trouble Ticket v5"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="partner_integrations")
    name = models.CharField(max_length=200)
    protocol = models.CharField(max_length=10, choices=Protocol.choices, default=Protocol.TMF621)
    # The partner's API root, e.g. https://tool.supplier.example/tmf-api/troubleTicket/v5
    base_url = models.URLField(max_length=500)
    # The credential Towers presents to the partner (a bearer token); never shown after it is set.
    auth_token = models.CharField(max_length=300, blank=True)
    # Hand-offs to these teams go out; none means every team of the organisation.
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    # The listener URL registered at the partner's /hub carries a secret; only its digest is kept here.
    listener_digest = models.CharField(max_length=64, blank=True)
    # The id the partner's /hub gave the listener Towers registered there, to unregister it.
    hub_subscription_id = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FieldMapping(models.Model):
    """One field of ours ("title") as the partner names it ("name"), in one or both directions."""

    id = models.BigAutoField(primary_key=True)
    integration = models.ForeignKey(PartnerIntegration, on_delete=models.CASCADE, related_name="field_mappings")
    ours = models.CharField(max_length=100)
    theirs = models.CharField(max_length=100)
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.BOTH)

    class Meta:
        ordering = ["ours"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "ours", "theirs"], name="one_field_mapping"),
        ]

    def __str__(self) -> str:
        return f"{self.ours} ↔ {self.theirs}"


class StateMapping(models.Model):
    """One of our ticket states ("in_progress") as the partner's status ("inProgress"), in one or both directions."""

    id = models.BigAutoField(primary_key=True)
    integration = models.ForeignKey(PartnerIntegration, on_delete=models.CASCADE, related_name="state_mappings")
    ours = models.CharField(max_length=24)
    theirs = models.CharField(max_length=60)
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.BOTH)

    class Meta:
        ordering = ["ours"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "ours", "theirs"], name="one_state_mapping"),
        ]

    def __str__(self) -> str:
        return f"{self.ours} ↔ {self.theirs}"


class TicketBond(models.Model):
    """A ticket bonded to its counterpart in a partner's tool: our correlation id and theirs."""

    id = models.BigAutoField(primary_key=True)
    integration = models.ForeignKey(PartnerIntegration, on_delete=models.CASCADE, related_name="bonds")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="bonds")
    # Ours: sent to the partner as an externalIdentifier, the same on every message about this ticket.
    correlation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Theirs: the partner's troubleTicket id (empty until its create is answered) and its href.
    remote_id = models.CharField(max_length=200, blank=True)
    remote_href = models.URLField(max_length=500, blank=True)
    remote_status = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    synced_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text="False once the ticket has left the partner's teams.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "ticket"], name="one_bond_per_ticket"),
        ]
        indexes = [models.Index(fields=["integration", "remote_id"], name="bond_remote")]

    def __str__(self) -> str:
        return f"{self.ticket_id} ↔ {self.remote_id or '(pending)'}"


class PartnerMessage(models.Model):
    """One payload to or from a partner about one ticket: what was sent or received, and what became of it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # outbound, not yet accepted by the partner
        SENT = "sent", "Sent"  # outbound, accepted
        DEAD = "dead", "Dead"  # outbound, given up after its attempts
        APPLIED = "applied", "Applied"  # inbound, applied to the ticket
        IGNORED = "ignored", "Ignored"  # inbound, nothing to change (a repeat, or our own change echoed)
        REJECTED = "rejected", "Rejected"  # inbound, could not be applied (see last_error)

    id = models.BigAutoField(primary_key=True)
    integration = models.ForeignKey(PartnerIntegration, on_delete=models.CASCADE, related_name="messages")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    bond = models.ForeignKey(TicketBond, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    operation = models.CharField(max_length=40, help_text="create, update, note, notification …")
    correlation_id = models.CharField(max_length=200, blank=True)
    # Outbound messages about one ticket go in id order; a message waits while an earlier one is owed.
    ordering_key = models.CharField(max_length=100, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(default=dict, blank=True)
    response = models.JSONField(default=dict, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "idempotency_key"], name="one_partner_message"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at", "id"], name="partner_due"),
            models.Index(fields=["ticket", "id"], name="partner_ticket_log"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.operation} #{self.id}"

    @property
    def outcome(self) -> str:
        """Why it failed, or (inbound) what applying it did."""
        response = self.response if isinstance(self.response, dict) else {}
        return self.last_error or str(response.get("outcome", ""))


class ExternalIdentifier(models.Model):
    """TMF621's externalIdentifier: a ticket's id in someone else's system, as the caller that set it gave it."""

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="external_identifiers")
    # The organisation whose credentials set it: another supplier's caller neither sees nor matches it.
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=200)
    id_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["external_id"], name="external_identifier_id")]

    def __str__(self) -> str:
        return f"{self.owner}:{self.external_id}"
