"""A partner's TMF621 notification, received at its listener: logged first, then applied, ignored or rejected.

Input is never lost: the payload is kept on an inbound message whatever becomes of it (text that is not JSON
is kept as text, with the reason it was rejected). A repeat of an event already applied or ignored (same
eventId) is logged as ignored and changes nothing; a repeat of a rejected one is tried again, since what
stopped it (an unknown ticket whose create was not yet answered, say) may have changed. Notifications of one
integration are applied one at a time (its row is locked), so two deliveries of one event cannot both apply.
Events that our change caused on the ticket are marked with `partner_origin`, so they are not echoed back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import OutboxEvent
from towers.integration.models_partners import PartnerIntegration, PartnerMessage, TicketBond
from towers.integration.services.partner_apply import message_outcome, partner_actor, trouble_ticket_apply
from towers.servicedesk.selectors import tickets_visible

Status = PartnerMessage.Status


def listener_integration(*, integration_id: uuid.UUID, secret: str) -> PartnerIntegration | None:
    """The active integration whose listener secret this is; None (a 404) for anything else."""
    integration = PartnerIntegration.objects.filter(pk=integration_id, active=True).first()
    if integration is None or not integration.listener_digest:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return integration if hmac.compare_digest(digest, integration.listener_digest) else None


def _parse(body: bytes) -> tuple[dict[str, Any], str]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        return {"raw": body.decode("utf-8", errors="replace")[:100_000]}, f"not JSON: {exc}"
    if not isinstance(data, dict):
        return {"raw": data}, "not a TMF621 event object"
    return data, ""


def _event_key(integration: PartnerIntegration, data: dict[str, Any], idempotency_key: str) -> str:
    event_id = data.get("eventId") or idempotency_key
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{integration.id}:{event_id}")) if event_id else ""


def _find_bond(integration: PartnerIntegration, remote: dict[str, Any]) -> TicketBond | None:
    """By the partner's id for the ticket, else by our correlation id among its externalIdentifiers."""
    bonds = TicketBond.objects.filter(integration=integration).select_related("integration__organisation", "ticket")
    if remote.get("id"):
        found = bonds.filter(remote_id=str(remote["id"])).first()
        if found:
            return found
    for ext in remote.get("externalIdentifier") or []:
        try:
            correlation = uuid.UUID(str(ext.get("id")))
        except (AttributeError, ValueError):
            continue
        found = bonds.filter(correlation_id=correlation).first()
        if found:
            if not found.remote_id and remote.get("id"):
                found.remote_id, found.remote_href = str(remote["id"])[:200], str(remote.get("href") or "")[:500]
                found.save(update_fields=["remote_id", "remote_href"])
            return found
    return None


def _mark_origin(integration: PartnerIntegration, ticket_id: object, after_id: int) -> None:
    """Events our applying just emitted are the partner's own doing: not to be sent back to it."""
    for event in OutboxEvent.objects.filter(id__gt=after_id, key=str(ticket_id)):
        event.payload = {**event.payload, "partner_origin": str(integration.id)}
        event.save(update_fields=["payload"])


def _apply(integration: PartnerIntegration, message: PartnerMessage, data: dict[str, Any]) -> PartnerMessage:
    event = data.get("event")
    remote = event.get("troubleTicket") if isinstance(event, dict) else None
    if not isinstance(remote, dict):
        return message_outcome(message, Status.REJECTED, "no event.troubleTicket in the notification")
    bond = _find_bond(integration, remote)
    if bond is None:
        why = f"unknown ticket: no bond with remote id {remote.get('id')!r} or one of our correlation ids"
        return message_outcome(message, Status.REJECTED, why)
    message.bond, message.ticket_id, message.correlation_id = bond, bond.ticket_id, str(bond.correlation_id)
    if not bond.active:
        return message_outcome(message, Status.REJECTED, "the ticket is no longer with this partner (bond ended)")
    if not tickets_visible(partner_actor(integration)).filter(pk=bond.ticket_id).exists():
        return message_outcome(message, Status.REJECTED, "the ticket is not one this partner may see")
    if str(data.get("eventType", "")).endswith("DeleteEvent"):
        TicketBond.objects.filter(pk=bond.pk).update(active=False)
        return message_outcome(message, Status.IGNORED, "the partner deleted its ticket: bond ended, ours unchanged")
    last_event = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        with transaction.atomic():
            done = trouble_ticket_apply(bond=bond, remote=remote)
            _mark_origin(integration, bond.ticket_id, last_event)
    except (ValidationFailed, Forbidden, NotFound) as exc:
        detail = (
            "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
            if isinstance(exc, ValidationFailed)
            else str(exc)
        )
        return message_outcome(message, Status.REJECTED, detail or str(exc))
    TicketBond.objects.filter(pk=bond.pk).update(synced_at=timezone.now())
    if not done:
        return message_outcome(message, Status.IGNORED, "nothing new")
    return message_outcome(message, Status.APPLIED, "; ".join(done))


def partner_notification_receive(
    *, integration: PartnerIntegration, body: bytes, event_name: str = "", idempotency_key: str = ""
) -> PartnerMessage:
    """Log one notification from the partner and apply it; returns the logged message with its outcome."""
    data, problem = _parse(body)
    operation = str(data.get("eventType") or event_name or "notification")[:40]
    with transaction.atomic():
        PartnerIntegration.objects.select_for_update().filter(pk=integration.pk).first()  # one at a time
        message = PartnerMessage(
            integration=integration, direction="in", operation=operation, payload=data, attempts=1, http_status=None
        )
        key = "" if problem else _event_key(integration, data, idempotency_key)
        message.response = {"event": key} if key else {}
        previous = (
            PartnerMessage.objects.filter(
                integration=integration,
                direction="in",
                status__in=[Status.APPLIED, Status.IGNORED],
                response__event=key,
            ).first()
            if key
            else None
        )
        if problem:
            message_outcome(message, Status.REJECTED, problem)
        elif previous is not None:
            message.ticket_id, message.bond_id = previous.ticket_id, previous.bond_id
            message.correlation_id = previous.correlation_id
            message_outcome(
                message, Status.IGNORED, f"a repeat of message {previous.pk} (eventId {data.get('eventId')})"
            )
        else:
            _apply(integration, message, data)
        message.http_status = 400 if problem else 422 if message.status == Status.REJECTED else 201
        message.completed_at = timezone.now()
        message.save()
    return message
