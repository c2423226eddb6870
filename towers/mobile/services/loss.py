"""Reporting a device lost or stolen, and finding it again.

One report does, in one transaction: the device's status becomes lost or stolen; a priority incident is raised
for its person on the device's CI; a security case opens in the SOC when the device held police data; a remote
wipe and lock task goes to the mobile supplier (timed by the wipe service's levels); and a task per active line
goes to its network operator to bar it. The wipe and the bar are recorded on the device when their tasks are
done, wherever they are done (`on_done` below, called from the handler).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.permissions import can, ensure_can, visible_to
from towers.mobile.models import (
    Device,
    DeviceStatus,
    DeviceTask,
    LossKind,
    LossReport,
    MobileSettings,
    SimCard,
    TaskPurpose,
    WipeEvidence,
    WipeMethod,
)
from towers.mobile.policies import REPORT_LOSS
from towers.mobile.services.devices import device_update, history
from towers.mobile.services.tasks import LIFECYCLE, device_task_raise, on_done, settings_for
from towers.organisations.models import Person
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import State, Ticket, TicketKind
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition
from towers.soc.models import ObservableType, SecurityCase, Severity
from towers.soc.services.cases import case_add_note, case_add_task, case_open

MISSING = (DeviceStatus.LOST, DeviceStatus.STOLEN)
LOSS_FIELDS = ["device", "kind", "status_before", "occurred_at", "location", "crime_reference", "incident"]


def _ensure_may_report(actor: Actor, device: Device) -> None:
    """Anyone may report the device issued to them, whatever their roles (auditors stay read-only: the desk
    reports theirs); the desk and the fleet's people report others' devices."""
    if actor.person_id is not None and device.person_id == actor.person_id and not actor.read_only:
        if not visible_to(actor, Device.objects).filter(pk=device.pk).exists():
            raise NotFound("No such device.")
        return
    ensure_can(actor, REPORT_LOSS, device)
    if is_requester_only(actor):
        raise Forbidden("You can report only a device issued to you; the service desk can report others.")


def _describe(device: Device) -> str:
    parts = [f"{device.make} {device.model}".strip() or device.name, f"IMEI {device.imei}" if device.imei else ""]
    parts += [f"serial {device.serial}" if device.serial else "", f"MDM id {device.mdm_id}" if device.mdm_id else ""]
    return ", ".join(p for p in parts if p)


def device_report_loss(
    *,
    actor: Actor,
    device: Device,
    kind: str,
    occurred_at: datetime | None = None,
    location: str = "",
    circumstances: str = "",
    crime_reference: str = "",
    channel: str = "portal",
) -> LossReport:
    """Report `device` lost or stolen; see the module's docstring for everything it raises."""
    _ensure_may_report(actor, device)
    if kind not in LossKind.values:
        raise ValidationFailed.one("kind", "say whether the device was lost or stolen")
    if occurred_at is not None and occurred_at > timezone.now():
        raise ValidationFailed.one("occurred_at", "cannot be in the future")
    if device.status in MISSING:
        open_report = device.losses.filter(found_at__isnull=True).select_related("incident").first()
        seen = f" ({open_report.incident.reference})" if open_report and open_report.incident else ""
        raise ValidationFailed.one("device", f"{device} is already reported {device.status}{seen}")
    if device.status == DeviceStatus.RETIRED:
        raise ValidationFailed.one("device", f"{device} is retired")
    settings = settings_for(device.organisation)
    person = device.person or (Person.objects.filter(pk=actor.person_id).first() if actor.person_id else None)
    with transaction.atomic():
        report = LossReport.objects.create(
            device=device,
            kind=kind,
            status_before=device.status,
            occurred_at=occurred_at,
            location=location.strip(),
            circumstances=circumstances.strip(),
            crime_reference=crime_reference.strip(),
            person=person,
            reported_by=actor.label,
            on_behalf=actor.person_id is None or actor.person_id != device.person_id,
        )
        device_update(actor=LIFECYCLE, device=device, changes={"status": kind}, kind=kind)
        report.incident = _incident(actor, device, report, settings, channel)
        wipe = _raise_wipe(device, report, settings)
        for sim in device.sims.filter(status=SimCard.Status.ACTIVE).select_related("operator"):
            _raise_bar(device, sim, report, settings)
        if device.holds_police_data:
            report.security_case = _security_case(device, report, settings, wipe)
        report.save(update_fields=["incident", "security_case", "updated_at"])
        audit.record(actor, "mobile.device.loss_reported", report, after=audit.snapshot(report, LOSS_FIELDS))
        events.emit("mobile.device.loss_reported", key=str(device.id), device_id=str(device.id), kind=kind)
    return report


def _incident(actor: Actor, device: Device, report: LossReport, settings: MobileSettings, channel: str) -> Ticket:
    who = f" carried by {report.person}" if report.person else ""
    lines = [
        f"{report.get_kind_display()} device{who}: {_describe(device)}.",
        f"When: {report.occurred_at:%d %b %Y %H:%M}." if report.occurred_at else "",
        f"Where: {report.location}." if report.location else "",
        f"Crime reference: {report.crime_reference}." if report.crime_reference else "",
        report.circumstances,
        "The device holds police data." if device.holds_police_data else "",
    ]
    # Raised as the reporter where they may raise tickets; someone reporting their own phone who may not (a
    # contract manager, say) has it raised for them by the loss process, still as its requester.
    raiser = actor if can(actor, "ticket.raise", Ticket(requester_organisation=device.organisation)) else LIFECYCLE
    return ticket_create(
        actor=raiser,
        kind=TicketKind.INCIDENT,
        title=f"{report.get_kind_display()} device: {device.make} {device.model}{who}".replace("  ", " "),
        description="\n".join(line for line in lines if line),
        impact=settings.loss_impact,
        urgency=settings.loss_urgency,
        service=settings.incident_service,
        cis=[device.ci] if device.ci else [],
        requester=report.person,
        channel=channel,
    )


def _security_case(
    device: Device, report: LossReport, settings: MobileSettings, wipe: DeviceTask
) -> SecurityCase | None:
    assert report.incident is not None
    if settings.security_organisation is None:
        ticket_comment(
            actor=LIFECYCLE,
            ticket=report.incident,
            body="The device holds police data, but no SOC is set for this fleet: tell the SOC by hand.",
            public=False,
        )
        return None
    observables = [(ObservableType.HOST, device.name)] if device.name else []
    if report.person is not None:
        observables.append((ObservableType.USER, report.person.username))
    case = case_open(
        actor=LIFECYCLE,
        organisation=settings.security_organisation,
        title=f"Police data at risk: {report.get_kind_display().lower()} device {device.name or device.imei}",
        description=report.incident.description,
        severity=Severity.HIGH if report.kind == LossKind.STOLEN else Severity.MEDIUM,
        incident=report.incident,
        ci=device.ci,
        detected_at=report.occurred_at,
        observables=observables,
    )
    since = f" since {report.occurred_at:%d %b %H:%M}" if report.occurred_at else ""
    for title in (
        f"Confirm the remote wipe ({wipe.ticket.reference}) and that the device no longer checks in",
        f"Review sign-ins and MDM check-ins of {report.person or 'its user'} and the device{since}",
        "Decide whether the loss is a reportable data breach",
    ):
        case_add_task(actor=LIFECYCLE, case=case, title=title)
    return case


def _raise_wipe(device: Device, report: LossReport, settings: MobileSettings) -> DeviceTask:
    assert report.incident is not None
    team = settings.wipe_team or (device.ci.support_team if device.ci else None)
    return device_task_raise(
        device=device,
        purpose=TaskPurpose.WIPE,
        title=f"Remote wipe and lock: {device.name or device.imei}",
        description=f"{report.get_kind_display()} ({report.incident.reference}). Lock and wipe {_describe(device)}.",
        team=team,
        service=settings.wipe_service,
        parent=report.incident,
        impact=settings.loss_impact,
        urgency=settings.loss_urgency,
        loss=report,
    )


def _raise_bar(device: Device, sim: SimCard, report: LossReport, settings: MobileSettings) -> DeviceTask:
    assert report.incident is not None
    line_teams = list(settings.line_teams.select_related("organisation"))
    teams = [team for team in line_teams if team.organisation_id == sim.operator_id]
    if sim.operator_id is None and len(line_teams) == 1:  # the MDM did not say; the fleet has one operator
        teams = line_teams
    operator = teams[0].organisation.name if teams else "the operator"
    return device_task_raise(
        device=device,
        purpose=TaskPurpose.BAR_LINE,
        title=f"Bar line {sim.msisdn or sim.iccid} ({operator})",
        description=(
            f"{report.get_kind_display()} device ({report.incident.reference}): bar the line {sim.msisdn} "
            f"on SIM {sim.iccid} at once. Keep the number for reissue."
        ),
        team=teams[0] if teams else settings.wipe_team,
        service=settings.line_service,
        parent=report.incident,
        impact=settings.loss_impact,
        urgency=settings.loss_urgency,
        sim=sim,
        loss=report,
    )


@on_done(TaskPurpose.WIPE)
def _wiped(task: DeviceTask, ticket: Ticket) -> None:
    """The wipe task's resolution is the evidence that the device's data is gone."""
    by = ticket.team.organisation.name if ticket.team else "the mobile supplier"
    evidence = WipeEvidence.objects.create(
        device=task.device,
        method=WipeMethod.REMOTE_WIPE,
        performed_at=ticket.resolved_at or timezone.now(),
        performed_by=by,
        certificate=ticket.reference,
        task=ticket,
        recorded_by=LIFECYCLE.label,
    )
    history(task.device, LIFECYCLE, "wiped", ticket_id=ticket.id, note=ticket.resolution_notes or ticket.reference)
    audit.record(
        LIFECYCLE, "mobile.device.wiped", task.device, after={"evidence": evidence.pk, "task": ticket.reference}
    )


@on_done(TaskPurpose.BAR_LINE)
def _barred(task: DeviceTask, ticket: Ticket) -> None:
    sim = task.sim
    if sim is None:
        return
    before = {"status": sim.status}
    sim.status, sim.barred_at = SimCard.Status.BARRED, ticket.resolved_at or timezone.now()
    sim.save(update_fields=["status", "barred_at", "updated_at"])
    audit.record(LIFECYCLE, "mobile.sim.barred", sim, before=before, after={"status": sim.status})
    history(task.device, LIFECYCLE, "line_barred", ticket_id=ticket.id, note=f"{sim.msisdn} ({ticket.reference})")


def device_found(*, actor: Actor, device: Device, note: str = "") -> Device:
    """The missing device is back: its status returns, steps not yet done are cancelled, incident and case told."""
    _ensure_may_report(actor, device)
    report = device.losses.filter(found_at__isnull=True).select_related("incident", "security_case").first()
    if device.status not in MISSING or report is None:
        raise ValidationFailed.one("device", f"{device} is not reported lost or stolen")
    back = report.status_before if report.status_before not in MISSING else DeviceStatus.ISSUED
    body = f"Device found ({actor.label}). {note}".strip()
    with transaction.atomic():
        report.found_at = timezone.now()
        report.save(update_fields=["found_at", "updated_at"])
        device_update(actor=LIFECYCLE, device=device, changes={"status": back}, kind="found")
        for task in report.tasks.filter(finished_at__isnull=True, ticket__state__in=OPEN_STATES).select_related(
            "ticket"
        ):
            ticket_transition(actor=LIFECYCLE, ticket=task.ticket, state=State.CANCELLED, note=body)
        if report.incident is not None and report.incident.is_open:
            ticket_comment(actor=LIFECYCLE, ticket=report.incident, body=body, public=True)
        if report.security_case is not None:
            case_add_note(actor=LIFECYCLE, case=report.security_case, body=body)
        audit.record(actor, "mobile.device.found", report, after={"found_at": report.found_at, "note": note})
        events.emit("mobile.device.found", key=str(device.id), device_id=str(device.id))
    return device
