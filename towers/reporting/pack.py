"""The monthly service review pack: what it holds, as plain data (no Django), so one builder feeds the page, the
PDF, the XLSX and the API alike.

`selectors_pack.build_pack` fills it from the records, within the reader's visibility; `render_*` modules only
read it. A figure that drills down carries `link`: the URL of the records behind it (a filtered list).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    """One number with its label; `link` opens the records behind it, `previous` is last month's value."""

    label: str
    value: Decimal | int | None
    unit: str = ""  # "%", "h", "£", "" (a count)
    link: str = ""
    previous: Decimal | int | None = None


@dataclass(frozen=True)
class Attainment:
    """One service level in the month: how many records it measured and how many met it."""

    service: str
    priority: str
    level: str  # the service level's name
    kind: str  # sla, ola, uc
    provider: str
    measured: int
    met: int
    target_percent: Decimal  # the level's performance measure
    attained_percent: Decimal | None  # None when nothing was measured
    breached: bool  # attained below the target
    link: str = ""


@dataclass(frozen=True)
class Breach:
    """A ticket whose clock breached in the month, and the reason it was late (its hold/pending history)."""

    reference: str
    title: str
    priority: str
    service: str
    level: str
    holder: str  # the organisation holding it when it breached
    overdue_hours: Decimal
    reason: str
    link: str = ""


@dataclass(frozen=True)
class Series:
    """A monthly trend: (first day of month, value) oldest first; the last point is the pack's month."""

    label: str
    points: tuple[tuple[date, Decimal | int], ...]
    unit: str = ""


@dataclass(frozen=True)
class AgeBand:
    label: str  # "< 1 day", "1–3 days", "3–7 days", "7–30 days", "> 30 days"
    count: int
    link: str = ""


@dataclass(frozen=True)
class MajorIncident:
    reference: str
    title: str
    opened: date
    resolved: date | None
    duration_hours: Decimal | None
    link: str = ""


@dataclass(frozen=True)
class CommercialLine:
    """A contract's month: service credits and the delivery score, when the reader may see commercials."""

    contract: str
    supplier: str
    credit_amount: Decimal | None
    credit_cap_reached: bool
    delivery_score: Decimal | None
    eligible_for_change_work: bool | None
    link: str = ""


@dataclass(frozen=True)
class Section:
    """A titled group of figures (e.g. "Volumes", "Changes"), in the pack's order."""

    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ServicePack:
    """A month's pack for one supplier, one tower's suppliers together, or the whole estate (both None)."""

    month: date  # the first day of the month
    supplier: str | None  # organisation code; None for the estate
    supplier_name: str
    generated_at: str  # ISO timestamp
    generated_for: str  # the reader's label: figures are within their visibility
    sections: tuple[Section, ...] = ()  # volumes, backlog, resolution, hand-offs, changes, security, mobile, …
    attainment: tuple[Attainment, ...] = ()
    breaches: tuple[Breach, ...] = ()
    trends: tuple[Series, ...] = ()  # twelve months: opened, resolved, attainment %, MTTR …
    backlog_ageing: tuple[AgeBand, ...] = ()
    major_incidents: tuple[MajorIncident, ...] = ()
    commercial: tuple[CommercialLine, ...] = ()  # empty when the reader may not see commercials
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. "No security cases for this supplier."
    tower: str | None = None  # a tower's pack (its suppliers together): the tower's code; supplier is then None
