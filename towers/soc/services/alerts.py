"""Alerts: raised from detections (fingerprinted, de-duplicated within a window, suppressed, tuned), then triaged.

Automatic grouping: a new alert joins the most recent open case of its SOC that already holds its host,
user or IP as an observable, or that is about the same CMDB asset; otherwise it waits in the queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from towers.cmdb.selectors import ci_for_host
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.models import AuditEntry
from towers.core.permissions import ensure_can
from towers.soc.models import OPEN_CASE_STATUSES, Alert, AlertStatus, DetectionRule, SecurityCase, Suppression
from towers.soc.observables import attack_tags, entity, event_time, fingerprint
from towers.soc.services.case_clocks import case_clocks_recompute
from towers.soc.services.common import ALERT_FIELDS

DEDUP_WINDOW = timedelta(hours=1)
REPEAT_AUDIT_EVERY = timedelta(minutes=15)
REPEATED = "soc.alert.repeated"
MAX_EVENTS = 20  # kept per alert; `count` keeps counting beyond it


def _matches(event: Mapping[str, Any], field: str, value: str) -> bool:
    got = event.get(field)
    return got is not None and str(got).lower() == value.lower()


def _tuned_out(rule: DetectionRule, event: Mapping[str, Any]) -> bool:
    return any(_matches(event, str(e.get("field", "")), str(e.get("value", ""))) for e in rule.exceptions or [])


def related_case(alert: Alert) -> SecurityCase | None:
    """The open case this alert belongs with, by the automatic grouping rule in this module's docstring."""
    condition = Q(ci=alert.ci_id) if alert.ci_id else Q(pk__in=[])
    for kind, value in (("host", alert.host), ("user", alert.user), ("ip", alert.ip)):
        if value:
            condition |= Q(observables__type=kind, observables__value=value)
    return (
        SecurityCase.objects.filter(organisation=alert.organisation_id, status__in=OPEN_CASE_STATUSES)
        .filter(condition)
        .order_by("-opened_at")
        .first()
    )


def _serialise_fingerprint(organisation_id: object, print_: str) -> None:
    """Two detection workers raising the same new alert at once must make one alert, not two: on PostgreSQL a
    transaction-scoped advisory lock per fingerprint orders them (the row lock below only covers an alert that
    already exists). SQLite runs one writer at a time anyway."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"{organisation_id}:{print_}".encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def alert_raise(
    *,
    actor: Actor,
    rule: DetectionRule,
    events: Iterable[Mapping[str, Any]],
    now: datetime | None = None,
    window: timedelta = DEDUP_WINDOW,
) -> Alert | None:
    """An alert for `events` matched by `rule`, or the open one with its fingerprint (count+1); None when tuned out."""
    ensure_can(actor, "soc.triage", rule)
    now = now or timezone.now()
    matched = [dict(e) for e in events if not _tuned_out(rule, e)]
    if not rule.enabled or not matched:
        return None
    host, user, ip = entity(matched[0])
    print_ = fingerprint(rule.rule_id, host, user, ip)
    with transaction.atomic():
        _serialise_fingerprint(rule.organisation_id, print_)
        suppression = next(
            (
                s
                for s in Suppression.objects.filter(rule=rule, until__gt=now)
                if any(_matches(e, s.field, s.value) for e in matched)
            ),
            None,
        )
        if suppression is not None:
            Suppression.objects.filter(pk=suppression.pk).update(hits=F("hits") + 1)
            return None
        alert = (
            Alert.objects.select_for_update()
            .filter(organisation=rule.organisation_id, fingerprint=print_, last_seen__gte=now - window)
            .exclude(status=AlertStatus.CLOSED)
            .order_by("-last_seen")
            .first()
        )
        if alert is not None:
            return _repeat(actor, alert, matched, now)
        tactics, techniques = attack_tags(rule.tags or [])
        times = [t for t in map(event_time, matched) if t is not None]
        alert = Alert.objects.create(
            organisation_id=rule.organisation_id,
            rule=rule,
            title=rule.title,
            severity=rule.level,
            tactics=tactics,
            techniques=techniques,
            events=matched[:MAX_EVENTS],
            count=len(matched),
            fingerprint=print_,
            host=host,
            user=user,
            ip=ip,
            first_seen=now,
            last_seen=now,
            detected_at=min(times, default=now),
            ci=ci_for_host(host),
        )
        audit.record(actor, "soc.alert.raised", alert, after=audit.snapshot(alert, ALERT_FIELDS))
        _emit_raised(alert)
        case = related_case(alert)
        if case is not None:
            from towers.soc.services.cases import attach_in_transaction

            attach_in_transaction(actor=actor, alert=alert, case=case)
    return alert


def _emit_raised(alert: Alert) -> None:
    events.emit("soc.alert.raised", key=str(alert.id), alert_id=str(alert.id), rule=alert.rule.rule_id)


def _last_repeat_entry(alert: Alert) -> AuditEntry | None:
    return (
        AuditEntry.objects.filter(object_type=audit.object_type(alert), object_id=str(alert.pk), action=REPEATED)
        .order_by("-seq")
        .only("at", "after")
        .first()
    )


def repeat_needs_audit(last: AuditEntry | None, *, count: int, now: datetime, status_changed: bool) -> bool:
    """Whether a repeat gets an audit entry: the first repeat, a status change (a suppression that ran out),
    REPEAT_AUDIT_EVERY since the last entry, or a count that has at least doubled since it; otherwise not.

    At stream rates one entry per repeat would flood the audit chain without telling anyone more: the count
    and last_seen on the alert are always kept, and each entry states the count it saw and the last_seen
    it was written for, so the entries bracket every repeat between them.
    """
    if last is None or status_changed:
        return True
    after = last.after or {}
    audited_at = datetime.fromisoformat(after["last_seen"]) if after.get("last_seen") else last.at
    return now - audited_at >= REPEAT_AUDIT_EVERY or count >= 2 * int(after.get("count", 0))


def _repeat(actor: Actor, alert: Alert, matched: list[dict[str, Any]], now: datetime) -> Alert:
    """Count a repeat on its open alert; audited sparingly (see repeat_needs_audit)."""
    before = {"count": alert.count, "status": alert.status}
    alert.count += len(matched)
    alert.last_seen = now
    alert.events = (alert.events + matched)[:MAX_EVENTS]
    if alert.status == AlertStatus.SUPPRESSED and alert.suppressed_until and alert.suppressed_until <= now:
        alert.status, alert.suppressed_until = AlertStatus.NEW, None
    alert.version += 1
    alert.save(update_fields=["count", "last_seen", "events", "status", "suppressed_until", "version", "updated_at"])
    last = _last_repeat_entry(alert)
    if repeat_needs_audit(last, count=alert.count, now=now, status_changed=alert.status != before["status"]):
        after = {"count": alert.count, "status": alert.status, "last_seen": now}
        audit.record(actor, REPEATED, alert, before=before, after=after)
        # Subscribers hear of repeats at the audit's pace, with the running count, not once per matching event.
        events.emit(REPEATED, key=str(alert.id), alert_id=str(alert.id), count=alert.count)
    return alert


def _bulk(actor: Actor, alerts: Iterable[Alert], verb: str, changes: dict[str, Any]) -> list[Alert]:
    alerts = list(alerts)
    for alert in alerts:
        ensure_can(actor, "soc.triage", alert)
    now = timezone.now()
    with transaction.atomic():
        for alert in alerts:
            before = audit.snapshot(alert, ALERT_FIELDS)
            for name, value in changes.items():
                setattr(alert, name, value)
            if verb == "acknowledged" and alert.acknowledged_at is None:
                alert.acknowledged_at = now
            alert.version += 1
            alert.updated_at = now
            # Only the fields triage sets: a repeat counted since the alert was read must not be lost.
            alert.save(update_fields=[*changes, "acknowledged_at", "version", "updated_at"])
            if verb == "acknowledged" and alert.case_id:
                _acknowledge_case(actor, alert.case_id, now)
            audit.record(actor, f"soc.alert.{verb}", alert, before=before, after=audit.snapshot(alert, ALERT_FIELDS))
            events.emit(f"soc.alert.{verb}", key=str(alert.id), alert_id=str(alert.id))
    return alerts


def _acknowledge_case(actor: Actor, case_id: UUID, now: datetime) -> None:
    """Acknowledging an alert acknowledges its case (MTTA) if nothing had, which stops its response clocks."""
    if SecurityCase.objects.filter(pk=case_id, acknowledged_at=None).update(acknowledged_at=now):
        case_clocks_recompute(case=SecurityCase.objects.get(pk=case_id), actor=actor, now=now)


def alerts_acknowledge(*, actor: Actor, alerts: Iterable[Alert]) -> list[Alert]:
    return _bulk(actor, alerts, "acknowledged", {"status": AlertStatus.ACKNOWLEDGED})


def alerts_suppress(*, actor: Actor, alerts: Iterable[Alert], until: datetime) -> list[Alert]:
    """Quieten alerts until `until`: repeats are still counted on them, but they leave the queue."""
    if until <= timezone.now():
        raise ValidationFailed.one("until", "must be in the future")
    return _bulk(actor, alerts, "suppressed", {"status": AlertStatus.SUPPRESSED, "suppressed_until": until})


def alerts_close(*, actor: Actor, alerts: Iterable[Alert]) -> list[Alert]:
    return _bulk(actor, alerts, "closed", {"status": AlertStatus.CLOSED, "suppressed_until": None})


def alert_acknowledge(*, actor: Actor, alert: Alert) -> Alert:
    return alerts_acknowledge(actor=actor, alerts=[alert])[0]


def alert_suppress(*, actor: Actor, alert: Alert, until: datetime) -> Alert:
    return alerts_suppress(actor=actor, alerts=[alert], until=until)[0]


def alert_close(*, actor: Actor, alert: Alert) -> Alert:
    return alerts_close(actor=actor, alerts=[alert])[0]
