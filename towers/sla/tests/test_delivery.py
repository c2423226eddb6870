"""The delivery score and the change-work verdict, with the arithmetic written out."""

import json
import re
from decimal import Decimal as D

import pytest

from towers.sla.delivery import DeliveryConfig, EligibilityRules, ScoreKpi, delivery_score

FIX = ScoreKpi(name="First-time fix", weight=D(1), excellent=D(90), good=D(75))
AVAILABILITY = ScoreKpi(name="Availability", weight=D(3), excellent=D("99.9"), good=D("99.5"))
RULES = EligibilityRules(min_score=D(85), lookback_periods=3, max_credit_percent=D(5))
CONFIG = DeliveryConfig(kpis=[AVAILABILITY, FIX], rules=RULES)


def verdict(values, *, config=CONFIG, failures=0, credits=D(0)):
    return delivery_score(config, values, critical_failures_in_lookback=failures, credit_percent=credits)


def texts(result):
    return [reason.text for reason in result.reasons]


def test_an_excellent_supplier_is_eligible_and_every_reason_is_met():
    result = verdict({"Availability": D("99.95"), "First-time fix": D(92)}, credits=D("0.40"))
    assert result.score == D("100.0")
    assert result.eligible
    assert result.unmet == ()
    assert texts(result) == [
        "Score 100.0 ≥ 85",
        "KPI 'Availability' 99.95% meets good (99.5%)",
        "KPI 'First-time fix' 92.0% meets good (75.0%)",
        "No critical service level failure in the last 3 months",
        "Service credits 0.40% of charges, within the 5.00% maximum",
    ]


def test_one_kpi_below_good_makes_the_supplier_ineligible_with_that_reason():
    # availability 100 × 3, fix 72 < good 75: 50 × (72 − 60) / 15 = 40 × 1; (300 + 40) / 4 = 85.0
    result = verdict({"Availability": D("99.9"), "First-time fix": D(72)})
    assert result.score == D("85.0")  # the score alone would pass
    assert not result.eligible
    assert [reason.text for reason in result.unmet] == ["KPI 'First-time fix' 72.0% is below good (75.0%)"]


def test_a_critical_failure_in_the_lookback_makes_the_supplier_ineligible():
    result = verdict({"Availability": D("99.95"), "First-time fix": D(92)}, failures=1)
    assert not result.eligible
    assert [(r.rule, r.text) for r in result.unmet] == [
        ("critical_failures", "1 critical service level failure in the last 3 months")
    ]
    several = verdict({"Availability": D("99.95"), "First-time fix": D(92)}, failures=2)
    assert several.unmet[0].text == "2 critical service level failures in the last 3 months"


def test_credits_above_the_maximum_make_the_supplier_ineligible():
    result = verdict({"Availability": D("99.95"), "First-time fix": D(92)}, credits=D("5.01"))
    assert not result.eligible
    assert [r.text for r in result.unmet] == ["Service credits 5.01% of charges exceed the 5.00% maximum"]


def test_credits_a_hair_over_the_maximum_say_so_in_full():
    result = verdict({"Availability": D("99.95"), "First-time fix": D(92)}, credits=D("5.001"))
    assert [r.text for r in result.unmet] == ["Service credits 5.001% of charges exceed the 5.00% maximum"]


def test_credits_exactly_at_the_maximum_are_allowed():
    assert verdict({"Availability": D("99.95"), "First-time fix": D(92)}, credits=D(5)).eligible


def test_the_overall_score_is_the_weighted_mean():
    # availability at good: 50 × 3 = 150; fix at excellent: 100 × 1 = 100; (150 + 100) / 4 = 62.5
    result = verdict({"Availability": D("99.5"), "First-time fix": D(90)})
    assert result.kpi_scores == {"Availability": D("50.0"), "First-time fix": D("100.0")}
    assert result.score == D("62.5")
    assert result.unmet[0].text == "Score 62.5 is below the minimum of 85"
    # swap which one excels and the weights tell: (100 × 3 + 50 × 1) / 4 = 87.5
    assert verdict({"Availability": D("99.9"), "First-time fix": D(75)}).score == D("87.5")


@pytest.mark.parametrize(
    ("value", "score"),
    [
        (D(100), D(100)),  # beyond excellent is still 100
        (D(90), D(100)),  # at excellent
        (D("82.5"), D(75)),  # halfway from good to excellent: 50 + 50 × 7.5 / 15
        (D(75), D(50)),  # at good
        (D(70), D("33.3")),  # below good; default floor 75 − 15 = 60: 50 × (70 − 60) / 15 = 33.33…
        (D(60), D(0)),  # at the floor
        (D(10), D(0)),  # never below 0
    ],
)
def test_a_kpi_scores_on_the_documented_scale(value, score):
    result = verdict({"Availability": D("99.9"), "First-time fix": value})
    assert result.kpi_scores["First-time fix"] == score


def test_an_explicit_floor_softens_the_fall_below_good():
    gentle = ScoreKpi(name="First-time fix", weight=D(1), excellent=D(90), good=D(75), floor=D(0))
    result = verdict({"First-time fix": D("37.5")}, config=DeliveryConfig([gentle], RULES))
    # 50 × (37.5 − 0) / (75 − 0) = 25
    assert result.score == D("25.0")


def test_a_lower_is_better_kpi_scores_the_other_way():
    mttr = ScoreKpi(name="P1 resolution", weight=D(1), excellent=D(4), good=D(8), higher_is_better=False, unit=" h")
    config = DeliveryConfig([mttr], RULES)
    # 6 h is halfway between good (8) and excellent (4): 75; 10 h is halfway to the floor (12): 25
    assert verdict({"P1 resolution": D(6)}, config=config).score == D("75.0")
    assert verdict({"P1 resolution": D(3)}, config=config).score == D("100.0")
    slow = verdict({"P1 resolution": D(10)}, config=config)
    assert slow.score == D("25.0")
    assert "KPI 'P1 resolution' 10.0 h is worse than good (8.0 h)" in [r.text for r in slow.unmet]


def test_the_score_boundary_is_inclusive():
    one = DeliveryConfig([ScoreKpi(name="Fix", weight=D(1), excellent=D(100), good=D(80))], RULES)
    # 50 + 50 × (94 − 80) / 20 = 85.0 exactly: eligible
    assert verdict({"Fix": D(94)}, config=one).eligible
    # 50 + 50 × (93.96 − 80) / 20 = 84.9: not
    below = verdict({"Fix": D("93.96")}, config=one)
    assert below.score == D("84.9")
    assert not below.eligible


def test_a_kpi_exactly_at_good_is_not_below_good():
    result = verdict({"Availability": D("99.9"), "First-time fix": D(75)})
    assert "KPI 'First-time fix' 75.0% meets good (75.0%)" in texts(result)


def test_the_score_rounds_half_up_to_one_place():
    # (100 × 3 + 50 × 1 + 0 × 4) / 8 = 43.75 → 43.8
    zero = ScoreKpi(name="Zero", weight=D(4), excellent=D(90), good=D(75), floor=D(0))
    config = DeliveryConfig([AVAILABILITY, FIX, zero], RULES)
    assert verdict({"Availability": D("99.9"), "First-time fix": D(75), "Zero": D(0)}, config=config).score == D("43.8")


def test_a_zero_weight_kpi_gates_without_moving_the_score():
    gate = ScoreKpi(name="Security patching", weight=D(0), excellent=D(98), good=D(95))
    config = DeliveryConfig([AVAILABILITY, FIX, gate], RULES)
    result = verdict({"Availability": D("99.9"), "First-time fix": D(90), "Security patching": D(80)}, config=config)
    assert result.score == D("100.0")
    assert not result.eligible


def test_a_one_month_lookback_reads_naturally():
    config = DeliveryConfig([FIX], EligibilityRules(lookback_periods=1))
    assert "No critical service level failure in the last month" in texts(
        verdict({"First-time fix": D(90)}, config=config)
    )


def test_a_verdict_serialises_to_json():
    data = json.loads(json.dumps(verdict({"Availability": D("99.9"), "First-time fix": D(72)}).to_dict()))
    assert data["score"] == "85.0"
    assert data["eligible"] is False
    assert data["kpi_scores"]["First-time fix"] == "40.0"
    assert {"rule": "kpi", "met": False, "text": "KPI 'First-time fix' 72.0% is below good (75.0%)"} in data["reasons"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: verdict({"Availability": D("99.9")}), "values['First-time fix']"),
        (lambda: verdict({"Availability": D("99.9"), "First-time fix": D(80), "Other": D(1)}), "values['Other']"),
        (lambda: verdict({"Availability": D("99.9"), "First-time fix": 80.0}), "values['First-time fix']"),
        (
            lambda: verdict({"Availability": D("99.9"), "First-time fix": D(80)}, failures=-1),
            "critical_failures_in_lookback",
        ),
        (lambda: verdict({"Availability": D("99.9"), "First-time fix": D(80)}, credits=D(-1)), "credit_percent"),
        (lambda: ScoreKpi(name="Fix", weight=D(1), excellent=D(75), good=D(75)), "kpis['Fix'].excellent"),
        (lambda: ScoreKpi(name="Fix", weight=D(-1), excellent=D(90), good=D(75)), "kpis['Fix'].weight"),
        (lambda: ScoreKpi(name="Fix", weight=D(1), excellent=D(90), good=D(75), floor=D(80)), "kpis['Fix'].floor"),
        (lambda: DeliveryConfig([FIX, FIX]), "kpis['First-time fix']"),
        (lambda: DeliveryConfig([]), "kpis"),
        (lambda: DeliveryConfig([ScoreKpi(name="Fix", weight=D(0), excellent=D(90), good=D(75))]), "kpis"),
        (lambda: EligibilityRules(lookback_periods=0), "rules.lookback_periods"),
    ],
)
def test_invalid_input_raises_value_error_naming_the_field(call, field):
    with pytest.raises(ValueError, match="^" + re.escape(field)):
        call()
