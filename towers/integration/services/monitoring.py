"""Monitoring intake: Prometheus Alertmanager notifications become incidents on the team that supports the asset.

Each alert episode (fingerprint and start) raises one incident; Alertmanager's repeats are counted on it, not
raised again. When the alert resolves, the incident is resolved too if nobody has started work on it (it is
still new or assigned, held by the organisation that raised it); otherwise the people working it are told in a
timeline note, since they decide when their incident is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

import towers.integration.policies_monitoring  # noqa: F401  (registers the model and the action)
from towers.cmdb.selectors import ci_for_host
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.permissions import ensure_can
from towers.integration.alertmanager import MonitoringAlert as Received
from towers.integration.alertmanager import Notification
from towers.integration.models_monitoring import MonitoringAlert
from towers.organisations.models import Organisation
from towers.servicedesk.models import State
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition

# Alertmanager's usual severity labels → (impact, urgency); 1 is high.
LEVELS = {"critical": (1, 1), "page": (1, 1), "high": (1, 2), "error": (2, 2), "warning": (2, 2), "info": (3, 3)}
UNTOUCHED = (State.NEW, State.ASSIGNED)
RESOLUTION_CODE = "no_fault_found"  # the monitoring says the symptom went away: nobody fixed anything on record


@dataclass
class IntakeReport:
    raised: list[str] = field(default_factory=list)  # incident references
    repeated: int = 0
    resolved: list[str] = field(default_factory=list)
    annotated: list[str] = field(default_factory=list)
    ignored: int = 0  # resolved alerts Towers never saw firing (nothing to resolve)

    def as_dict(self) -> dict[str, object]:
        return {
            "raised": self.raised,
            "repeated": self.repeated,
            "resolved": self.resolved,
            "annotated": self.annotated,
            "ignored": self.ignored,
        }


def alertmanager_receive(*, actor: Actor, organisation: Organisation, notification: Notification) -> IntakeReport:
    """Apply one Alertmanager message: raise, count repeats, resolve or annotate. One audit entry per message."""
    ensure_can(actor, "monitoring.submit", organisation)
    report = IntakeReport()
    now = timezone.now()
    for alert in notification.alerts:
        with transaction.atomic():
            if alert.status == MonitoringAlert.Status.FIRING:
                _firing(actor, organisation, alert, now, report)
            else:
                _resolved(actor, organisation, alert, now, report)
    with transaction.atomic():
        audit.record(
            actor,
            "monitoring.alerts.received",
            organisation,
            after={"receiver": notification.receiver, "group": notification.group_key[:200], **report.as_dict()},
        )
    return report


def _episode(organisation: Organisation, alert: Received) -> MonitoringAlert | None:
    return (
        MonitoringAlert.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(organisation=organisation, fingerprint=alert.fingerprint, starts_at=alert.starts_at)
        .first()
    )


def _firing(actor: Actor, organisation: Organisation, alert: Received, now: datetime, report: IntakeReport) -> None:
    row = _episode(organisation, alert)
    if row is not None:
        MonitoringAlert.objects.filter(pk=row.pk).update(received=row.received + 1, last_received_at=now)
        report.repeated += 1
        return
    ci = ci_for_host(alert.target)
    impact, urgency = LEVELS.get(alert.severity, (2, 2))
    try:
        with transaction.atomic():  # two notifications of one new episode at once: the second counts as a repeat
            row = MonitoringAlert.objects.create(
                organisation=organisation,
                fingerprint=alert.fingerprint,
                starts_at=alert.starts_at,
                name=alert.name[:200],
                severity=alert.severity[:30],
                target=alert.target[:255],
                labels=alert.labels,
                annotations=alert.annotations,
                generator_url=alert.generator_url[:1000],
                last_received_at=now,
                ci=ci,
            )
    except IntegrityError:
        report.repeated += 1
        return
    incident = ticket_create(
        actor=actor,
        title=f"{alert.name}: {alert.summary}"[:300],
        description=_description(alert),
        impact=impact,
        urgency=urgency,
        service=ci.service if ci else None,
        cis=[ci] if ci else [],
        team=ci.support_team if ci and ci.support_team_id else None,
        channel="monitoring",
        opened_at=min(alert.starts_at, now),
    )
    row.incident = incident
    row.save(update_fields=["incident", "updated_at"])
    events.emit("monitoring.alert.raised", key=str(incident.id), ticket_id=str(incident.id), alert=alert.name)
    report.raised.append(incident.reference)


def _resolved(actor: Actor, organisation: Organisation, alert: Received, now: datetime, report: IntakeReport) -> None:
    row = _episode(organisation, alert)
    if row is None or row.status == MonitoringAlert.Status.RESOLVED:
        report.ignored += row is None
        return
    row.status, row.ends_at, row.last_received_at = MonitoringAlert.Status.RESOLVED, alert.ends_at or now, now
    row.received += 1
    row.save(update_fields=["status", "ends_at", "last_received_at", "received", "updated_at"])
    incident = row.incident
    if incident is None or incident.state in (State.RESOLVED, State.CLOSED, State.CANCELLED):
        return
    ended = f"{row.ends_at:%Y-%m-%d %H:%M:%S} UTC"
    if incident.state in UNTOUCHED and incident.organisation_id == organisation.pk:
        note = f"Alertmanager reports {alert.name} resolved at {ended}; no work had started."
        ticket_transition(
            actor=actor, ticket=incident, state=State.RESOLVED, resolution_code=RESOLUTION_CODE, resolution_notes=note
        )
        report.resolved.append(incident.reference)
    else:
        ticket_comment(actor=actor, ticket=incident, body=f"Alertmanager reports {alert.name} resolved at {ended}.")
        report.annotated.append(incident.reference)


def _description(alert: Received) -> str:
    lines = [alert.annotations.get("description", "") or alert.summary, ""]
    lines += [f"{name}: {value}" for name, value in sorted(alert.labels.items())]
    if alert.generator_url:
        lines += ["", f"Source: {alert.generator_url}"]
    lines += [f"Fingerprint: {alert.fingerprint}, firing since {alert.starts_at:%Y-%m-%d %H:%M:%S} UTC"]
    return "\n".join(lines)
