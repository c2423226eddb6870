"""The demo fleet's loss routing and its losses, through the real services: Northshire's mobile settings (wipes
to Meridian's mobile team on a one-hour 24x7 level, lines barred by Airwave's team, Meridian's SOC told of
police data), then devices reported lost or stolen by their officers or by the desk; the older reports' wipes
and bars are done, one device was found again.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from towers.contracts.models import Calendar, Contract, Service
from towers.contracts.services.catalogue import service_create, service_level_create
from towers.core.actor import Actor, Channel
from towers.mobile.models import Device, DeviceStatus, DeviceTask, LossReport, TaskPurpose
from towers.mobile.services.loss import device_found, device_report_loss
from towers.mobile.services.settings import mobile_settings_update
from towers.mobile.services.tasks import device_task_finished
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.selectors import actor_for
from towers.servicedesk.models import HandOff, State
from towers.servicedesk.services.handoffs import handoff_accept
from towers.servicedesk.services.tickets import ticket_transition

LOSSES = {"small": (6, 4), "large": (60, 40)}  # lost, stolen
PLACES = ["Market Street", "Custody suite car park", "Patrol car NP21 KXA", "Town hall steps", "Railway station"]


def _service(actor: Actor, code: str, name: str, owner: Organisation) -> Service:
    return service_create(actor=actor, code=code, name=name, owner=owner, category="mobile", tower=owner.tower)


def seed_loss_routing(actor: Actor, authority: Organisation) -> None:
    """The services and levels a loss's steps run on, and where the authority's settings send them."""
    meridian, airwave = (Organisation.objects.get(code=c) for c in ("meridian", "airwave-mobile"))
    always = Calendar.objects.get(code="24x7")
    contract = Contract.objects.filter(supplier=meridian).first()
    wipe = _service(actor, "mobile-wipe", "Mobile remote wipe and lock", meridian)
    bar = _service(actor, "mobile-line-bar", "Mobile line barring", meridian)
    # code, name, kind, service, provider, customer, measure, hours for P1/P2 and for P3/P4
    levels = [
        ("mer-mobile-wipe", "Lost devices locked and wiped", "sla", wipe, meridian, authority, "98", (1, 4)),
        ("mer-line-bar", "Lines of lost devices barred", "sla", bar, meridian, authority, "98", (4, 8)),
        ("aw-line-bar", "Airwave bars a line", "uc", bar, airwave, meridian, "99", (2, 4)),
    ]
    for code, name, kind, service, provider, customer, measure, (urgent, other) in levels:
        for priority in ("P1", "P2", "P3", "P4"):
            hours = urgent if priority in ("P1", "P2") else other
            service_level_create(
                actor=actor, code=f"{code}-{priority.lower()}", name=f"{name} within {hours} hours ({priority})",
                kind=kind, service=service, provider=provider, customer=customer, metric="resolution",
                priority=priority, target=timedelta(hours=hours), calendar=always, pause_states=[],
                performance_measure=Decimal(measure), contract=contract if kind == "sla" else None,
            )  # fmt: skip
    mobile_team = Team.objects.get(code="mer-mobile")
    changes = {
        "incident_service": Service.objects.get(code="mobile"),
        "wipe_team": mobile_team,
        "wipe_service": wipe,
        "line_service": bar,
        "logistics_team": mobile_team,
        "repair_team": mobile_team,
        "lifecycle_service": Service.objects.get(code="mobile"),
        "security_organisation": meridian,
    }
    lines = [Team.objects.get(code="aw-lines")]
    mobile_settings_update(actor=actor, organisation=authority, changes=changes, line_teams=lines)


def _person(username: str) -> Person:
    return Person.objects.get(username=username)


def _finish_steps(report: LossReport) -> None:
    """The mobile team wipes the device; Airwave accepts the bar and bars the line."""
    for task in DeviceTask.objects.filter(loss=report).select_related("ticket__team__organisation"):
        ticket = task.ticket
        if task.purpose == TaskPurpose.WIPE:
            engineer = actor_for(_person("mer-mobile.1"), organisation=ticket.organisation, channel=Channel.WEB)
            notes = "Locked and wiped through Intune; the device confirmed the wipe."
        else:
            airwave = Organisation.objects.get(code="airwave-mobile")
            engineer = actor_for(_person("aw-lines.1"), organisation=airwave, channel=Channel.WEB)
            offer = HandOff.objects.filter(ticket=ticket, status=HandOff.Status.PENDING).first()
            if offer is not None:
                handoff_accept(actor=engineer, handoff=offer)
                ticket.refresh_from_db()
            notes = "Line barred on the network; number kept for reissue."
        ticket_transition(
            actor=engineer, ticket=ticket, state=State.RESOLVED, resolution_code="fixed", resolution_notes=notes
        )


def seed_losses(size: str, authority: Organisation) -> int:
    """Report devices lost or stolen; finish the older half's steps; one lost device turns up."""
    lost, stolen = LOSSES[size]
    desk = actor_for(_person("sd.agent"), organisation=Organisation.objects.get(code="meridian"), channel=Channel.WEB)
    issued = Device.objects.filter(organisation=authority, status=DeviceStatus.ISSUED, person__isnull=False)
    candidates = list(issued.exclude(person__username="officer").order_by("name").values_list("pk", flat=True))
    picked = candidates[3 :: max(1, len(candidates) // (lost + stolen + 1))][: lost + stolen]
    chosen = sorted(issued.filter(pk__in=picked).select_related("person"), key=lambda d: picked.index(d.pk))
    now, reports = timezone.now(), []
    for n, device in enumerate(chosen):
        actor = desk
        if n % 2 == 0 and device.person is not None:  # every other one by the officer in the portal
            own = actor_for(device.person, organisation=authority, channel=Channel.WEB)
            actor = desk if own.read_only else own  # an auditor's phone is reported by the desk
        by_self = actor is not desk
        reports.append(
            device_report_loss(
                actor=actor,
                device=device,
                kind="lost" if n < lost else "stolen",
                occurred_at=now - timedelta(hours=2 + n),
                location=PLACES[n % len(PLACES)],
                crime_reference=f"NP/{4100 + n}/26" if n >= lost else "",
                channel="portal" if by_self else "phone",
            )
        )
    for report in reports[: len(reports) // 2]:
        _finish_steps(report)
    # The worker's part, done here: the finished wipes and bars recorded on their devices.
    for task in DeviceTask.objects.filter(loss__in=reports, finished_at__isnull=True).select_related("ticket"):
        device_task_finished(task=task, ticket=task.ticket)
    if reports:
        device_found(actor=desk, device=reports[-1].device, note="Handed in at the front counter.")
    return len(reports)
