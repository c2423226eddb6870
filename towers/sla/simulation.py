"""The what-if API's shapes and their translation to and from the clock engine.

A contract manager checking a disputed breach sends the service level as it stood (calendar, target,
pause states) and the ticket's timeline; the answer is the engine's, segment by segment.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ninja import Field, Schema

from towers.contracts.businesstime import (
    BusinessCalendar,
    Closure,
    WorkingHours,
    england_and_wales_holidays,
)
from towers.core.errors import ValidationFailed
from towers.sla import clock

LONDON = ZoneInfo("Europe/London")

EXAMPLE: dict[str, Any] = {
    "service_level": {
        "name": "P3 incident resolution",
        "metric": "resolution",
        "targets": {"P3": {"hours": 16, "calendar": "office-hours"}},
        "calendars": {
            "office-hours": [
                {
                    "effective_from": "2026-01-01",
                    "hours": [[d, "08:00", "18:00"] for d in range(5)],
                    "bank_holidays": True,
                }
            ]
        },
        "pause_states": ["pending_requester"],
    },
    "timeline": [
        {
            "at": "2026-04-02T15:00:00+01:00",
            "kind": "created",
            "priority": "P3",
            "team": "Service desk",
            "organisation": "Meridian",
        },
        {"at": "2026-04-02T16:00:00+01:00", "kind": "assigned", "team": "Crime systems", "organisation": "Apex"},
        {"at": "2026-04-07T10:00:00+01:00", "kind": "state", "state": "pending_requester"},
        {"at": "2026-04-08T09:00:00+01:00", "kind": "state", "state": "in_progress"},
        {"at": "2026-04-09T12:00:00+01:00", "kind": "resolved"},
    ],
    "now": "2026-04-10T09:00:00+01:00",
}


class CalendarVersionIn(Schema):
    effective_from: date
    always_open: bool = False
    hours: list[tuple[int, time, time]] = Field(default_factory=list, description="[weekday 0=Monday, start, end]")
    bank_holidays: bool = Field(True, description="Closed on England and Wales bank holidays.")
    closures: list[tuple[datetime, datetime, str]] = Field(default_factory=list)


class TargetIn(Schema):
    hours: float = Field(..., gt=0, description="Business hours allowed.")
    calendar: str


class ServiceLevelIn(Schema):
    name: str
    metric: Literal["response", "resolution"]
    targets: dict[str, TargetIn] = Field(..., description="By priority.")
    calendars: dict[str, list[CalendarVersionIn]]
    pause_states: list[str] = Field(default_factory=list)
    response_states: list[str] = Field(default_factory=lambda: ["in_progress"])
    holder_organisation: str | None = Field(None, description="An OLA: counts only while this organisation holds it.")


class EventIn(Schema):
    at: datetime
    kind: Literal["created", "state", "priority", "assigned", "resolved", "reopened", "closed"]
    state: str | None = None
    priority: str | None = None
    team: str | None = None
    organisation: str | None = None


class SimulationIn(Schema):
    model_config = {"json_schema_extra": {"examples": [EXAMPLE]}}

    service_level: ServiceLevelIn
    timeline: list[EventIn] = Field(..., min_length=1)
    now: datetime = Field(..., description="Measure up to this instant.")
    start: datetime | None = Field(None, description="A retroactive start, before the record was logged.")


class SegmentOut(Schema):
    start: datetime
    end: datetime
    status: str
    reason: str
    rule: str
    calendar: str
    priority: str | None
    team: str | None
    organisation: str | None
    business_seconds: float


class SimulationOut(Schema):
    state: str
    priority: str | None
    target_seconds: float | None
    elapsed_seconds: float
    remaining_seconds: float | None
    due_at: datetime | None
    breached: bool
    breach_at: datetime | None
    stopped_at: datetime | None
    paused_seconds: float
    warnings: list[tuple[float, datetime]]
    by_organisation: dict[str, float]
    by_team: dict[str, float]
    segments: list[SegmentOut]


def _calendar(name: str, version: CalendarVersionIn) -> BusinessCalendar:
    years = range(version.effective_from.year - 1, version.effective_from.year + 6)
    return BusinessCalendar(
        name=name,
        hours=() if version.always_open else tuple(WorkingHours(d, s, e) for d, s, e in version.hours),
        always_open=version.always_open,
        holidays=england_and_wales_holidays(years) if version.bank_holidays else {},
        closures=tuple(Closure(start, end, reason) for start, end, reason in version.closures),
    )


def to_engine(body: SimulationIn) -> tuple[clock.ServiceLevelSpec, list[clock.TimelineEvent]]:
    """The request as the engine's inputs; the engine's own ValueErrors name what is inconsistent."""
    level = body.service_level
    spec = clock.ServiceLevelSpec(
        name=level.name,
        metric=level.metric,
        targets={p: clock.Target(t.hours * 3600, t.calendar) for p, t in level.targets.items()},
        calendars={
            name: tuple(
                (datetime.combine(v.effective_from, time.min, tzinfo=LONDON), _calendar(name, v))
                for v in sorted(versions, key=lambda v: v.effective_from)
            )
            for name, versions in level.calendars.items()
        },
        pause_states=frozenset(level.pause_states),
        response_states=frozenset(level.response_states),
        holder_organisation=level.holder_organisation,
    )
    timeline = [clock.TimelineEvent(**event.dict()) for event in body.timeline]
    return spec, timeline


def from_engine(result: clock.ClockResult) -> dict[str, Any]:
    return {
        **{name: getattr(result, name) for name in SimulationOut.model_fields if name not in {"warnings", "segments"}},
        "warnings": list(result.warnings),
        "segments": [vars(segment) for segment in result.segments],
        "by_organisation": dict(result.by_organisation),
        "by_team": dict(result.by_team),
    }


def simulate(body: SimulationIn) -> dict[str, Any]:
    """Run the clock engine on the request; an inconsistent request is a 422 naming the problem."""
    try:
        spec, timeline = to_engine(body)
        return from_engine(clock.compute(spec, timeline, now=body.now, start=body.start))
    except ValueError as exc:
        raise ValidationFailed.one("body", str(exc)) from None
