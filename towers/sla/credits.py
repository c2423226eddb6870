"""Service credit calculators for the two UK public-sector contract models, as pure functions.

CCS (Crown Commercial Service call-off, "Service Levels" schedule): a Service Level missed by
(Service Level Performance Measure − actual) percentage points earns that many per cent of the
period's Charges as a Service Credit; below the Service Level Threshold it is a Critical Service
Level Failure, where no credit accrues because the Buyer's critical-failure remedies apply instead;
credits are capped over a rolling twelve months.

MSC (Model Services Contract, Schedule 2.2 "Performance Levels"): a KPI's actual falls in a band
worth Service Points; a KPI Failure in two consecutive periods is a Repeat KPI Failure, SP = P × 2;
points convert to a Service Credit at a rate per point, capped per period unless a window is set.

Every line keeps the figures that produced it so the ledger can show a supplier how each penny was
reached. Periods are monthly and named by their first day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

ZERO = Decimal(0)
NIL = Decimal("0.00")  # a zero amount of money, so the ledger reads £0.00 rather than 0
HUNDRED = Decimal(100)
PENNY = Decimal("0.01")
MINUS = "\u2212"  # the typographic minus the contract schedules print; "-" reads as a hyphen

LineKind = Literal["credit", "critical_failure", "cap_reduction", "met", "not_measured"]


def money(value: Decimal) -> Decimal:
    """Round to pence, half up, as invoices do."""
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def gbp(amount: Decimal) -> str:
    return f"{MINUS if amount < 0 else ''}£{abs(amount):,.2f}"


def pct(value: Decimal) -> str:
    """A percentage with at least two decimals, keeping any finer precision it was measured to."""
    exponent = value.as_tuple().exponent
    return f"{value:.2f}" if isinstance(exponent, int) and exponent >= -2 else f"{value:f}"


def decimal_field(value: object, name: str) -> Decimal:
    # Floats are refused: Decimal compares with float silently, so 99.1 would creep in as 99.0999…
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ValueError(f"{name}: expected a Decimal, got {value!r}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name}: {value} is not a finite number")
    return result


def percent_field(value: object, name: str) -> Decimal:
    result = decimal_field(value, name)
    if not ZERO <= result <= HUNDRED:
        raise ValueError(f"{name}: {result} is outside 0 to 100")
    return result


def amount_field(value: object, name: str) -> Decimal:
    result = decimal_field(value, name)
    if result < 0:
        raise ValueError(f"{name}: {result} is negative")
    return result


def charges_field(value: object, name: str) -> Decimal:
    """Money in: pounds and pence, never negative, never a fraction of a penny (that would be a bad import)."""
    result = amount_field(value, name)
    if money(result) != result:
        raise ValueError(f"{name}: {result} has a fraction of a penny")
    return money(result)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def whole_field(value: object, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name}: {value!r} must be a whole number ≥ {least}")
    return value


def _month_index(period: date, name: str) -> int:
    if period.day != 1:
        raise ValueError(f"{name}: {period} is not the first day of a month")
    return period.year * 12 + period.month - 1


@dataclass(frozen=True)
class PeriodTotals:
    """An earlier period as the cap sees it: its charges and the credit actually applied (after its cap)."""

    period: date
    charges: Decimal
    credited: Decimal


@dataclass(frozen=True)
class CreditLine:
    """One ledger line. `service_level` is None on the period-wide cap line; `amount` is negative there."""

    period: date
    service_level: str | None
    kind: LineKind
    percent: Decimal | None  # the credit as a % of the period's charges, where the model states one
    points: int | None  # MSC service points after any repeat doubling; None under CCS
    amount: Decimal
    evidence: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = _plain(self)
        return plain


@dataclass(frozen=True)
class CreditStatement:
    """A period's credits: every line, the total before and after the cap, and any critical failures."""

    model: Literal["ccs", "msc"]
    period: date
    charges: Decimal
    lines: tuple[CreditLine, ...]
    gross: Decimal
    cap_limit: Decimal  # the most this period may credit, given the window's charges and earlier credits
    cap_reduction: Decimal
    total: Decimal
    critical_failures: tuple[str, ...] = ()
    points: int | None = None

    @property
    def cap_applied(self) -> bool:
        return self.cap_reduction > 0

    @property
    def credit_percent(self) -> Decimal:
        """The credit as a % of the period's charges, to two places (what the delivery score's rule reads)."""
        if self.charges == 0:
            return ZERO
        return (self.total * HUNDRED / self.charges).quantize(PENNY, rounding=ROUND_HALF_UP)

    def totals(self) -> PeriodTotals:
        """This period as history for the next period's cap."""
        return PeriodTotals(self.period, self.charges, self.total)

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = _plain(self)
        return plain | {"cap_applied": self.cap_applied, "credit_percent": str(self.credit_percent)}


# --- CCS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CcsServiceLevel:
    """One row of the schedule's Service Levels table.

    `credit_rate` is the table's "Service Credit for each Service Period" column: per cent of charges
    per percentage point below the measure. The schedule's own formula and worked example use 1.
    """

    performance_measure: Decimal
    threshold: Decimal
    credit_rate: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "performance_measure", percent_field(self.performance_measure, "performance_measure"))
        object.__setattr__(self, "threshold", percent_field(self.threshold, "threshold"))
        object.__setattr__(self, "credit_rate", amount_field(self.credit_rate, "credit_rate"))
        if self.threshold > self.performance_measure:
            raise ValueError(f"threshold: {self.threshold} is above performance_measure {self.performance_measure}")


@dataclass(frozen=True)
class CcsRegime:
    """A CCS call-off's credit terms.

    `critical_failure_scope`: "service_level" withholds only the failed level's credit;
    "service_period" follows the Call-Off Terms' wording that *any* Service Credits that would
    otherwise have accrued in the Service Period do not accrue.
    """

    cap_percent: Decimal
    service_levels: Mapping[str, CcsServiceLevel]
    cap_window_periods: int = 12
    critical_failure_scope: Literal["service_level", "service_period"] = "service_level"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cap_percent", percent_field(self.cap_percent, "cap_percent"))
        whole_field(self.cap_window_periods, "cap_window_periods", 1)
        if self.critical_failure_scope not in ("service_level", "service_period"):
            raise ValueError(f"critical_failure_scope: {self.critical_failure_scope!r} is not a scope")


def ccs_credits(
    regime: CcsRegime,
    period: date,
    actuals: Mapping[str, Decimal | None],
    charges: Decimal,
    history: Sequence[PeriodTotals] = (),
) -> CreditStatement:
    """A period's CCS service credits. An actual of None means "not measured this period": reported, no credit."""
    _month_index(period, "period")
    charges = charges_field(charges, "charges")
    _check_names(actuals, regime.service_levels)
    lines: list[CreditLine] = []
    critical: list[str] = []
    for name, level in regime.service_levels.items():
        if actuals[name] is None:
            lines.append(_not_measured(period, name, {"performance_measure": level.performance_measure}))
            continue
        actual = percent_field(actuals[name], f"actuals[{name!r}]")
        measure, threshold = level.performance_measure, level.threshold
        evidence: dict[str, Any] = {"performance_measure": measure, "threshold": threshold, "actual": actual}
        evidence["charges"] = charges
        if actual >= measure:
            evidence["formula"] = f"{pct(actual)}% ≥ {pct(measure)}%: met"
            lines.append(CreditLine(period, name, "met", ZERO, None, NIL, evidence))
        elif actual < threshold:
            critical.append(name)
            evidence["reason"] = (
                f"{pct(actual)}% is below the Service Level Threshold of {pct(threshold)}%: Critical Service Level "
                "Failure; no Service Credit accrues, the Buyer's remedies for critical failure apply instead"
            )
            evidence["formula"] = f"{pct(actual)}% < {pct(threshold)}%: no credit"
            lines.append(CreditLine(period, name, "critical_failure", None, None, NIL, evidence))
        else:
            shortfall = measure - actual
            percent = shortfall * level.credit_rate
            amount = money(charges * percent / HUNDRED)
            rate = "" if level.credit_rate == 1 else f" × {level.credit_rate} per point"
            evidence |= {"shortfall_points": shortfall, "credit_rate": level.credit_rate, "percent": percent}
            evidence["formula"] = (
                f"({pct(measure)} {MINUS} {pct(actual)}){rate} = {pct(percent)}% × {gbp(charges)} = {gbp(amount)}"
            )
            lines.append(CreditLine(period, name, "credit", percent, None, amount, evidence))
    if critical and regime.critical_failure_scope == "service_period":
        lines = [_withheld(line, critical) if line.kind == "credit" else line for line in lines]
    return _statement("ccs", regime, period, charges, lines, history, critical)


def _withheld(line: CreditLine, critical: list[str]) -> CreditLine:
    why = f"not accrued: Critical Service Level Failure in this Service Period ({', '.join(critical)})"
    evidence = line.evidence | {"would_have_been": line.amount, "withheld": why}
    evidence["formula"] = f"{line.evidence['formula']}; {why}"
    return CreditLine(line.period, line.service_level, "credit", ZERO, None, NIL, evidence)


# --- MSC ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MscBand:
    """A failure band: `bound` is the worst result still in it (its lower edge when higher is better)."""

    bound: Decimal
    points: int


@dataclass(frozen=True)
class MscKpi:
    """A KPI's Target Performance Level and its failure bands from best (Minor) to worst.

    The worst band is open-ended, so a result beyond its bound still scores its points: no result can
    be so bad it escapes them. E.g. target 99 with bands (98, 1), (97, 2), (96, 3), (0, 4).
    """

    target: Decimal
    bands: Sequence[MscBand]
    higher_is_better: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", percent_field(self.target, "target"))
        if not self.bands:
            raise ValueError("bands: at least one failure band is needed")
        bands: list[MscBand] = []
        edge, fewest = self.target, 1
        for i, band in enumerate(self.bands):
            bound = percent_field(band.bound, f"bands[{i}].bound")
            if self.reaches(bound, edge):
                raise ValueError(f"bands[{i}].bound: {bound} must be worse than {edge} (the target or band before)")
            whole_field(band.points, f"bands[{i}].points", fewest)
            bands.append(MscBand(bound, band.points))
            edge, fewest = bound, band.points
        object.__setattr__(self, "bands", tuple(bands))

    def reaches(self, actual: Decimal, edge: Decimal) -> bool:
        """Whether `actual` is at `edge` or better, whichever way better runs."""
        return actual >= edge if self.higher_is_better else actual <= edge

    def band(self, actual: Decimal) -> int | None:
        """The index of the band `actual` falls in, or None when it meets the target."""
        if self.reaches(actual, self.target):
            return None
        return next((i for i, b in enumerate(self.bands) if self.reaches(actual, b.bound)), len(self.bands) - 1)


@dataclass(frozen=True)
class PointRate:
    """What one Service Point is worth: `value` pounds, or `value` per cent of the period's charges."""

    value: Decimal
    of_charges: bool = False

    def __post_init__(self) -> None:
        check = percent_field if self.of_charges else charges_field
        object.__setattr__(self, "value", check(self.value, "rate.value"))

    def per_point(self, charges: Decimal) -> Decimal:
        # Rounded once, here, so each line is exactly points × this and the lines add up to the total.
        return money(charges * self.value / HUNDRED if self.of_charges else self.value)

    def describe(self, charges: Decimal) -> str:
        worth = gbp(self.per_point(charges))
        return f"{pct(self.value)}% × {gbp(charges)} = {worth} per point" if self.of_charges else f"{worth} per point"


@dataclass(frozen=True)
class MscRegime:
    """An MSC contract's credit terms. The cap is per period by default; set a window (12) for a rolling cap."""

    cap_percent: Decimal
    rate: PointRate
    kpis: Mapping[str, MscKpi]
    cap_window_periods: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "cap_percent", percent_field(self.cap_percent, "cap_percent"))
        if not isinstance(self.rate, PointRate):
            raise ValueError(f"rate: {self.rate!r} is not a PointRate")
        whole_field(self.cap_window_periods, "cap_window_periods", 1)


def msc_credits(
    regime: MscRegime,
    period: date,
    actuals: Mapping[str, Decimal | None],
    charges: Decimal,
    previous_points: Mapping[str, int],
    history: Sequence[PeriodTotals] = (),
) -> CreditStatement:
    """A period's MSC service credits.

    `previous_points` holds last period's points per KPI (absent means none: no failure, or the first
    period). An actual of None means "not measured": reported with no points, so it cannot start a
    repeat either.
    """
    _month_index(period, "period")
    charges = charges_field(charges, "charges")
    _check_names(actuals, regime.kpis)
    per_point = regime.rate.per_point(charges)
    rate_text = regime.rate.describe(charges)
    share = regime.rate.value if regime.rate.of_charges else None
    lines: list[CreditLine] = []
    for name, kpi in regime.kpis.items():
        if actuals[name] is None:
            lines.append(_not_measured(period, name, {"target": kpi.target}))
            continue
        actual = percent_field(actuals[name], f"actuals[{name!r}]")
        previous = whole_field(previous_points.get(name, 0), f"previous_points[{name!r}]", 0)
        edge = "≥" if kpi.higher_is_better else "≤"
        evidence: dict[str, Any] = {"target": kpi.target, "actual": actual, "charges": charges}
        index = kpi.band(actual)
        if index is None:
            evidence["formula"] = f"{pct(actual)}% {edge} target {pct(kpi.target)}%: met, 0 points"
            lines.append(CreditLine(period, name, "met", ZERO, 0, NIL, evidence))
            continue
        band = kpi.bands[index]
        repeat = previous > 0
        points = band.points * 2 if repeat else band.points
        amount = per_point * points
        evidence |= {"band": index + 1, "band_bound": band.bound, "base_points": band.points, "repeat": repeat}
        evidence |= {"previous_points": previous, "points": points, "rate": rate_text, "per_point": per_point}
        doubled = f" × 2 (repeat: {previous} last period) = {points}" if repeat else ""
        # The worst band is open-ended, so a result beyond its bound is said to be beyond it.
        within = f"{edge} {pct(band.bound)}%" if kpi.reaches(actual, band.bound) else f"beyond {pct(band.bound)}%"
        evidence["formula"] = (
            f"{pct(actual)}% misses target {pct(kpi.target)}%, band {index + 1} ({within}): "
            f"{band.points}{doubled} points × {gbp(per_point)} = {gbp(amount)}"
        )
        percent = share * points if share is not None else None
        lines.append(CreditLine(period, name, "credit", percent, points, amount, evidence))
    total_points = sum(line.points or 0 for line in lines)
    return _statement("msc", regime, period, charges, lines, history, [], total_points)


# --- shared ------------------------------------------------------------------------------------


def _check_names(actuals: Mapping[str, object], configured: Mapping[str, object]) -> None:
    missing = [name for name in configured if name not in actuals]
    if missing:
        raise ValueError(f"actuals[{missing[0]!r}]: missing; pass None if it was not measured this period")
    unknown = [name for name in actuals if name not in configured]
    if unknown:
        raise ValueError(f"actuals[{unknown[0]!r}]: not in the regime")


def _not_measured(period: date, name: str, evidence: dict[str, Any]) -> CreditLine:
    evidence["formula"] = "not measured this period: no credit"
    return CreditLine(period, name, "not_measured", None, None, NIL, evidence)


def _statement(
    model: Literal["ccs", "msc"],
    regime: CcsRegime | MscRegime,
    period: date,
    charges: Decimal,
    lines: list[CreditLine],
    history: Sequence[PeriodTotals],
    critical: list[str],
    points: int | None = None,
) -> CreditStatement:
    """Total the lines and hold them to the cap: over the window, charges × cap % less what was already credited."""
    cap_percent, window = regime.cap_percent, regime.cap_window_periods
    gross = sum((line.amount for line in lines), NIL)
    earlier = _window(period, history, window)
    window_charges = charges + sum((h.charges for h in earlier), NIL)
    credited = sum((h.credited for h in earlier), NIL)
    limit = max(NIL, money(window_charges * cap_percent / HUNDRED) - credited)
    reduction = max(NIL, gross - limit)
    if reduction:
        scope = f"charges of the rolling {window} months" if window > 1 else "this period's charges"
        formula = f"cap {pct(cap_percent)}% × {gbp(window_charges)} ({scope})"
        if window > 1:
            formula += f" {MINUS} {gbp(credited)} already credited"
        formula += f" = {gbp(limit)} available; {gbp(gross)} {MINUS} {gbp(limit)} = {gbp(reduction)} not credited"
        evidence = {"cap_percent": cap_percent, "window_periods": window, "periods_counted": len(earlier) + 1}
        evidence["window_charges"] = window_charges
        evidence |= {"credited_earlier": credited, "limit": limit, "gross": gross, "formula": formula}
        lines.append(CreditLine(period, None, "cap_reduction", None, None, -reduction, evidence))
    return CreditStatement(
        model, period, charges, tuple(lines), gross, limit, reduction, gross - reduction, tuple(critical), points
    )


def _window(period: date, history: Sequence[PeriodTotals], window: int) -> list[PeriodTotals]:
    """The earlier periods inside the cap's window; older ones are ignored, so callers may pass more."""
    now = _month_index(period, "period")
    seen: set[int] = set()
    inside: list[PeriodTotals] = []
    for i, entry in enumerate(history):
        index = _month_index(entry.period, f"history[{i}].period")
        if index >= now:
            raise ValueError(f"history[{i}].period: {entry.period} is not before {period}")
        if index in seen:
            raise ValueError(f"history[{i}].period: {entry.period} appears twice")
        seen.add(index)
        charges = charges_field(entry.charges, f"history[{i}].charges")
        credited = charges_field(entry.credited, f"history[{i}].credited")
        if index > now - window:
            inside.append(PeriodTotals(entry.period, charges, credited))
    return inside
