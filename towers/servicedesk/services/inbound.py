"""Mail in: each message makes a ticket, comments on the ticket its subject names, or is kept with the reason not.

The raw bytes are stored whatever happens. Auto-replies, bounces and loops are *ignored* (recorded, no
work made); anything that cannot be understood or is refused (an unknown reference, a sender who may
not comment, an attachment over the limits) is *quarantined* for an agent, and the half-made ticket or
comment is rolled back with it.
"""

from __future__ import annotations

import dataclasses
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.organisations.models import Organisation, Person
from towers.organisations.selectors import actor_for
from towers.servicedesk.mail.loops import RATE_LIMIT, RATE_WINDOW, auto_reply_reason, over_rate
from towers.servicedesk.mail.parse import MailParseError, ParsedMail, mail_reference, parse_message, peek_headers
from towers.servicedesk.models import InboundMail, State, Ticket, TicketKind
from towers.servicedesk.services.attachments import attachment_add
from towers.servicedesk.services.config import desk_settings
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition

logger = logging.getLogger(__name__)
VIAS = ("smtp", "lmtp", "imap")
Outcome = InboundMail.Outcome


class _Refused(Exception):
    """The message cannot be applied; the text says why, for the quarantine record."""


def own_addresses() -> set[str]:
    """Addresses our own mail comes from: mail from them is a loop."""
    return {a.lower() for a in (settings.TOWERS_DESK_ADDRESS, settings.DEFAULT_FROM_EMAIL) if a}


def mail_actor(sender: str = "") -> Actor:
    """The mail job, labelled with the address it acts for so the timeline shows who wrote."""
    actor = Actor.system("mail", channel=Channel.EMAIL)
    return dataclasses.replace(actor, label=f"mail:{sender}"[:200]) if sender else actor


def mail_receive(*, raw: bytes, via: str) -> InboundMail:
    """Record one inbound message and act on it, in one transaction; raises only if it cannot be stored."""
    if via not in VIAS:
        raise ValueError(f"via must be one of {', '.join(VIAS)}")
    desk = desk_settings().desk_organisation
    if desk is None:
        raise ImproperlyConfigured(
            "The desk has no organisation (DeskSettings.desk_organisation): mail cannot be filed."
        )
    with transaction.atomic():
        try:
            mail = parse_message(raw)
        except MailParseError as exc:
            seen = peek_headers(raw)
            record = InboundMail(
                message_id=seen.get("message-id", ""), sender=seen.get("from", ""), subject=seen.get("subject", "")
            )
            return _finish(record, desk, raw, via, Outcome.QUARANTINED, f"unreadable: {exc}")
        record = InboundMail(message_id=mail.message_id, sender=mail.sender, subject=mail.subject)
        reason = _ignore_reason(mail)
        if reason:
            return _finish(record, desk, raw, via, Outcome.IGNORED, reason)
        try:
            with transaction.atomic():  # a savepoint: a refusal undoes the half-made ticket, not the record
                record.ticket, outcome = _apply(mail)
        except _Refused as exc:
            return _finish(record, desk, raw, via, Outcome.QUARANTINED, str(exc))
        except ValidationFailed as exc:
            return _finish(record, desk, raw, via, Outcome.QUARANTINED, f"refused: {exc.message}")
        except (Forbidden, NotFound) as exc:
            return _finish(record, desk, raw, via, Outcome.QUARANTINED, f"not allowed: {exc}")
        except DatabaseError:
            raise  # the database may come back: the sender (or the next fetch) tries again
        except Exception as exc:
            # A message that trips a bug would otherwise be retried for ever and never seen by anyone.
            logger.exception("mail from %s could not be applied", mail.sender)
            return _finish(record, desk, raw, via, Outcome.QUARANTINED, f"failed: {type(exc).__name__}: {exc}")
        return _finish(record, desk, raw, via, outcome, "")


def mail_deliver(raw: bytes, via: str) -> str:
    """mail_receive for the listener's worker threads and the fetcher, outside any request or transaction.

    It closes its database connection after each message: mail is infrequent, and a worker thread that
    ends must not leave a connection open behind it.
    """
    close_old_connections()
    try:
        return str(mail_receive(raw=raw, via=via).outcome)
    finally:
        connection.close()


def _finish(record: InboundMail, desk: Organisation, raw: bytes, via: str, outcome: str, reason: str) -> InboundMail:
    record.organisation = desk
    record.via = via
    record.raw = raw
    record.outcome = outcome
    record.reason = reason[:300]
    record.message_id = record.message_id[:300]
    record.sender = record.sender[:300]
    record.subject = record.subject[:500]
    record.save(force_insert=True)
    audit.record(
        mail_actor(),
        f"mail.{outcome}",
        record,
        after={
            "via": via,
            "message_id": record.message_id,
            "sender": record.sender,
            "subject": record.subject,
            "outcome": outcome,
            "reason": record.reason,
            "ticket": record.ticket.reference if record.ticket else None,
            "bytes": len(raw),
        },
    )
    if outcome == Outcome.QUARANTINED:
        logger.warning("mail quarantined (%s): %s", record.sender, record.reason)
    return record


def _ignore_reason(mail: ParsedMail) -> str | None:
    reason = auto_reply_reason(mail, own_addresses=own_addresses())
    if reason:
        return reason
    if (
        mail.message_id
        and InboundMail.objects.filter(message_id=mail.message_id[:300]).exclude(outcome=Outcome.QUARANTINED).exists()
    ):
        return f"a copy of {mail.message_id[:200]}, already received"
    recent = InboundMail.objects.filter(sender=mail.sender, received_at__gte=timezone.now() - RATE_WINDOW).count()
    if over_rate(recent):
        minutes = int(RATE_WINDOW.total_seconds() // 60)
        return f"a mail loop: more than {RATE_LIMIT} messages from {mail.sender} in {minutes} minutes"
    return None


def _known_person(address: str) -> Person | None:
    """The one active person with this address; none if nobody has it, or several do (we cannot tell who)."""
    people = list(Person.objects.filter(email__iexact=address, is_active=True)[:2])
    return people[0] if len(people) == 1 else None


def _apply(mail: ParsedMail) -> tuple[Ticket, str]:
    person = _known_person(mail.sender)
    actor = actor_for(person, channel=Channel.EMAIL) if person else mail_actor(mail.sender)
    reference = mail_reference(mail)
    if reference is None:
        return _create(mail, actor, person), Outcome.CREATED
    ticket = Ticket.objects.filter(reference=reference).first()
    if ticket is None:
        raise _Refused(f"names {reference}, which is not a ticket here")
    _comment(mail, actor, person, ticket)
    return ticket, Outcome.COMMENTED


def _create(mail: ParsedMail, actor: Actor, person: Person | None) -> Ticket:
    first_line = next((line.strip() for line in mail.text.splitlines() if line.strip()), "")
    ticket = ticket_create(
        actor=actor,
        kind=TicketKind.INCIDENT,
        title=(mail.subject or first_line or f"Mail from {mail.sender}")[:300],
        # The whole text: a forwarded message is often the substance of a new ticket.
        description=mail.text,
        requester=person,
        requester_email=mail.sender,
        channel="email",
    )
    for item in mail.attachments:
        attachment_add(
            actor=actor, ticket=ticket, filename=item.filename, content_type=item.content_type, data=item.data
        )
    return ticket


def _comment(mail: ParsedMail, actor: Actor, person: Person | None, ticket: Ticket) -> None:
    from_requester = (person is not None and ticket.requester_id == person.id) or (
        bool(ticket.requester_email) and ticket.requester_email.lower() == mail.sender
    )
    if person is None and not from_requester:
        raise _Refused(f"{mail.sender} is neither the requester of {ticket.reference} nor known here")
    if not mail.reply and not mail.attachments:
        raise _Refused(f"the reply to {ticket.reference} has no text or attachment of its own")
    if ticket.state in (State.CLOSED, State.CANCELLED):
        # Nobody works a closed ticket: an agent decides whether this is new work.
        raise _Refused(f"{ticket.reference} is {ticket.get_state_display().lower()}")
    # What the requester writes is for the requester to see; a resolver's mailed reply stays internal.
    if mail.reply:
        ticket_comment(actor=actor, ticket=ticket, body=mail.reply, public=from_requester)
    for item in mail.attachments:
        attachment_add(
            actor=actor,
            ticket=ticket,
            filename=item.filename,
            content_type=item.content_type,
            data=item.data,
            public=from_requester,
        )
    if from_requester and ticket.state == State.RESOLVED:
        # The resolution mail asks the requester to reply if it is not fixed; past the window this quarantines.
        ticket_transition(actor=actor, ticket=ticket, state=State.IN_PROGRESS, note="The requester replied by email.")
