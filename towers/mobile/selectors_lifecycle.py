"""Reads of a device's lifecycle, restricted to the actor: its steps, its wipe evidence, and the devices due a refresh.

A device is due a refresh when it is older than its owner's `refresh_after_months`, or when its model's security
updates end within the owner's `support_warning_days` (or have ended). Each owner sets its own thresholds, so the
test is one condition per owner (owners are few: an authority or two), evaluated in SQL in the list's one query.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from uuid import UUID

from django.db.models import BooleanField, Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from towers.core.actor import Actor
from towers.mobile.access import fleet_visible
from towers.mobile.models import Device, DeviceStatus, DeviceTask, MobileSettings, TaskPurpose, WipeEvidence
from towers.mobile.selectors import DEVICE_RELATED

REFRESHABLE = (DeviceStatus.IN_STOCK, DeviceStatus.ISSUED)
DEFAULT_MONTHS: int = MobileSettings._meta.get_field("refresh_after_months").default
DEFAULT_DAYS: int = MobileSettings._meta.get_field("support_warning_days").default


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or that month's last day where it is shorter (31 May - 3 months: 28 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def device_tasks(*, actor: Actor, device: Device) -> QuerySet[DeviceTask]:
    """The device's steps, newest first, with their tickets and teams."""
    return (
        fleet_visible(actor, DeviceTask.objects)
        .filter(device=device)
        .select_related("ticket__team__organisation", "replacement", "sim")
        .order_by("-raised_at", "-id")
    )


def wipe_evidence_list(*, actor: Actor, device: Device) -> QuerySet[WipeEvidence]:
    return fleet_visible(actor, WipeEvidence.objects).filter(device=device).select_related("task")


def swap_candidates(*, actor: Actor, device: Device) -> QuerySet[Device]:
    """In-stock devices of the same owner, not already promised to another open swap."""
    reserved = DeviceTask.objects.filter(replacement=OuterRef("pk"), finished_at__isnull=True)
    return (
        fleet_visible(actor, Device.objects)
        .filter(organisation_id=device.organisation_id, status=DeviceStatus.IN_STOCK)
        .exclude(pk=device.pk)
        .exclude(Exists(reserved))
        .order_by("model", "imei")
    )


def _thresholds(today: date) -> tuple[Q, Q, Case]:
    """The age and support conditions, one clause per owner with settings and one for the default."""
    rows = list(MobileSettings.objects.values_list("organisation_id", "refresh_after_months", "support_warning_days"))
    configured = [org for org, _months, _days in rows]
    others = ~Q(organisation_id__in=configured)
    aged = others & Q(purchased_on__lt=months_before(today, DEFAULT_MONTHS))
    ending = others & Q(end_of_support__lte=today + timedelta(days=DEFAULT_DAYS))
    whens = []
    for org, months, days in rows:
        aged |= Q(organisation_id=org, purchased_on__lt=months_before(today, months))
        ending |= Q(organisation_id=org, end_of_support__lte=today + timedelta(days=days))
        whens.append(When(organisation_id=org, then=Value(months)))
    return aged, ending, Case(*whens, default=Value(DEFAULT_MONTHS), output_field=IntegerField())


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def refresh_due(*, actor: Actor, today: date, ids: list[UUID] | None = None) -> QuerySet[Device]:
    """Visible in-stock or issued devices due a refresh, each annotated with why (see `refresh_reasons`)."""
    aged, ending, months = _thresholds(today)
    open_refresh = DeviceTask.objects.filter(
        device=OuterRef("pk"), purpose=TaskPurpose.REFRESH, finished_at__isnull=True
    )
    devices = fleet_visible(actor, Device.objects).filter(status__in=REFRESHABLE).filter(aged | ending)
    if ids is not None:
        devices = devices.filter(pk__in=ids)
    return (
        devices.select_related(*DEVICE_RELATED)
        .annotate(
            aged=_flag(aged),
            support_ending=_flag(ending),
            support_ended=_flag(Q(end_of_support__lt=today)),
            refresh_months=months,
            refresh_open=Exists(open_refresh),
        )
        .order_by("end_of_support", "purchased_on", "id")
    )


def refresh_reasons(device: Device) -> list[str]:
    """Why a device from `refresh_due` is due, in words."""
    reasons = []
    if getattr(device, "aged", False) and device.purchased_on:
        months = getattr(device, "refresh_months", DEFAULT_MONTHS)
        reasons.append(f"bought {device.purchased_on:%d %b %Y}, over {months} months ago")
    if getattr(device, "support_ending", False) and device.end_of_support:
        verb = "ended" if getattr(device, "support_ended", False) else "end"
        reasons.append(f"its model's security updates {verb} {device.end_of_support:%d %b %Y}")
    return reasons
