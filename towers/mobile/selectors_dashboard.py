"""Fleet dashboard figures: every count is a GROUP BY over the devices the actor may see, never per-device work.

The breakdowns take one query each; the twelve-month trend takes one or two (see fleet_trend).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from towers.core.actor import Actor
from towers.mobile.access import fleet_visible
from towers.mobile.models import Compliance, Device, DeviceStatus, Ownership, Platform
from towers.mobile.selectors_dashboard_trend import TrendPoint, fleet_trend
from towers.organisations.models import Organisation, Team

TOP = 10
OTHER = "other"
CHOICE_FIELDS = (  # (field, title, choices, whether the device list filters by it); status and compliance first
    ("status", "Status", DeviceStatus.choices, True),
    ("platform", "Platform", Platform.choices, True),
    ("compliance", "Compliance", Compliance.choices, True),
    ("ownership", "Ownership", Ownership.choices, False),
)
AGE_BANDS = (("lt1", "Under 1 year"), ("1-2", "1–2 years"), ("2-3", "2–3 years"), ("3-4", "3–4 years"))
DEVICE_ROW_FIELDS = (
    *("imei", "serial", "make", "model", "platform", "os_version", "status", "compliance", "team__name"),
    *("person__first_name", "person__last_name", "person__username", "last_check_in"),
)
AGE_OLDEST, AGE_UNKNOWN = ("4+", "4 years or more"), ("unknown", "Unknown")


@dataclass(frozen=True)
class FleetFilters:
    organisation: UUID | None = None
    team: UUID | None = None
    platform: str = ""
    status: str = ""

    def as_lookups(self) -> dict[str, object]:
        lookups: dict[str, object] = {"organisation_id": self.organisation, "team_id": self.team}
        lookups |= {"platform": self.platform, "status": self.status}
        return {key: value for key, value in lookups.items() if value}

    def as_query(self) -> dict[str, str]:
        """The filters as device-list query parameters, so a figure's link keeps them."""
        return {key: str(value) for key, value in vars(self).items() if value}


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int
    query: dict[str, str] = field(default_factory=dict)  # device-list parameters; empty for "other"/unknown


@dataclass(frozen=True)
class Breakdown:
    name: str
    title: str
    buckets: tuple[Bucket, ...]

    @property
    def largest(self) -> int:
        return max((bucket.count for bucket in self.buckets), default=0)


@dataclass(frozen=True)
class FleetFigures:
    filters: FleetFilters
    total: int
    non_compliant: int
    breakdowns: tuple[Breakdown, ...]
    trend: tuple[TrendPoint, ...]
    trend_has_compliance_history: bool


def fleet_devices(actor: Actor, filters: FleetFilters) -> QuerySet[Device]:
    """The devices the figures count: visible to the actor, narrowed by the filters."""
    return fleet_visible(actor, Device.objects).filter(**filters.as_lookups())


def fleet_filter_options(actor: Actor) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The organisations and teams that own or hold devices the actor may see: the filters' choices."""
    visible = fleet_visible(actor, Device.objects).order_by()
    organisations = Organisation.objects.filter(pk__in=visible.values("organisation_id")).order_by("name")
    teams = Team.objects.filter(pk__in=visible.values("team_id")).order_by("name")
    return (
        [(str(pk), name) for pk, name in organisations.values_list("pk", "name")],
        [(str(pk), name) for pk, name in teams.values_list("pk", "name")],
    )


def fleet_device_rows(actor: Actor, filters: FleetFilters) -> Iterator[tuple[Any, ...]]:
    """The visible devices as export rows (exports.DEVICE_COLUMNS), read from the database in chunks."""
    rows = fleet_devices(actor, filters).values_list(*DEVICE_ROW_FIELDS).order_by("model", "imei", "pk")
    for *device, first, last, username, check_in in rows.iterator(chunk_size=2000):
        yield (*device, f"{first} {last}".strip() or username or "", check_in)


def fleet_figures(actor: Actor, filters: FleetFilters, *, today: date | None = None) -> FleetFigures:
    today = today or date.today()
    devices = fleet_devices(actor, filters).order_by()
    # The four choice fields in one GROUP BY: at most 6 x 4 x 3 x 3 rows whatever the fleet's size.
    combinations = list(devices.values_list(*(name for name, *_ in CHOICE_FIELDS)).annotate(n=Count("pk")))
    breakdowns = (
        *(_choice_breakdown(combinations, index) for index in range(len(CHOICE_FIELDS))),
        Breakdown("model", "Model", _model_buckets(devices)),
        Breakdown("os_version", "OS version", _os_buckets(devices)),
        Breakdown("team", "Team", _team_buckets(devices)),
        Breakdown("age", "Age", _age_buckets(devices, today)),
    )
    in_service_non_compliant = sum(
        row[-1] for row in combinations if row[2] == Compliance.NON_COMPLIANT and row[0] != DeviceStatus.RETIRED
    )
    trend, has_history = fleet_trend(devices, today=today, non_compliant_now=in_service_non_compliant)
    return FleetFigures(
        filters=filters,
        total=sum(row[-1] for row in combinations),
        non_compliant=sum(row[-1] for row in combinations if row[2] == Compliance.NON_COMPLIANT),
        breakdowns=breakdowns,
        trend=trend,
        trend_has_compliance_history=has_history,
    )


def _choice_breakdown(combinations: list[tuple[Any, ...]], index: int) -> Breakdown:
    """Every choice, zero or not, in the choices' order: a status that drops to none still shows."""
    name, title, choices, link = CHOICE_FIELDS[index]
    counts: Counter[str] = Counter()
    for row in combinations:
        counts[row[index]] += row[-1]
    buckets = tuple(Bucket(key, label, counts[key], {name: key} if link else {}) for key, label in choices)
    return Breakdown(name, title, buckets)


def _top(buckets: list[Bucket], top: int = TOP) -> tuple[Bucket, ...]:
    """The `top` largest buckets and one "other" bucket holding the rest."""
    buckets.sort(key=lambda bucket: (-bucket.count, bucket.label))
    rest = sum(bucket.count for bucket in buckets[top:])
    return tuple(buckets[:top] + ([Bucket(OTHER, "Other", rest)] if rest else []))


def _model_buckets(devices: QuerySet[Device]) -> tuple[Bucket, ...]:
    rows = devices.values_list("make", "model").annotate(n=Count("pk"))
    return _top([Bucket(model, f"{make} {model}".strip() or "Unknown", n, {"model": model}) for make, model, n in rows])


def _os_buckets(devices: QuerySet[Device]) -> tuple[Bucket, ...]:
    """The most common OS versions of each platform (top N per platform), then the rest of each as "other"."""
    labels = dict(Platform.choices)
    by_platform: dict[str, list[Bucket]] = {}
    for platform, version, n in devices.values_list("platform", "os_version").annotate(n=Count("pk")):
        label = f"{labels.get(platform, platform)} {version or '(unknown)'}"
        bucket = Bucket(f"{platform}:{version}", label, n, {"platform": platform})
        by_platform.setdefault(platform, []).append(bucket)
    buckets: list[Bucket] = []
    for platform, _ in Platform.choices:
        for bucket in _top(by_platform.get(platform, []), top=5):
            if bucket.key == OTHER:
                link = {"platform": platform}
                bucket = Bucket(f"{platform}:{OTHER}", f"{labels[platform]} other", bucket.count, link)
            buckets.append(bucket)
    return tuple(buckets)


def _team_buckets(devices: QuerySet[Device]) -> tuple[Bucket, ...]:
    rows = devices.values_list("team_id", "team__name").annotate(n=Count("pk"))
    return _top(
        [Bucket(str(team or ""), name or "No team", n, {"team": str(team)} if team else {}) for team, name, n in rows]
    )


def _age_buckets(devices: QuerySet[Device], today: date) -> tuple[Bucket, ...]:
    """Age from the purchase date, else from enrolment; bands are whole years back from today.

    Plain comparisons, no date casts: on SQLite a cast is a Python call per row.
    """
    whens = [When(purchased_on__isnull=True, enrolled_at__isnull=True, then=Value(AGE_UNKNOWN[0]))]
    for years, (key, _) in enumerate(AGE_BANDS, start=1):
        after = _years_before(today, years)  # bought after this day, or enrolled from the next day's start
        enrolled_from = timezone.make_aware(datetime.combine(after + timedelta(days=1), time.min))
        recent = Q(purchased_on__gt=after) | Q(purchased_on__isnull=True, enrolled_at__gte=enrolled_from)
        whens.append(When(recent, then=Value(key)))
    band = Case(*whens, default=Value(AGE_OLDEST[0]), output_field=CharField())
    counts = dict(devices.annotate(band=band).values_list("band").annotate(n=Count("pk")).order_by())
    return tuple(Bucket(key, label, counts.get(key, 0)) for key, label in (*AGE_BANDS, AGE_OLDEST, AGE_UNKNOWN))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
