"""Service credits and delivery scores: the pure calculators fed from the records, written to the ledger.

A calculation for a period supersedes the previous one for that period (kept, marked not current),
so the ledger shows what was owed and, if results were corrected later, what changed and who did it.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum

from towers.contracts.models import Contract, CreditRegimeKind, ServiceLevel
from towers.contracts.services.contracts import period_charges
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.sla import credits as calculators
from towers.sla import delivery
from towers.sla.models import CreditLine, CreditRun, DeliveryAssessment, ServiceLevelResult


def _month_start(period: date) -> date:
    if period.day != 1:
        raise ValidationFailed.one("period", "must be the first day of a month")
    return period


def _months_before(period: date, count: int) -> date:
    month = period.year * 12 + period.month - 1 - count
    return date(month // 12, month % 12 + 1, 1)


def _actuals(levels: list[ServiceLevel], period: date) -> dict[str, Decimal | None]:
    results = dict(
        ServiceLevelResult.objects.filter(service_level__in=levels, period=period).values_list(
            "service_level_id", "actual"
        )
    )
    return {level.code: results.get(level.id) for level in levels}


def _history(contract: Contract, period: date, periods: int) -> list[calculators.PeriodTotals]:
    runs = CreditRun.objects.filter(
        contract=contract, is_current=True, period__lt=period, period__gte=_months_before(period, periods - 1)
    )
    return [calculators.PeriodTotals(run.period, run.charges, run.total) for run in runs]


def _statement(contract: Contract, period: date) -> calculators.CreditStatement:
    levels = list(contract.service_levels.filter(is_active=True).order_by("code"))
    charges = period_charges(contract, period)
    if contract.credit_regime == CreditRegimeKind.CCS:
        regime = calculators.CcsRegime(
            cap_percent=contract.credit_cap_percent,
            service_levels={
                level.code: calculators.CcsServiceLevel(
                    performance_measure=level.performance_measure, threshold=level.threshold or Decimal(0)
                )
                for level in levels
            },
        )
        return calculators.ccs_credits(
            regime, period, _actuals(levels, period), charges, _history(contract, period, 12)
        )
    if contract.credit_regime == CreditRegimeKind.MSC:
        kpis = [level for level in levels if level.point_bands]
        regime_msc = calculators.MscRegime(
            cap_percent=contract.credit_cap_percent,
            rate=calculators.PointRate(contract.point_value or Decimal(0), of_charges=contract.point_value_is_percent),
            kpis={
                level.code: calculators.MscKpi(
                    target=level.performance_measure,
                    bands=[
                        calculators.MscBand(Decimal(str(bound)), int(points)) for bound, points in level.point_bands
                    ],
                    higher_is_better=level.higher_is_better,
                )
                for level in kpis
            },
        )
        previous = CreditLine.objects.filter(
            run__contract=contract, run__is_current=True, run__period=_months_before(period, 1), points__isnull=False
        ).select_related("service_level")
        previous_points = {line.service_level.code: line.points or 0 for line in previous if line.service_level}
        return calculators.msc_credits(regime_msc, period, _actuals(kpis, period), charges, previous_points)
    raise ValidationFailed.one("credit_regime", f"{contract.reference} has no service credit regime")


def credits_calculate(*, actor: Actor, contract: Contract, period: date) -> CreditRun:
    """Calculate the contract's credits for `period` from its service level results and write the ledger."""
    ensure_can(actor, "credits.calculate", contract)
    _month_start(period)
    try:
        statement = _statement(contract, period)
    except ValueError as exc:
        raise ValidationFailed.one("results", str(exc)) from None
    levels = {level.code: level for level in contract.service_levels.all()}
    with transaction.atomic():
        previous = CreditRun.objects.select_for_update().filter(contract=contract, period=period, is_current=True)
        superseded = [str(run.id) for run in previous]
        previous.update(is_current=False)
        run = CreditRun.objects.create(
            contract=contract,
            supplier=contract.supplier,
            period=period,
            regime=contract.credit_regime,
            charges=statement.charges,
            total=statement.total,
            cap_reduction=statement.cap_reduction,
            critical_failures=len(statement.critical_failures),
            summary=statement.to_dict(),
        )
        CreditLine.objects.bulk_create(
            CreditLine(
                run=run,
                service_level=levels.get(line.service_level or ""),
                kind=line.kind,
                percent=line.percent.quantize(Decimal("0.001"), ROUND_HALF_UP) if line.percent is not None else None,
                points=line.points,
                amount=line.amount,
                evidence=line.evidence,
            )
            for line in statement.lines
        )
        audit.record(
            actor,
            "credits.calculated",
            contract,
            after={
                "period": period,
                "total": statement.total,
                "cap_reduction": statement.cap_reduction,
                "critical_failures": list(statement.critical_failures),
                "supersedes": superseded,
            },
        )
        events.emit(
            "sla.credits.calculated",
            key=str(contract.id),
            contract_id=str(contract.id),
            period=period.isoformat(),
            total=str(statement.total),
        )
    return run


def delivery_config(contract: Contract) -> delivery.DeliveryConfig:
    """The contract's delivery KPIs and eligibility rules as the calculator's configuration."""
    try:
        kpis = [
            delivery.ScoreKpi(
                name=kpi["name"],
                weight=Decimal(str(kpi.get("weight", 1))),
                excellent=Decimal(str(kpi["excellent"])),
                good=Decimal(str(kpi["good"])),
                higher_is_better=bool(kpi.get("higher_is_better", True)),
            )
            for kpi in contract.delivery_kpis
        ]
        raw = contract.eligibility_rules
        defaults = delivery.EligibilityRules()
        rules = delivery.EligibilityRules(
            min_score=Decimal(str(raw.get("min_score", defaults.min_score))),
            lookback_periods=int(raw.get("lookback_periods", defaults.lookback_periods)),
            max_credit_percent=Decimal(str(raw.get("max_credit_percent", defaults.max_credit_percent))),
        )
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise ValidationFailed.one("delivery_kpis", f"is not a valid delivery score configuration ({exc})") from None
    if not kpis:
        raise ValidationFailed.one("delivery_kpis", f"{contract.reference} has no delivery KPIs configured")
    return delivery.DeliveryConfig(kpis=kpis, rules=rules)


def delivery_assess(*, actor: Actor, contract: Contract, period: date) -> DeliveryAssessment:
    """Score the supplier's delivery for `period` and decide whether it has earned change work."""
    ensure_can(actor, "credits.calculate", contract)
    _month_start(period)
    config = delivery_config(contract)
    codes = {kpi["name"]: kpi.get("service_level", kpi["name"]) for kpi in contract.delivery_kpis}
    results = dict(
        ServiceLevelResult.objects.filter(service_level__code__in=codes.values(), period=period).values_list(
            "service_level__code", "actual"
        )
    )
    missing = sorted(name for name, code in codes.items() if code not in results)
    if missing:
        raise ValidationFailed.one("results", f"no {period:%B %Y} result for: {', '.join(missing)}")
    runs = CreditRun.objects.filter(contract=contract, is_current=True)
    lookback = runs.filter(period__lte=period, period__gt=_months_before(period, config.rules.lookback_periods))
    this_run = runs.filter(period=period).first()
    charges = period_charges(contract, period)
    credit_percent = (this_run.total / charges * 100) if this_run and charges else Decimal(0)
    verdict = delivery.delivery_score(
        config,
        {name: results[code] for name, code in codes.items()},
        critical_failures_in_lookback=lookback.aggregate(n=Sum("critical_failures"))["n"] or 0,
        credit_percent=credit_percent.quantize(Decimal("0.01"), ROUND_HALF_UP),
    )
    with transaction.atomic():
        DeliveryAssessment.objects.filter(contract=contract, period=period, is_current=True).update(is_current=False)
        assessment = DeliveryAssessment.objects.create(
            contract=contract,
            supplier=contract.supplier,
            period=period,
            score=verdict.score,
            eligible=verdict.eligible,
            kpi_scores={k: str(v) for k, v in verdict.kpi_scores.items()},
            reasons=[{"rule": r.rule, "met": r.met, "text": r.text} for r in verdict.reasons],
        )
        audit.record(
            actor,
            "delivery.assessed",
            contract,
            after={"period": period, "score": verdict.score, "eligible": verdict.eligible},
        )
    return assessment
