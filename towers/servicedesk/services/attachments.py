"""Files on tickets, within the desk's size and type limits, each hashed and on the timeline."""

from __future__ import annotations

import fnmatch
import hashlib
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.db import transaction

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import ensure_can
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import Attachment, Ticket, TicketEvent
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.timeline import record_event

DEFAULT_TYPES = [
    "image/*",
    "text/plain",
    "text/csv",
    "application/pdf",
    "application/zip",
    "message/rfc822",
    "application/vnd.openxmlformats-officedocument.*",
    "application/msword",
    "application/vnd.ms-excel",
    "application/json",
    "application/octet-stream",
]


def _allowed(content_type: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(content_type.lower(), p.lower()) for p in patterns)


def attachment_add(
    *, actor: Actor, ticket: Ticket, filename: str, content_type: str, data: bytes, public: bool = True
) -> Attachment:
    """Attach a file; too large or of a type the desk does not accept is refused naming the limit."""
    ensure_can(actor, "ticket.comment", ticket)
    if is_requester_only(actor) and ticket.requester_id != actor.person_id:
        raise Forbidden("You can attach files only to tickets you raised.")
    settings = desk_settings()
    name = PurePath(filename.replace("\\", "/")).name.strip() or "attachment"
    if len(data) > settings.attachment_max_bytes:
        limit = settings.attachment_max_bytes // (1024 * 1024) or 1
        raise ValidationFailed.one("file", f"{name} is {len(data):,} bytes; the limit is {limit} MB")
    if not _allowed(content_type, settings.attachment_types or DEFAULT_TYPES):
        raise ValidationFailed.one("file", f"{name}: files of type {content_type} are not accepted")
    with transaction.atomic():
        attachment = Attachment(
            ticket=ticket,
            filename=name[:255],
            content_type=content_type[:120],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor.label,
            public=public or is_requester_only(actor),
        )
        attachment.file.save(name, ContentFile(data), save=False)
        attachment.save(force_insert=True)
        record_event(
            ticket,
            TicketEvent.Kind.ATTACHMENT,
            actor,
            body=name,
            public=attachment.public,
            data={"attachment": str(attachment.id), "size": len(data)},
        )
        audit.record(
            actor,
            "ticket.attachment_added",
            ticket,
            after={"file": name, "size": len(data), "sha256": attachment.sha256},
        )
        events.emit("servicedesk.ticket.attachment_added", key=str(ticket.id), ticket_id=str(ticket.id))
    return attachment
