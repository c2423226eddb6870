"""A supplier's delivery score and whether it has earned change work, as a pure function.

The contracts award new change work only "on the back of excellent delivery", so the verdict must
be explainable to the supplier: it carries every rule it checked, met or not, in words.

Each KPI scores 0–100 on a piecewise-linear scale: 100 at or beyond `excellent`, 50 at `good`
rising linearly to 100 at `excellent`, and 50 at `good` falling linearly to 0 at `floor`. The floor
defaults to one (excellent − good) span beyond good, so a KPI loses score at the same rate on either
side of good; set it (e.g. to 0) for a gentler fall. The overall score is the weighted mean, to one
decimal place. A KPI with weight 0 does not move the score but still counts for "none below good".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from towers.sla.credits import amount_field, decimal_field, whole_field

ZERO = Decimal(0)
FIFTY = Decimal(50)
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")

Rule = Literal["score", "kpi", "critical_failures", "credits"]


def _tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def _number(value: Decimal) -> str:
    return f"{value:f}"


def _shown(value: Decimal, unit: str, places: int = 1) -> str:
    """At least `places` decimals, more if it was measured finer: 99.95% must not read as 100.0%."""
    exponent = value.as_tuple().exponent
    return (f"{value:.{places}f}" if isinstance(exponent, int) and exponent >= -places else f"{value:f}") + unit


@dataclass(frozen=True)
class ScoreKpi:
    """One KPI of the delivery score. `unit` is appended to values in reasons ("%", " h")."""

    name: str
    weight: Decimal
    excellent: Decimal
    good: Decimal
    higher_is_better: bool = True
    floor: Decimal | None = None
    unit: str = "%"

    def __post_init__(self) -> None:
        where = f"kpis[{self.name!r}]"
        object.__setattr__(self, "weight", amount_field(self.weight, f"{where}.weight"))
        object.__setattr__(self, "excellent", decimal_field(self.excellent, f"{where}.excellent"))
        object.__setattr__(self, "good", decimal_field(self.good, f"{where}.good"))
        if not self._better(self.excellent, self.good):
            raise ValueError(f"{where}.excellent: {self.excellent} must be better than good ({self.good})")
        if self.floor is not None:
            object.__setattr__(self, "floor", decimal_field(self.floor, f"{where}.floor"))
            if not self._better(self.good, self.floor):
                raise ValueError(f"{where}.floor: {self.floor} must be worse than good ({self.good})")

    def _better(self, a: Decimal, b: Decimal) -> bool:
        return a > b if self.higher_is_better else a < b

    def meets_good(self, value: Decimal) -> bool:
        return value == self.good or self._better(value, self.good)

    def score(self, value: Decimal) -> Decimal:
        """0–100, unrounded; see the module docstring for the scale."""
        # Measure everything as distance in the "better" direction so one formula serves both.
        sign = 1 if self.higher_is_better else -1
        above_good = (value - self.good) * sign
        span = (self.excellent - self.good) * sign
        if above_good >= span:
            return HUNDRED
        if above_good >= 0:
            return FIFTY + FIFTY * above_good / span
        drop = span if self.floor is None else (self.good - self.floor) * sign
        return max(ZERO, FIFTY + FIFTY * above_good / drop)


@dataclass(frozen=True)
class EligibilityRules:
    """When a supplier may be awarded change work. Credits may be at most `max_credit_percent` of charges."""

    min_score: Decimal = Decimal(85)
    lookback_periods: int = 3
    max_credit_percent: Decimal = Decimal(5)

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_score", amount_field(self.min_score, "rules.min_score"))
        object.__setattr__(
            self, "max_credit_percent", amount_field(self.max_credit_percent, "rules.max_credit_percent")
        )
        whole_field(self.lookback_periods, "rules.lookback_periods", 1)


@dataclass(frozen=True)
class DeliveryConfig:
    kpis: Sequence[ScoreKpi]
    rules: EligibilityRules = field(default_factory=EligibilityRules)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kpis", tuple(self.kpis))
        if not self.kpis:
            raise ValueError("kpis: at least one KPI is needed")
        names = [kpi.name for kpi in self.kpis]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"kpis[{name!r}]: appears twice")
        if sum(kpi.weight for kpi in self.kpis) <= 0:
            raise ValueError("kpis: the weights add up to 0")


@dataclass(frozen=True)
class Reason:
    """One rule the verdict checked, whether it was met, and why, in words the supplier can read."""

    rule: Rule
    met: bool
    text: str


@dataclass(frozen=True)
class DeliveryVerdict:
    score: Decimal
    kpi_scores: dict[str, Decimal] = field(hash=False)
    eligible: bool
    reasons: tuple[Reason, ...]

    @property
    def unmet(self) -> tuple[Reason, ...]:
        return tuple(reason for reason in self.reasons if not reason.met)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": str(self.score),
            "kpi_scores": {name: str(score) for name, score in self.kpi_scores.items()},
            "eligible": self.eligible,
            "reasons": [{"rule": r.rule, "met": r.met, "text": r.text} for r in self.reasons],
        }


def delivery_score(
    config: DeliveryConfig,
    values: Mapping[str, Decimal],
    *,
    critical_failures_in_lookback: int,
    credit_percent: Decimal,
) -> DeliveryVerdict:
    """Score the period's KPI values and decide whether the supplier has earned change work.

    `critical_failures_in_lookback` counts critical service level failures over the rules'
    `lookback_periods`; `credit_percent` is this period's credits as a % of its charges.
    """
    rules = config.rules
    failures = whole_field(critical_failures_in_lookback, "critical_failures_in_lookback", 0)
    credit_percent = amount_field(credit_percent, "credit_percent")
    names = {kpi.name for kpi in config.kpis}
    for name in values:
        if name not in names:
            raise ValueError(f"values[{name!r}]: not a KPI of this score")

    exact: dict[str, Decimal] = {}
    kpi_reasons: list[Reason] = []
    for kpi in config.kpis:
        if kpi.name not in values:
            raise ValueError(f"values[{kpi.name!r}]: missing")
        value = decimal_field(values[kpi.name], f"values[{kpi.name!r}]")
        exact[kpi.name] = kpi.score(value)
        shown, good = _shown(value, kpi.unit), _shown(kpi.good, kpi.unit)
        if kpi.meets_good(value):
            kpi_reasons.append(Reason("kpi", True, f"KPI '{kpi.name}' {shown} meets good ({good})"))
        else:
            worse = "is below" if kpi.higher_is_better else "is worse than"
            kpi_reasons.append(Reason("kpi", False, f"KPI '{kpi.name}' {shown} {worse} good ({good})"))

    total_weight = sum((kpi.weight for kpi in config.kpis), ZERO)
    score = _tenth(sum((kpi.weight * exact[kpi.name] for kpi in config.kpis), ZERO) / total_weight)

    minimum = _number(rules.min_score)
    if score >= rules.min_score:
        reasons = [Reason("score", True, f"Score {score} ≥ {minimum}")]
    else:
        reasons = [Reason("score", False, f"Score {score} is below the minimum of {minimum}")]
    reasons += kpi_reasons

    months = "month" if rules.lookback_periods == 1 else f"{rules.lookback_periods} months"
    if failures == 0:
        reasons.append(Reason("critical_failures", True, f"No critical service level failure in the last {months}"))
    else:
        plural = "failure" if failures == 1 else "failures"
        text = f"{failures} critical service level {plural} in the last {months}"
        reasons.append(Reason("critical_failures", False, text))

    credits, ceiling = _shown(credit_percent, "%", 2), _shown(rules.max_credit_percent, "%", 2)
    if credit_percent <= rules.max_credit_percent:
        reasons.append(Reason("credits", True, f"Service credits {credits} of charges, within the {ceiling} maximum"))
    else:
        reasons.append(Reason("credits", False, f"Service credits {credits} of charges exceed the {ceiling} maximum"))

    return DeliveryVerdict(
        score=score,
        kpi_scores={name: _tenth(value) for name, value in exact.items()},
        eligible=all(reason.met for reason in reasons),
        reasons=tuple(reasons),
    )
