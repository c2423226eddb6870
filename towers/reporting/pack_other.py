"""The pack beyond the desk: changes, security cases, the mobile fleet and commercials (credits, delivery score).

Each reads through visible_to, so a reader who may not see SOC cases or a supplier's commercials gets nothing
there (and the pack says so) rather than an error.
"""

from __future__ import annotations

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from towers.core.permissions import visible_to
from towers.mobile.models import Compliance, Device, DeviceEvent, DeviceStatus
from towers.reporting.pack import CommercialLine, Figure, Section
from towers.reporting.pack_common import (
    PackScope,
    hours,
    link,
    mean_median,
    month_queue_link,
    percent,
    records_link,
    span_seconds,
    tickets,
)
from towers.servicedesk.models import Ticket, TicketKind, TicketParty
from towers.servicedesk.models.changes import Outcome
from towers.sla.models import CreditRun, DeliveryAssessment
from towers.soc.models import SecurityCase

IN_SERVICE = (DeviceStatus.ISSUED, DeviceStatus.IN_STOCK, DeviceStatus.IN_REPAIR)
COMPLIANCE_CHANGED = "compliance_changed"  # the history event mobile.services.compliance records


FAILED_OUTCOMES = (Outcome.FAILED, Outcome.BACKED_OUT)


def month_changes(scope: PackScope) -> QuerySet[Ticket]:
    """Changes completed in the month: an outcome recorded, the work ended (its actual end) in the month."""
    return (
        tickets(scope)
        .filter(
            kind=TicketKind.CHANGE, change_detail__actual_end__gte=scope.start, change_detail__actual_end__lt=scope.end
        )
        .exclude(change_detail__outcome="")
    )


def changes(scope: PackScope) -> Section:
    """Changes completed in the month (their outcome's time) and incidents opened in it that a change caused."""
    counts = month_changes(scope).aggregate(
        n=Count("id"),
        successful=Count("id", filter=Q(change_detail__outcome=Outcome.SUCCESSFUL)),
        failed=Count("id", filter=Q(change_detail__outcome__in=FAILED_OUTCOMES)),
    )
    caused = tickets(scope).filter(
        kind=TicketKind.INCIDENT, caused_by__isnull=False, opened_at__gte=scope.start, opened_at__lt=scope.end
    )
    figures = (
        Figure("Changes completed", counts["n"], link=records_link("review_changes", scope)),
        Figure("Change success rate", percent(counts["successful"], counts["n"]), "%"),
        Figure(
            "Changes failed or backed out",
            counts["failed"],
            link=records_link("review_changes", scope, outcome="unsuccessful"),
        ),
        Figure(
            "Incidents caused by changes",
            caused.count(),
            link=month_queue_link(scope, kind=TicketKind.INCIDENT, state="all", caused_by_change="on"),
        ),
    )
    note = "Success rate: successful outcomes of the changes completed in the month (partial counts as not successful)."
    return Section("changes", "Changes", figures, note)


def month_cases(scope: PackScope) -> QuerySet[SecurityCase]:
    """Security cases the reader may see; a supplier's: its own or those on an incident it is party to."""
    cases = visible_to(scope.actor, SecurityCase.objects)
    if scope.members is not None:
        party = TicketParty.objects.filter(ticket=OuterRef("incident"), organisation__in=scope.members)
        cases = cases.filter(Q(organisation__in=scope.members) | Exists(party))
    return cases


def security(scope: PackScope) -> Section | None:
    """Security cases the reader may see (the SOC's own and the authority); None when they see none at all."""
    cases = month_cases(scope)
    if not cases.exists():
        return None
    opened = cases.filter(opened_at__gte=scope.start, opened_at__lt=scope.end)
    resolved = cases.filter(resolved_at__gte=scope.start, resolved_at__lt=scope.end)
    mttd = mean_median(
        s for s in (span_seconds(d, a) for d, a in opened.values_list("detected_at", "alerted_at")) if s is not None
    )
    mttr = mean_median(
        s for s in (span_seconds(o, r) for o, r in resolved.values_list("opened_at", "resolved_at")) if s is not None
    )
    figures = (
        Figure("Security cases opened", opened.count(), link=records_link("review_security", scope)),
        Figure("Security cases resolved", resolved.count(), link=records_link("review_security", scope, resolved="on")),
        Figure("MTTD (mean)", hours(mttd[0]), "h"),
        Figure("MTTR (mean)", hours(mttr[0]), "h"),
        Figure("MTTR (median)", hours(mttr[1]), "h"),
    )
    note = (
        "MTTD: first alert less the first event's own time, of cases opened in the month. MTTR: resolved less opened, "
        "of cases resolved in the month; wall-clock hours."
    )
    return Section("security", "Security cases", figures, note)


def _fleet_then(scope: PackScope) -> QuerySet[Device]:
    """The devices in service at the month's end, with their compliance then, read back from their history.

    Status: the last history event before the end says it (each records the status after it); a device with none
    before the end keeps its present status. Compliance: the last change before the end, else what the first change
    after it changed from, else its present state. Devices registered after the end are left out.
    """
    devices = visible_to(scope.actor, Device.objects).filter(created_at__lt=scope.end)
    before = DeviceEvent.objects.filter(device=OuterRef("pk"), at__lt=scope.end).order_by("-at", "-id")
    changes = DeviceEvent.objects.filter(device=OuterRef("pk"), kind=COMPLIANCE_CHANGED)
    return devices.annotate(
        status_then=Coalesce(Subquery(before.exclude(status="").values("status")[:1]), F("status")),
        compliance_then=Coalesce(
            Subquery(
                changes.filter(at__lt=scope.end)
                .order_by("-at", "-id")
                .annotate(state=KeyTextTransform("compliance", "data"))
                .values("state")[:1]
            ),
            Subquery(
                changes.filter(at__gte=scope.end)
                .order_by("at", "id")
                .annotate(state=KeyTextTransform("from", "data"))
                .values("state")[:1]
            ),
            F("compliance"),
            output_field=CharField(),
        ),
    ).filter(status_then__in=IN_SERVICE)


def mobile(scope: PackScope) -> Section | None:
    """Compliance of devices in service at the month's end (now, for the month under way): the fleet the supplier
    runs, or the whole estate the reader sees."""
    month_over = scope.end <= timezone.now()
    if month_over:
        devices, state = _fleet_then(scope), "compliance_then"
    else:
        devices, state = visible_to(scope.actor, Device.objects).filter(status__in=IN_SERVICE), "compliance"
    if scope.members is not None:
        devices = devices.filter(supplier__in=scope.members)
    counts = devices.aggregate(
        n=Count("id"),
        compliant=Count("id", filter=Q(**{state: Compliance.COMPLIANT})),
        non_compliant=Count("id", filter=Q(**{state: Compliance.NON_COMPLIANT})),
        unknown=Count("id", filter=Q(**{state: Compliance.UNKNOWN})),
    )
    if not counts["n"]:
        return None
    figures = (
        Figure("Devices in service", counts["n"], link=link("mobile_device_list")),
        Figure("Compliant", counts["compliant"], link=link("mobile_device_list", compliance=Compliance.COMPLIANT)),
        Figure(
            "Non-compliant",
            counts["non_compliant"],
            link=link("mobile_device_list", compliance=Compliance.NON_COMPLIANT),
        ),
        Figure("Not evaluated", counts["unknown"], link=link("mobile_device_list", compliance=Compliance.UNKNOWN)),
        Figure("Compliance", percent(counts["compliant"], counts["n"]), "%"),
    )
    note = (
        "Devices issued, in stock or in repair at the month's end, as their MDM had last reported them by then "
        "(from each device's history); the lists the figures open show the fleet as it is now."
        if month_over
        else "Devices issued, in stock or in repair, as their MDM last reported them: the month is under way."
    )
    return Section("mobile", "Mobile fleet compliance", figures, note)


def commercial(scope: PackScope) -> tuple[CommercialLine, ...]:
    """The month's current credit runs and delivery assessments the reader may see (commercially sensitive)."""
    runs = visible_to(scope.actor, CreditRun.objects).filter(period=scope.month, is_current=True)
    scores = visible_to(scope.actor, DeliveryAssessment.objects).filter(period=scope.month, is_current=True)
    if scope.members is not None:
        runs, scores = runs.filter(supplier__in=scope.members), scores.filter(supplier__in=scope.members)
    by_contract = {run.contract_id: run for run in runs.select_related("contract", "supplier")}
    assessed = {a.contract_id: a for a in scores.select_related("contract", "supplier").order_by("-created_at")}
    lines = []
    for contract_id in sorted(set(by_contract) | set(assessed), key=str):
        run, assessment = by_contract.get(contract_id), assessed.get(contract_id)
        record = run or assessment
        assert record is not None
        lines.append(
            CommercialLine(
                contract=record.contract.reference,
                supplier=record.supplier.name,
                credit_amount=run.total if run else None,
                credit_cap_reached=bool(run and run.cap_reduction > 0),
                delivery_score=assessment.score if assessment else None,
                eligible_for_change_work=assessment.eligible if assessment else None,
                link=link("contract_credits", contract_id),
            )
        )
    return tuple(sorted(lines, key=lambda line: (line.supplier, line.contract)))
