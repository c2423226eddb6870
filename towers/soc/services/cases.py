"""Security cases: opened from alerts, worked with tasks, notes and observables, handed to the asset's supplier."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import StaleVersion, ValidationFailed
from towers.core.permissions import ensure_can
from towers.organisations.models import Membership, Organisation, Person, Team
from towers.servicedesk.models import Ticket
from towers.servicedesk.services.references import next_reference
from towers.servicedesk.services.tickets import ticket_create
from towers.soc.models import (
    Alert,
    CaseNote,
    CaseStatus,
    CaseTask,
    Observable,
    ObservableType,
    SecurityCase,
    Severity,
    Tlp,
)
from towers.soc.observables import extract
from towers.soc.services.case_clocks import SEVERITY_KIND, STATUS_KIND, case_clocks_recompute, severity_change_body
from towers.soc.services.common import CASE_FIELDS, timeline

SEVERITY_ORDER = list(Severity.values)
IMPACT_OF = {"critical": 1, "high": 1, "medium": 2, "low": 3, "informational": 3}


def _max_severity(*levels: str) -> str:
    return max(levels, key=SEVERITY_ORDER.index)


def _earliest(*times: Any) -> Any:
    return min((t for t in times if t is not None), default=None)


def attach_in_transaction(*, actor: Actor, alert: Alert, case: SecurityCase, recompute_clocks: bool = True) -> None:
    """Put `alert` in `case`: its observables join the case, and the case's times and severity take it in.

    The case's clocks are recomputed when its severity (their priority) or acknowledgement changes, unless the
    caller recomputes them itself once it is done.
    """
    alert.case = case
    alert.save(update_fields=["case", "updated_at"])
    for kind, value, source in extract(alert.events):
        Observable.objects.get_or_create(case=case, type=kind, value=value[:1000], defaults={"source": source})
    clocked = (case.severity, case.acknowledged_at)
    case.severity = _max_severity(case.severity, alert.severity)
    case.detected_at = _earliest(case.detected_at, alert.detected_at)
    case.alerted_at = _earliest(case.alerted_at, alert.first_seen)
    case.acknowledged_at = _earliest(case.acknowledged_at, alert.acknowledged_at)
    case.ci = case.ci or alert.ci
    case.save(update_fields=["severity", "detected_at", "alerted_at", "acknowledged_at", "ci", "updated_at"])
    timeline(case, "alert_attached", actor, f"{alert.title} ({alert.host or alert.user or alert.ip})")
    if case.severity != clocked[0]:
        timeline(case, SEVERITY_KIND, actor, severity_change_body(clocked[0], case.severity))
    audit.record(actor, "soc.alert.attached", alert, after={"case": case.reference})
    events.emit("soc.alert.attached", key=str(case.id), case_id=str(case.id), alert_id=str(alert.id))
    if (case.severity, case.acknowledged_at) != clocked and recompute_clocks:
        case_clocks_recompute(case=case, actor=actor)


def case_from_alerts(*, actor: Actor, alerts: Iterable[Alert], title: str = "") -> SecurityCase:
    """Open a case for related alerts (one SOC's), titled after the first unless a title is given."""
    alerts = list(alerts)
    if not alerts:
        raise ValidationFailed.one("alerts", "choose at least one alert")
    for alert in alerts:
        ensure_can(actor, "soc.triage", alert)
    if len({a.organisation_id for a in alerts}) > 1:
        raise ValidationFailed.one("alerts", "alerts of different SOCs cannot share a case")
    if any(a.case_id for a in alerts):
        raise ValidationFailed.one("alerts", "an alert is already in a case")
    case = SecurityCase(
        title=(title or alerts[0].title).strip(),
        organisation_id=alerts[0].organisation_id,
        severity=alerts[0].severity,
    )
    ensure_can(actor, "soc.triage", case)
    with transaction.atomic():
        case.reference = next_reference("SEC")
        case.save(force_insert=True)
        timeline(case, "opened", actor, case.title)
        audit.record(actor, "soc.case.opened", case, after=audit.snapshot(case, CASE_FIELDS))
        events.emit("soc.case.opened", key=str(case.id), case_id=str(case.id))
        for alert in alerts:
            attach_in_transaction(actor=actor, alert=alert, case=case, recompute_clocks=False)
        case_clocks_recompute(case=case, actor=actor)
    return case


def case_open(
    *,
    actor: Actor,
    organisation: Organisation,
    title: str,
    description: str = "",
    severity: str = Severity.MEDIUM,
    incident: Ticket | None = None,
    ci: ConfigurationItem | None = None,
    detected_at: Any = None,
    observables: Iterable[tuple[str, str]] = (),
) -> SecurityCase:
    """Open a case that no alert raised (a lost police device, a report by phone) in `organisation`'s SOC.

    `observables` are (type, value) pairs; `incident` is the service desk ticket the case follows.
    """
    now = timezone.now()
    case = SecurityCase(
        title=title.strip(),
        description=description,
        organisation=organisation,
        severity=severity,
        incident=incident,
        ci=ci,
        detected_at=detected_at or now,
        alerted_at=now,
    )
    ensure_can(actor, "soc.triage", case)
    with transaction.atomic():
        case.reference = next_reference("SEC")
        case.save(force_insert=True)
        timeline(case, "opened", actor, case.title)
        for kind, value in observables:
            Observable.objects.get_or_create(case=case, type=kind, value=value[:1000], defaults={"source": "reported"})
        audit.record(actor, "soc.case.opened", case, after=audit.snapshot(case, CASE_FIELDS))
        events.emit("soc.case.opened", key=str(case.id), case_id=str(case.id))
        case_clocks_recompute(case=case, actor=actor)
    return case


def alert_attach_to_case(*, actor: Actor, alert: Alert, case: SecurityCase) -> Alert:
    ensure_can(actor, "soc.triage", alert)
    ensure_can(actor, "soc.triage", case)
    if alert.organisation_id != case.organisation_id:
        raise ValidationFailed.one("case", "the alert belongs to another SOC")
    with transaction.atomic():
        attach_in_transaction(actor=actor, alert=alert, case=case)
    return alert


def case_add_task(*, actor: Actor, case: SecurityCase, title: str) -> CaseTask:
    ensure_can(actor, "soc.triage", case)
    if not title.strip():
        raise ValidationFailed.one("title", "is required")
    with transaction.atomic():
        task = CaseTask.objects.create(case=case, title=title.strip())
        timeline(case, "task_added", actor, task.title)
        audit.record(actor, "soc.case.task_added", task, after={"case": case.reference, "title": task.title})
        events.emit("soc.case.task_added", key=str(case.id), case_id=str(case.id), task_id=str(task.id))
    return task


def case_task_update(
    *,
    actor: Actor,
    task: CaseTask,
    done: bool | None = None,
    assignee: Person | None = None,
    expected_version: int | None = None,
) -> CaseTask:
    """Mark a task done or reopen it, and/or assign it to a person of the case's SOC (None leaves either as is)."""
    case = task.case
    ensure_can(actor, "soc.triage", case)
    if expected_version is not None and expected_version != task.version:
        raise StaleVersion(task.version)
    if (
        assignee is not None
        and not Membership.objects.filter(person=assignee, organisation=case.organisation_id).exists()
    ):
        raise ValidationFailed.one("assignee", f"{assignee} is not in {case.organisation}")
    before = {"done": task.done, "assignee": str(task.assignee_id) if task.assignee_id else None}
    changes: list[str] = []
    if done is not None and done != task.done:
        task.done = done
        changes.append("done" if done else "reopened")
    if assignee is not None and assignee.pk != task.assignee_id:
        task.assignee = assignee
        changes.append(f"assigned to {assignee}")
    if not changes:
        return task
    task.version += 1
    task.updated_at = timezone.now()
    with transaction.atomic():
        task.save(update_fields=["done", "assignee", "version", "updated_at"])
        timeline(case, "task", actor, f"{task.title}: {', '.join(changes)}")
        after = {"done": task.done, "assignee": str(task.assignee_id) if task.assignee_id else None}
        audit.record(actor, "soc.case.task_updated", task, before=before, after=after)
        events.emit("soc.case.task_updated", key=str(case.id), case_id=str(case.id), task_id=str(task.id))
    return task


def case_add_note(*, actor: Actor, case: SecurityCase, body: str) -> CaseNote:
    ensure_can(actor, "soc.triage", case)
    if not body.strip():
        raise ValidationFailed.one("body", "is required")
    with transaction.atomic():
        note = CaseNote.objects.create(case=case, author=actor.label, body=body.strip())
        timeline(case, "note", actor, note.body)
        audit.record(actor, "soc.case.note_added", note, after={"case": case.reference})
        events.emit("soc.case.note_added", key=str(case.id), case_id=str(case.id), note_id=str(note.id))
    return note


def case_add_observable(
    *, actor: Actor, case: SecurityCase, type: str, value: str, tlp: str = Tlp.AMBER, pap: str = Tlp.AMBER
) -> Observable:
    """An analyst's observable; one per case, type and value (adding it again updates its TLP and PAP)."""
    ensure_can(actor, "soc.triage", case)
    if type not in ObservableType.values:
        raise ValidationFailed.one("type", f"choose one of {', '.join(ObservableType.values)}")
    if not value.strip():
        raise ValidationFailed.one("value", "is required")
    with transaction.atomic():
        observable, _ = Observable.objects.update_or_create(
            case=case, type=type, value=value.strip(), defaults={"tlp": tlp, "pap": pap, "source": "analyst"}
        )
        timeline(case, "observable", actor, str(observable))
        audit.record(actor, "soc.case.observable_added", observable, after={"type": type, "value": observable.value})
        events.emit("soc.case.observable_added", key=str(case.id), case_id=str(case.id), type=type)
    return observable


def case_transition(*, actor: Actor, case: SecurityCase, status: str) -> SecurityCase:
    """Work starts (acknowledged, for MTTA), is resolved (MTTR) or closed."""
    ensure_can(actor, "soc.triage", case)
    if status not in CaseStatus.values:
        raise ValidationFailed.one("status", f"choose one of {', '.join(CaseStatus.values)}")
    now = timezone.now()
    with transaction.atomic():
        before = {"status": case.status}
        case.status = status
        if status != CaseStatus.OPEN and case.acknowledged_at is None:
            case.acknowledged_at = now
        if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and case.resolved_at is None:
            case.resolved_at = now
        case.version += 1
        case.save()
        timeline(case, STATUS_KIND, actor, case.get_status_display())
        audit.record(actor, "soc.case.status_changed", case, before=before, after={"status": status})
        events.emit("soc.case.status_changed", key=str(case.id), case_id=str(case.id), status=status)
        case_clocks_recompute(case=case, actor=actor)  # after the status line, so the clocks see it
    return case


def case_hand_off(
    *, actor: Actor, case: SecurityCase, team: Team | None = None, note: str = "", impact: int | None = None
) -> Ticket:
    """Raise the case's incident to the team supporting its asset (or `team`); the desk routes and hands it off."""
    ensure_can(actor, "soc.hand_off", case)
    if case.incident_id:
        raise ValidationFailed.one("incident", f"already handed off as {case.incident}")
    ci = case.ci
    team = team or (ci.support_team if ci else None)
    if team is None:
        raise ValidationFailed.one("team", "the case has no CMDB asset with a support team: choose a team")
    level = IMPACT_OF.get(case.severity, 2) if impact is None else impact
    description = "\n".join(
        filter(None, [f"Security case {case.reference} ({case.get_severity_display()}).", case.description, note])
    )
    with transaction.atomic():
        incident = ticket_create(
            actor=actor,
            title=f"{case.reference}: {case.title}"[:300],
            description=description,
            impact=level,
            urgency=level,
            service=ci.service if ci else None,
            cis=[ci] if ci else [],
            team=team,
            channel="security",
        )
        case.incident = incident
        case.version += 1
        case.save(update_fields=["incident", "version", "updated_at"])
        timeline(case, "handed_off", actor, f"{incident.reference} to {team}")
        audit.record(actor, "soc.case.handed_off", case, after={"incident": incident.reference, "team": str(team)})
        events.emit("soc.case.handed_off", key=str(case.id), case_id=str(case.id), incident_id=str(incident.id))
    return incident
