"""Worked examples for the service credit calculators, with the arithmetic written out as a schedule would."""

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from towers.sla.credits import (
    CcsRegime,
    CcsServiceLevel,
    MscBand,
    MscKpi,
    MscRegime,
    PeriodTotals,
    PointRate,
    ccs_credits,
    msc_credits,
)

MARCH = date(2026, 3, 1)


def months_before(period, n):
    index = period.year * 12 + period.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def ccs(**levels):
    return CcsRegime(cap_percent=D(10), service_levels=levels)


AVAILABILITY = CcsServiceLevel(performance_measure=D("99.50"), threshold=D("97.00"))
FIRST_TIME_FIX = CcsServiceLevel(performance_measure=D("90.00"), threshold=D("80.00"))
P1_RESOLUTION = CcsServiceLevel(performance_measure=D("95.00"), threshold=D("85.00"))


# --- CCS -------------------------------------------------------------------------------------


def test_a_met_month_earns_no_credit_but_lists_every_service_level():
    statement = ccs_credits(
        ccs(availability=AVAILABILITY, fix=FIRST_TIME_FIX),
        MARCH,
        {"availability": D("99.80"), "fix": D("90.00")},
        D(250_000),
    )
    assert [(line.service_level, line.kind, line.amount) for line in statement.lines] == [
        ("availability", "met", D("0.00")),
        ("fix", "met", D("0.00")),  # exactly on the measure is met
    ]
    assert statement.total == D("0.00")
    assert statement.critical_failures == ()
    assert statement.lines[0].evidence["formula"] == "99.80% ≥ 99.50%: met"


def test_a_1_3_point_miss_on_250k_charges_credits_3250():
    statement = ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D("98.20")}, D("250000.00"))
    (line,) = statement.lines
    # (99.50 − 98.20) = 1.30% of £250,000.00 = £3,250.00
    assert line.kind == "credit"
    assert line.percent == D("1.30")
    assert line.amount == D("3250.00")
    assert line.evidence["formula"] == "(99.50 \u2212 98.20) = 1.30% × £250,000.00 = £3,250.00"
    assert line.evidence["performance_measure"] == D("99.50")
    assert line.evidence["threshold"] == D("97.00")
    assert line.evidence["actual"] == D("98.20")
    assert line.evidence["charges"] == D("250000.00")
    assert statement.total == D("3250.00")
    assert statement.credit_percent == D("1.30")


def test_credits_for_several_service_levels_add_up():
    statement = ccs_credits(
        ccs(availability=AVAILABILITY, fix=FIRST_TIME_FIX, p1=P1_RESOLUTION),
        MARCH,
        {"availability": D("99.00"), "fix": D("87.50"), "p1": D("96.00")},
        D(200_000),
    )
    # availability (99.50 − 99.00) = 0.50% × £200,000 = £1,000.00
    # fix          (90.00 − 87.50) = 2.50% × £200,000 = £5,000.00
    # p1           96.00 ≥ 95.00: met                 = £0.00
    assert [line.amount for line in statement.lines] == [D("1000.00"), D("5000.00"), D("0.00")]
    assert statement.total == D("6000.00")
    assert not statement.cap_applied


def test_below_the_threshold_is_a_critical_failure_with_no_credit():
    statement = ccs_credits(
        ccs(availability=AVAILABILITY, fix=FIRST_TIME_FIX),
        MARCH,
        {"availability": D("96.90"), "fix": D("89.00")},
        D(250_000),
    )
    availability, fix = statement.lines
    # 96.90 < threshold 97.00: the 2.60 points would have been £6,500, but a critical failure accrues nothing.
    assert availability.kind == "critical_failure"
    assert availability.amount == D("0.00")
    assert "Critical Service Level Failure" in availability.evidence["reason"]
    assert statement.critical_failures == ("availability",)
    # fix still earns its own credit by default: (90.00 − 89.00) = 1% × £250,000 = £2,500.00
    assert fix.amount == D("2500.00")
    assert statement.total == D("2500.00")


def test_exactly_on_the_threshold_is_a_failure_not_a_critical_one():
    statement = ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D("97.00")}, D(100_000))
    # (99.50 − 97.00) = 2.50% × £100,000 = £2,500.00
    assert statement.lines[0].kind == "credit"
    assert statement.total == D("2500.00")
    assert statement.critical_failures == ()


def test_period_scope_withholds_every_credit_in_a_period_with_a_critical_failure():
    regime = CcsRegime(
        cap_percent=D(10),
        service_levels={"availability": AVAILABILITY, "fix": FIRST_TIME_FIX},
        critical_failure_scope="service_period",
    )
    statement = ccs_credits(regime, MARCH, {"availability": D("96.90"), "fix": D("89.00")}, D(250_000))
    fix = statement.lines[1]
    assert fix.amount == D("0.00")
    assert fix.evidence["would_have_been"] == D("2500.00")
    assert "availability" in fix.evidence["withheld"]
    assert statement.total == D("0.00")


def test_a_credit_rate_scales_the_percentage_per_point_missed():
    half = CcsServiceLevel(performance_measure=D("99.50"), threshold=D("97.00"), credit_rate=D("0.5"))
    statement = ccs_credits(ccs(availability=half), MARCH, {"availability": D("98.20")}, D(250_000))
    # (99.50 − 98.20) = 1.30 points × 0.5 = 0.65% × £250,000 = £1,625.00
    assert statement.lines[0].percent == D("0.650")
    assert statement.total == D("1625.00")


def test_the_rolling_12_month_cap_binds_and_records_the_reduction():
    level = CcsServiceLevel(performance_measure=D("99.50"), threshold=D("90.00"))
    history = [PeriodTotals(months_before(MARCH, n), D(250_000), D(26_000)) for n in range(2, 12)]  # 10 months
    history.append(PeriodTotals(months_before(MARCH, 1), D(250_000), D(30_000)))
    # 13 months back is outside the window, so its large credit must not count.
    history.append(PeriodTotals(months_before(MARCH, 12), D(250_000), D(100_000)))
    statement = ccs_credits(ccs(availability=level), MARCH, {"availability": D("94.50")}, D(250_000), history)
    # gross: (99.50 − 94.50) = 5.00% × £250,000 = £12,500.00
    # cap:   10% × (11 × £250,000 + £250,000 = £3,000,000) = £300,000 − (10 × £26,000 + £30,000 = £290,000) = £10,000
    assert statement.gross == D("12500.00")
    assert statement.cap_limit == D("10000.00")
    assert statement.cap_reduction == D("2500.00")
    assert statement.total == D("10000.00")
    assert statement.cap_applied
    cap = statement.lines[-1]
    assert (cap.kind, cap.service_level, cap.amount) == ("cap_reduction", None, D("-2500.00"))
    assert cap.evidence["window_charges"] == D("3000000.00")
    assert cap.evidence["credited_earlier"] == D("290000.00")
    assert cap.evidence["periods_counted"] == 12
    assert sum(line.amount for line in statement.lines) == statement.total


def test_a_window_already_at_its_cap_credits_nothing_more():
    history = [PeriodTotals(months_before(MARCH, n), D(100_000), D(11_000)) for n in range(1, 12)]
    statement = ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D("98.50")}, D(100_000), history)
    # cap 10% × £1,200,000 = £120,000, but £121,000 is already credited: nothing is left, never less than nothing.
    assert statement.gross == D("1000.00")
    assert statement.cap_limit == D("0.00")
    assert statement.total == D("0.00")


def test_a_service_level_not_measured_is_reported_without_credit():
    statement = ccs_credits(
        ccs(availability=AVAILABILITY, fix=FIRST_TIME_FIX), MARCH, {"availability": D("98.20"), "fix": None}, D(250_000)
    )
    assert [(line.service_level, line.kind, line.amount) for line in statement.lines] == [
        ("availability", "credit", D("3250.00")),
        ("fix", "not_measured", D("0.00")),
    ]


def test_credits_round_to_pence_half_up():
    statement = ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D("99.00")}, D("1001.00"))
    # (99.50 − 99.00) = 0.50% × £1,001.00 = £5.005 → £5.01 (half up; banker's rounding would give £5.00)
    assert statement.total == D("5.01")


def test_a_statement_becomes_history_for_the_next_period():
    march = ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D("98.20")}, D(250_000))
    assert march.totals() == PeriodTotals(MARCH, D("250000.00"), D("3250.00"))


def test_a_statement_serialises_to_json_with_its_evidence():
    statement = ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D("98.20")}, D(250_000))
    data = json.loads(json.dumps(statement.to_dict()))
    assert data["model"] == "ccs"
    assert data["period"] == "2026-03-01"
    assert data["total"] == "3250.00"
    assert data["cap_applied"] is False
    assert data["lines"][0]["evidence"]["actual"] == "98.20"
    assert data["lines"][0]["evidence"]["formula"].endswith("= £3,250.00")


# --- MSC -------------------------------------------------------------------------------------

# The MSC worked example: target 99%; minor 98.0–98.9 = 1, serious 97.0–97.9 = 2, severe 96.0–96.9 = 3,
# below the KPI Service Threshold of 96% = 4.
AVAILABILITY_KPI = MscKpi(
    target=D(99), bands=[MscBand(D(98), 1), MscBand(D(97), 2), MscBand(D(96), 3), MscBand(D(0), 4)]
)
POUND_PER_POINT = PointRate(D(1000))


def msc(cap=D(5), rate=POUND_PER_POINT, window=1, **kpis):
    return MscRegime(
        cap_percent=cap, rate=rate, kpis=kpis or {"availability": AVAILABILITY_KPI}, cap_window_periods=window
    )


@pytest.mark.parametrize(
    ("actual", "points"),
    [(D("99.00"), 0), (D("98.50"), 1), (D("98.00"), 1), (D("97.99"), 2), (D("96.50"), 3), (D("95.99"), 4), (D(0), 4)],
)
def test_msc_bands_give_their_service_points(actual, points):
    statement = msc_credits(msc(), MARCH, {"availability": actual}, D(200_000), previous_points={})
    assert statement.lines[0].points == points
    assert statement.points == points
    assert statement.total == D(1000) * points


def test_the_worst_band_is_open_ended():
    kpi = MscKpi(target=D(99), bands=[MscBand(D(98), 1), MscBand(D(96), 3)])
    statement = msc_credits(msc(availability=kpi), MARCH, {"availability": D("50.00")}, D(200_000), {})
    # 50% is beyond the severe band's 96% edge, and still scores its 3 points rather than escaping them.
    assert statement.lines[0].points == 3
    assert "beyond 96.00%" in statement.lines[0].evidence["formula"]


def test_a_repeat_failure_doubles_the_points_as_in_the_msc_worked_example():
    regime = msc()
    # Period 1: 96.5% is a Severe KPI Failure: 3 points.
    first = msc_credits(regime, date(2026, 1, 1), {"availability": D("96.50")}, D(200_000), {})
    # Period 2: 98.5% is Minor (1) but repeats: SP = 1 × 2 = 2.
    second = msc_credits(regime, date(2026, 2, 1), {"availability": D("98.50")}, D(200_000), {"availability": 3})
    # Period 3: 96.5% Severe (3), repeating again: SP = 3 × 2 = 6.
    third = msc_credits(regime, MARCH, {"availability": D("96.50")}, D(200_000), {"availability": 2})
    assert [first.points, second.points, third.points] == [3, 2, 6]
    evidence = second.lines[0].evidence
    assert (evidence["base_points"], evidence["repeat"], evidence["points"]) == (1, True, 2)
    assert evidence["formula"] == (
        "98.50% misses target 99.00%, band 1 (≥ 98.00%): "
        "1 × 2 (repeat: 3 last period) = 2 points × £1,000.00 = £2,000.00"
    )
    assert first.lines[0].evidence["repeat"] is False


def test_a_met_period_breaks_the_repeat_chain():
    statement = msc_credits(msc(), MARCH, {"availability": D("98.50")}, D(200_000), {"availability": 0})
    assert statement.points == 1


def test_points_convert_to_pounds_at_a_fixed_rate():
    kpis = {"availability": AVAILABILITY_KPI, "fix": MscKpi(D(90), [MscBand(D(85), 1), MscBand(D(0), 3)])}
    statement = msc_credits(
        msc(rate=PointRate(D("750.00")), **kpis), MARCH, {"availability": D("97.50"), "fix": D("84")}, D(200_000), {}
    )
    # availability 97.50 → serious, 2 points; fix 84 → 3 points; 5 points × £750.00 = £3,750.00
    assert statement.points == 5
    assert [line.amount for line in statement.lines] == [D("1500.00"), D("2250.00")]
    assert statement.total == D("3750.00")
    assert statement.lines[0].percent is None  # a fixed rate states no share of charges


def test_points_convert_to_a_percentage_of_charges():
    rate = PointRate(D("0.25"), of_charges=True)
    statement = msc_credits(msc(rate=rate), MARCH, {"availability": D("96.50")}, D("123456.78"), {})
    # one point = 0.25% × £123,456.78 = £308.64195 → £308.64; 3 points × £308.64 = £925.92
    line = statement.lines[0]
    assert line.evidence["per_point"] == D("308.64")
    assert line.evidence["rate"] == "0.25% × £123,456.78 = £308.64 per point"
    assert line.percent == D("0.75")
    assert statement.total == D("925.92")


def test_the_msc_cap_binds_per_period():
    kpis = {"availability": AVAILABILITY_KPI, "fix": MscKpi(D(90), [MscBand(D(85), 1), MscBand(D(0), 3)])}
    statement = msc_credits(
        msc(**kpis), MARCH, {"availability": D("50"), "fix": D("80")}, D(200_000), {"availability": 4}
    )
    # availability 4 × 2 (repeat) = 8 points, fix 3 points: 11 × £1,000 = £11,000
    # cap 5% × £200,000 = £10,000, so £1,000 is not credited.
    assert statement.points == 11
    assert statement.gross == D("11000.00")
    assert statement.cap_reduction == D("1000.00")
    assert statement.total == D("10000.00")
    assert statement.lines[-1].amount == D("-1000.00")


def test_an_msc_regime_may_cap_over_a_rolling_window():
    history = [
        PeriodTotals(date(2026, 1, 1), D(100_000), D(5_000)),
        PeriodTotals(date(2026, 2, 1), D(100_000), D(4_000)),
    ]
    statement = msc_credits(msc(window=3), MARCH, {"availability": D("10")}, D(100_000), {"availability": 4}, history)
    # 8 points × £1,000 = £8,000; cap 5% × £300,000 = £15,000 − £9,000 already credited = £6,000
    assert statement.total == D("6000.00")
    assert statement.cap_reduction == D("2000.00")


def test_a_lower_is_better_kpi_bands_upwards():
    # % of changes that failed: target at most 2%, then 5% (1 point), then anything worse (3 points).
    failed_changes = MscKpi(D(2), [MscBand(D(5), 1), MscBand(D(100), 3)], higher_is_better=False)
    regime = msc(failed=failed_changes)
    results = [
        msc_credits(regime, MARCH, {"failed": actual}, D(200_000), {}).points for actual in (D(2), D(5), D("5.1"))
    ]
    assert results == [0, 1, 3]


def test_a_kpi_not_measured_scores_nothing():
    statement = msc_credits(msc(), MARCH, {"availability": None}, D(200_000), {"availability": 3})
    assert statement.lines[0].kind == "not_measured"
    assert statement.total == D("0.00")


# --- invalid input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {}, D(1)), "actuals['availability']"),
        (
            lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D(101)}, D(1)),
            "actuals['availability']",
        ),
        (
            lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D(-1)}, D(1)),
            "actuals['availability']",
        ),
        (
            lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": 98.2}, D(1)),
            "actuals['availability']",
        ),
        (
            lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D(99), "x": D(1)}, D(1)),
            "actuals['x']",
        ),
        (lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D(99)}, D(-1)), "charges"),
        (lambda: ccs_credits(ccs(availability=AVAILABILITY), MARCH, {"availability": D(99)}, D("1.005")), "charges"),
        (
            lambda: ccs_credits(ccs(availability=AVAILABILITY), date(2026, 3, 2), {"availability": D(99)}, D(1)),
            "period",
        ),
        (lambda: CcsServiceLevel(performance_measure=D(95), threshold=D(96)), "threshold"),
        (lambda: CcsServiceLevel(performance_measure=D(101), threshold=D(96)), "performance_measure"),
        (lambda: CcsRegime(cap_percent=D(-1), service_levels={}), "cap_percent"),
        (lambda: CcsRegime(cap_percent=D(10), service_levels={}, cap_window_periods=0), "cap_window_periods"),
        (
            lambda: ccs_credits(
                ccs(availability=AVAILABILITY),
                MARCH,
                {"availability": D(99)},
                D(1),
                [PeriodTotals(date(2026, 2, 1), D(1), D(0)), PeriodTotals(date(2026, 2, 1), D(1), D(0))],
            ),
            "history[1].period",
        ),
        (
            lambda: ccs_credits(
                ccs(availability=AVAILABILITY), MARCH, {"availability": D(99)}, D(1), [PeriodTotals(MARCH, D(1), D(0))]
            ),
            "history[0].period",
        ),
        (lambda: MscKpi(D(99), [MscBand(D(97), 2), MscBand(D(98), 3)]), "bands[1].bound"),
        (lambda: MscKpi(D(99), [MscBand(D(98), 2), MscBand(D(97), 1)]), "bands[1].points"),
        (lambda: MscKpi(D(99), [MscBand(D(99), 1)]), "bands[0].bound"),
        (lambda: MscKpi(D(99), []), "bands"),
        (lambda: msc_credits(msc(), MARCH, {"availability": D(98)}, D(1), {"availability": -1}), "previous_points"),
        (lambda: PointRate(D(-1)), "rate.value"),
    ],
)
def test_invalid_input_raises_value_error_naming_the_field(call, field):
    with pytest.raises(ValueError, match="^" + re.escape(field)):
        call()


def test_the_calculators_import_without_django():
    code = (
        "import sys; import towers.sla.credits, towers.sla.delivery; "
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if m.startswith('django'))"
    )
    repo = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=repo)
    assert result.returncode == 0, result.stderr
