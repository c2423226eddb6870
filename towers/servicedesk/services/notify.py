"""Tell people about a ticket: a Notification row each (shown in the app) and, where there is an address, an email.

Templates are plain text under servicedesk/mail/<template>.txt: the first line is the subject, the rest
the body. Subjects carry [INC0001234] and Message-IDs carry the reference, so a reply threads back to
the ticket; every message is marked automatic so that responders stay quiet and mail loops are cut.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template import Context, Engine
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor, Channel
from towers.organisations.models import Person, Team
from towers.servicedesk.mail.loops import LOOP_HEADER
from towers.servicedesk.mail.parse import REPLY_MARKER, thread_message_id
from towers.servicedesk.models import Notification, Ticket

logger = logging.getLogger(__name__)
TEMPLATES = frozenset(
    {
        "ticket_created",
        "ticket_commented",
        "ticket_resolved",
        "handoff_received",
        "handoff_rejected",
        "clock_warning",
        "major_update",
        "major_declared",
        "major_update_overdue",
        "major_resolved",
        "approval_requested",
        "request_rejected",
    }
)


@dataclass(frozen=True)
class _Recipient:
    person: Person | None
    team: Team | None
    email: str


@cache
def _engine() -> Engine:
    # Plain-text mail: nothing is HTML-escaped (an "&" in a title stays an "&").
    return Engine(app_dirs=True, autoescape=False)


def _recipients(person: Person | None, team: Team | None, emails: Iterable[str]) -> list[_Recipient]:
    found: list[_Recipient] = []
    if person is not None and person.is_active:
        found.append(_Recipient(person, None, person.email))
    if team is not None:
        members = [m.person for m in team.members.select_related("person") if m.person.is_active]
        found += [_Recipient(member, team, member.email) for member in members]
        if not members and team.email:
            found.append(_Recipient(None, team, team.email))
    found += [_Recipient(None, None, address.strip()) for address in emails if address and address.strip()]
    own = {a.lower() for a in (settings.TOWERS_DESK_ADDRESS, settings.DEFAULT_FROM_EMAIL) if a}
    unique: list[_Recipient] = []
    seen_people: set[object] = set()
    seen_addresses: set[str] = set()
    for recipient in found:
        address = recipient.email.lower()
        if recipient.person is not None and recipient.person.pk in seen_people:
            continue
        if address and (address in seen_addresses or address in own):
            if recipient.person is None:
                continue
            recipient = _Recipient(recipient.person, recipient.team, "")  # told in the app only
        if recipient.person is not None:
            seen_people.add(recipient.person.pk)
        if address:
            seen_addresses.add(address)
        unique.append(recipient)
    return unique


def render(template: str, ticket: Ticket, context: Mapping[str, Any]) -> tuple[str, str]:
    """The subject (with the ticket's [reference]) and body of `template` for `ticket`."""
    text = (
        _engine()
        .get_template(f"servicedesk/mail/{template}.txt")
        .render(Context({"ticket": ticket, **context}, autoescape=False))
    )
    subject, _, body = text.strip().partition("\n")
    subject = " ".join(subject.split())
    tag = f"[{ticket.reference}]"
    if tag not in subject:
        subject = f"{tag} {subject}"
    return subject[:300], f"{REPLY_MARKER}\n\n{body.strip()}\n"


def notify(
    *,
    template: str,
    ticket: Ticket,
    person: Person | None = None,
    team: Team | None = None,
    email: str = "",
    emails: Iterable[str] = (),
    context: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """Tell `person`, every member of `team` and the addresses given about `ticket`; mail goes once committed."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown notification template {template!r}")
    actor = Actor.system("notify", channel=Channel.JOB)
    made: list[Notification] = []
    with transaction.atomic():
        for recipient in _recipients(person, team, [email, *emails]):
            subject, body = render(
                template,
                ticket,
                {
                    **(context or {}),
                    "recipient": recipient.person,
                    "team": recipient.team or team,
                    "desk_address": settings.TOWERS_DESK_ADDRESS,
                },
            )
            made.append(
                Notification(
                    person=recipient.person,
                    team=recipient.team,
                    email=recipient.email,
                    ticket=ticket,
                    template=template,
                    subject=subject,
                    body=body,
                )
            )
        if not made:
            return []
        Notification.objects.bulk_create(made)
        audit.record(
            actor,
            "ticket.notified",
            ticket,
            after={"template": template, "recipients": [n.email or str(n.person_id) for n in made]},
        )
        ids = [n.pk for n in made if n.email]
        if ids:
            transaction.on_commit(lambda: notifications_send(ids=ids))
    return made


def notifications_send(*, ids: Iterable[int]) -> int:
    """Email the given notifications not yet sent; return how many went. Failures stay unsent, for a retry."""
    pending = list(
        Notification.objects.filter(pk__in=list(ids), sent_at=None).exclude(email="").select_related("ticket")
    )
    if not pending:
        return 0
    domain = settings.TOWERS_DESK_ADDRESS.rpartition("@")[2] or "towers.localhost"
    sent: list[int] = []
    with get_connection(fail_silently=False) as connection:
        for note in pending:
            reference = note.ticket.reference if note.ticket else "towers"
            message = EmailMessage(
                subject=note.subject,
                body=note.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[note.email],
                reply_to=[settings.TOWERS_DESK_ADDRESS],
                headers={
                    "Message-ID": thread_message_id(reference, domain),
                    LOOP_HEADER: domain,
                    "Auto-Submitted": "auto-generated",  # RFC 3834: responders must not answer
                    "X-Auto-Response-Suppress": "All",  # Exchange's equivalent
                    "Precedence": "bulk",
                },
                connection=connection,
            )
            try:
                message.send()
            except Exception:
                logger.exception("could not email notification %s to %s", note.pk, note.email)
                continue
            sent.append(note.pk)
    # A delivery receipt, not a change of record: no audit entry of its own (notify audited the notification).
    Notification.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent)
