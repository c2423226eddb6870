"""Correlation rules (event_count, value_count, temporal, temporal_ordered) over a sorted stream."""

import textwrap

from towers.soc.sigma.correlation import Correlation, correlate, firing_window, from_pysigma
from towers.soc.sigma.rules import CompileReport, compile_text

YAML = textwrap.dedent(
    """\
    title: Failed logon
    name: failed_logon
    logsource:
        product: windows
        service: security
    detection:
        sel:
            EventID: 4625
        condition: sel
    ---
    title: Many failed logons
    correlation:
        type: event_count
        rules:
            - failed_logon
        group-by:
            - TargetUserName
        timespan: 5m
        condition:
            gte: 3
    """
)


def test_event_count_from_a_pysigma_correlation_rule() -> None:
    report = CompileReport()
    compile_text(YAML, report)
    assert not report.failures, report.summary()
    assert len(report.rules) == 1 and len(report.correlations) == 1
    correlation = from_pysigma(report.correlations[0])
    assert (correlation.type, correlation.rules, correlation.timespan) == ("event_count", ("failed_logon",), 300.0)
    assert correlation.group_by == ("TargetUserName",)
    stream = [
        (0.0, "failed_logon", {"TargetUserName": "alice"}),
        (10.0, "failed_logon", {"TargetUserName": "bob"}),
        (20.0, "failed_logon", {"TargetUserName": "alice"}),
        (400.0, "failed_logon", {"TargetUserName": "alice"}),  # 0 and 20 have left the 5-minute window
        (410.0, "failed_logon", {"TargetUserName": "alice"}),
    ]
    assert list(correlate(correlation, stream)) == []
    stream.append((420.0, "failed_logon", {"targetusername": "alice"}))
    alerts = list(correlate(correlation, stream))
    assert [(a.group, a.first, a.last, a.count) for a in alerts] == [(("alice",), 400.0, 420.0, 3)]


def test_value_count_counts_distinct_values() -> None:
    spray = Correlation(
        id="c",
        title="spray",
        type="value_count",
        rules=("fail",),
        timespan=60,
        group_by=("IpAddress",),
        op="gte",
        count=3,
        value_field="TargetUserName",
    )
    same_user = [(float(t), "fail", {"IpAddress": "1.2.3.4", "TargetUserName": "alice"}) for t in range(5)]
    assert list(correlate(spray, same_user)) == []
    users = [(float(t), "fail", {"IpAddress": "1.2.3.4", "TargetUserName": u}) for t, u in enumerate("abc")]
    assert len(list(correlate(spray, users))) == 1


def test_temporal_and_temporal_ordered_with_aliases() -> None:
    aliases = {"user": {"logon": "TargetUserName", "proc": "User"}}
    unordered = Correlation(
        id="t", title="t", type="temporal", rules=("logon", "proc"), timespan=30, group_by=("user",), aliases=aliases
    )
    ordered = Correlation(
        id="o",
        title="o",
        type="temporal_ordered",
        rules=("logon", "proc"),
        timespan=30,
        group_by=("user",),
        aliases=aliases,
    )
    reversed_stream = [(0.0, "proc", {"User": "bob"}), (5.0, "logon", {"TargetUserName": "bob"})]
    assert len(list(correlate(unordered, reversed_stream))) == 1
    assert list(correlate(ordered, reversed_stream)) == []
    in_order = [(0.0, "logon", {"TargetUserName": "bob"}), (5.0, "proc", {"User": "bob"})]
    assert len(list(correlate(ordered, in_order))) == 1
    too_late = [(0.0, "logon", {"TargetUserName": "bob"}), (50.0, "proc", {"User": "bob"})]
    assert list(correlate(ordered, too_late)) == []
    other_user = [(0.0, "logon", {"TargetUserName": "bob"}), (5.0, "proc", {"User": "eve"})]
    assert list(correlate(unordered, other_user)) == []


def test_a_late_match_completes_a_window_that_ends_with_a_later_one() -> None:
    three = Correlation(id="c", title="c", type="event_count", rules=("fail",), timespan=10, count=3)
    kept = [(5.0, "fail", None), (12.0, "fail", None)]
    assert firing_window(three, [*kept, (13.0, "fail", None)], 2) == (0, 3)  # in order: the window ends with it
    assert firing_window(three, [(3.0, "fail", None), *kept], 0) == (0, 3)  # late: 3..12 is inside ten
    assert firing_window(three, [(1.0, "fail", None), *kept], 0) is None  # late: 1..12 is not
    assert firing_window(three, [(1.0, "fail", None), (2.0, "fail", None), *kept], 1) == (0, 3)
