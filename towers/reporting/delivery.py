"""Scheduled delivery of service review packs: people subscribe to a supplier's pack (or the estate's), and each
month, on the subscription's day, the worker builds last month's pack as that person and emails it to them.

Each pack is built as its reader, so a subscriber receives exactly what the page would show them; one who lost
the right to read it gets nothing and the delivery records why. A delivery is recorded once per subscription and
month (unique), so a worker restart or a second run in the same day never sends a pack twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor, Channel
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.permissions import visible_to
from towers.organisations.models import Organisation, Person, Tower
from towers.organisations.selectors import actor_for
from towers.reporting.access import ensure_may_read_pack, tower_by_code
from towers.reporting.models import PackDelivery, PackSubscription
from towers.reporting.pack import ServicePack
from towers.reporting.pack_common import add_months
from towers.reporting.render_pdf import pack_pdf
from towers.reporting.render_xlsx import pack_xlsx
from towers.reporting.selectors_pack import build_pack

logger = logging.getLogger(__name__)
FORMATS = ("pdf", "xlsx")
CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def subscription_create(
    *,
    actor: Actor,
    person: Person,
    supplier: Organisation | None,
    formats: list[str],
    day_of_month: int = 3,
    tower: Tower | None = None,
) -> PackSubscription:
    """Subscribe `person` (the actor themselves, or someone an administrator names) to a monthly pack."""
    if actor.person_id != person.pk and not actor.has_role("administrator"):
        raise Forbidden("Only an administrator subscribes someone else.")
    if not formats or set(formats) - set(FORMATS):
        raise ValidationFailed.one("formats", f"choose one or more of {', '.join(FORMATS)}")
    if not 1 <= day_of_month <= 28:
        raise ValidationFailed.one("day_of_month", "must be between 1 and 28")
    if not person.email:
        raise ValidationFailed.one("person", f"{person} has no email address")
    home = _home(person, actor)
    if home is None:
        raise ValidationFailed.one("person", f"{person} is not a member of any organisation")
    reader = actor_for(person, organisation=home, channel=Channel.WEB)
    _ensure_may_read(reader, supplier, tower)  # no subscription to a pack its reader may not read
    subscription = PackSubscription(
        person=person,
        organisation=home,
        supplier=supplier,
        tower=tower if supplier is None else None,
        formats=sorted(set(formats)),
        day_of_month=day_of_month,
    )
    with transaction.atomic():
        subscription.save()
        whose = supplier.code if supplier else f"tower {tower.code}" if tower else "estate"
        after = {"person": person.username, "pack": whose, "formats": formats}
        audit.record(actor, "reporting.pack_subscribed", subscription, after=after)
    return subscription


def _ensure_may_read(reader: Actor, supplier: Organisation | None, tower: Tower | None) -> None:
    if supplier is None and tower is not None:
        tower_by_code(reader, tower.code)
    else:
        ensure_may_read_pack(reader, supplier)


def _home(person: Person, actor: Actor) -> Organisation | None:
    """The organisation the person reads packs for: the actor's where they share it, else the person's first."""
    memberships = person.memberships.select_related("organisation").order_by("created_at")
    shared = memberships.filter(organisation=actor.organisation_id).first() if actor.organisation_id else None
    first = shared or memberships.first()
    return first.organisation if first else None


def packs_due(now: datetime | None = None) -> list[PackSubscription]:
    """Active subscriptions whose day has come this month and whose last month's pack has not gone."""
    now = now or timezone.now()
    month = add_months(timezone.localdate(now).replace(day=1), -1)
    sent = PackDelivery.objects.filter(month=month).values("subscription_id")
    due = PackSubscription.objects.filter(active=True, day_of_month__lte=timezone.localdate(now).day)
    return list(due.exclude(pk__in=sent).select_related("person", "organisation", "supplier", "tower"))


def packs_send(*, now: datetime | None = None) -> int:
    """Build and email each due pack; return how many went. Each is recorded, sent or refused, exactly once."""
    now = now or timezone.now()
    month = add_months(timezone.localdate(now).replace(day=1), -1)
    sent = 0
    for subscription in packs_due(now):
        try:
            with transaction.atomic():
                delivery = PackDelivery.objects.create(subscription=subscription, month=month, status="sending")
        except IntegrityError:  # another worker took it
            continue
        sent += _deliver(subscription, delivery, month)
    return sent


def _deliver(subscription: PackSubscription, delivery: PackDelivery, month: date) -> int:
    person = subscription.person
    try:
        reader = actor_for(person, organisation=subscription.organisation, channel=Channel.JOB)
        _ensure_may_read(reader, subscription.supplier, subscription.tower)
        pack = build_pack(actor=reader, month=month, supplier=subscription.supplier, tower=subscription.tower)
        _email(person, pack, subscription.formats)
    except (Forbidden, NotFound) as exc:
        delivery.status, delivery.error = "refused", str(exc) or "no longer allowed to read this pack"
    except Exception:  # a mail server down: recorded, and sent again next run
        logger.exception("could not send pack %s to %s", subscription.pk, person.email)
        delivery.delete()
        return 0
    else:
        delivery.status = "sent"
    delivery.sent_at = timezone.now()
    delivery.save(update_fields=["status", "error", "sent_at"])
    return 1 if delivery.status == "sent" else 0


def _email(person: Person, pack: ServicePack, formats: list[str]) -> None:
    label = pack.supplier or (f"tower-{pack.tower}" if pack.tower else "estate")
    stem = f"service-review-{label}-{pack.month:%Y-%m}"
    message = EmailMessage(
        subject=f"Service review: {pack.supplier_name}, {pack.month:%B %Y}",
        body=(
            f"The service review pack for {pack.supplier_name}, {pack.month:%B %Y}, is attached.\n\n"
            f"It was built for {pack.generated_for}: its figures are those you may see in Towers.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    renders = {"pdf": pack_pdf, "xlsx": pack_xlsx}
    for name in formats:
        message.attach(f"{stem}.{name}", renders[name](pack), CONTENT_TYPES[name])
    message.send()


def subscription_cancel(*, actor: Actor, subscription: PackSubscription) -> PackSubscription:
    """Stop a subscription (kept, with its deliveries, as the record of what was sent)."""
    if actor.person_id != subscription.person_id and not actor.has_role("administrator"):
        raise Forbidden("Only the subscriber or an administrator stops a subscription.")
    with transaction.atomic():
        PackSubscription.objects.filter(pk=subscription.pk).update(active=False, updated_at=timezone.now())
        subscription.active = False
        audit.record(
            actor, "reporting.pack_unsubscribed", subscription, before={"active": True}, after={"active": False}
        )
    return subscription


def subscriptions_for(actor: Actor) -> QuerySet[PackSubscription]:
    """The actor's own subscriptions; an administrator also sees their organisation's."""
    subscriptions = visible_to(actor, PackSubscription.objects).select_related(
        "person", "supplier", "tower", "organisation"
    )
    if not actor.has_role("administrator"):
        own = Person.objects.filter(pk=actor.person_id) if actor.person_id else Person.objects.none()
        subscriptions = subscriptions.filter(person__in=own)
    return subscriptions.filter(active=True).order_by("person__username", "created_at")
