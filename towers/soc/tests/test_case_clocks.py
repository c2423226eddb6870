from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from towers.contracts.tests.factories import CalendarFactory, ServiceFactory, ServiceLevelFactory, office_hours_calendar
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.organisations.tests.test_api import bearer
from towers.sla.clock import EventKind
from towers.soc import selectors
from towers.soc.models import CaseClock, CaseEvent, CaseStatus, SecurityCase
from towers.soc.services.alerts import alert_raise, alerts_acknowledge
from towers.soc.services.case_clocks import (
    PRIORITY_OF,
    case_clocks_recompute,
    case_clocks_sweep,
    engine_timeline,
)
from towers.soc.services.cases import case_from_alerts, case_transition
from towers.soc.tests.factories import detection_rule, sysmon_event

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, GMT
SWEEPER = Actor.system("case-clocks")


@pytest.fixture
def levels(soc):
    """The SOC's security-operations service: P1/P2 response in 15/30 minutes and P2 resolution in 4 hours, 24x7."""
    service = ServiceFactory(owner=soc.organisation, category="security_operations")
    always = CalendarFactory(owner=soc.organisation, always_open=True, bank_holidays=False)
    authority = soc.desk.estate.authority

    def level(metric, priority, minutes, **extra):
        return ServiceLevelFactory(
            service=service,
            provider=soc.organisation,
            customer=authority,
            metric=metric,
            priority=priority,
            target=timedelta(minutes=minutes),
            calendar=always,
            pause_states=[],
            name=f"{priority} {metric} in {minutes} minutes",
            **extra,
        )

    return {
        "service": service,
        "p1_response": level("response", "P1", 15),
        "p2_response": level("response", "P2", 30),
        "p2_resolution": level("resolution", "P2", 240),
    }


def _clocks(case):
    return {c.metric: c for c in CaseClock.objects.filter(case=case)}


def _open_case(soc, at=T0, **event):
    with freeze_time(at):
        return soc.case(**event)


def test_a_new_case_runs_response_and_resolution_clocks_from_the_socs_service_levels(soc, levels):
    other_service = ServiceFactory(owner=soc.organisation, category="application_support")
    ServiceLevelFactory(service=other_service, provider=soc.organisation, metric="response", priority="P2")
    ServiceLevelFactory(service=levels["service"], provider=soc.desk.estate.applications, priority="P2")
    ServiceLevelFactory(service=levels["service"], provider=soc.organisation, priority="P2", is_active=False)
    case = _open_case(soc)
    clocks = _clocks(case)
    assert set(clocks) == {"response", "resolution"} and CaseClock.objects.count() == 2
    response, resolution = clocks["response"], clocks["resolution"]
    assert (response.service_level, response.state, response.target_seconds) == (levels["p2_response"], "running", 1800)
    assert response.due_at == T0 + timedelta(minutes=30)
    assert resolution.due_at == T0 + timedelta(hours=4) and resolution.percent == 0


@pytest.mark.parametrize(
    ("severity", "priority"),
    [("critical", "P1"), ("high", "P2"), ("medium", "P3"), ("low", "P4"), ("informational", "P4")],
)
def test_severity_maps_to_priority(severity, priority):
    assert PRIORITY_OF[severity] == priority


def test_a_critical_case_is_measured_against_the_p1_target(soc, levels):
    soc.rule.level = "critical"
    soc.rule.save()
    case = _open_case(soc)
    response = _clocks(case)["response"]
    assert (response.service_level, response.due_at) == (levels["p1_response"], T0 + timedelta(minutes=15))
    assert "resolution" not in _clocks(case)  # no P1 resolution level: no promise, no clock


def test_the_response_clock_stops_at_acknowledgement_and_resolution_keeps_running(soc, levels):
    case = _open_case(soc)
    with freeze_time(T0 + timedelta(minutes=10)):
        case_transition(actor=soc.actor, case=case, status=CaseStatus.IN_PROGRESS)
    with freeze_time(T0 + timedelta(hours=1)):
        case_transition(actor=soc.actor, case=case, status=CaseStatus.IN_PROGRESS)
    clocks = _clocks(case)
    assert (clocks["response"].state, clocks["response"].elapsed_seconds) == ("stopped", 600)
    assert clocks["response"].stopped_at == T0 + timedelta(minutes=10) and not clocks["response"].breached
    assert (clocks["resolution"].state, clocks["resolution"].elapsed_seconds) == ("running", 3600)


def test_resolving_stops_the_clocks_in_the_same_write(soc, levels):
    case = soc.case()  # real time: the status line is written a moment after the transition starts
    case_transition(actor=soc.actor, case=case, status=CaseStatus.RESOLVED)
    assert {c.state for c in _clocks(case).values()} == {"stopped"}


def test_acknowledging_an_alert_of_the_case_stops_its_response_clock(soc, levels):
    case = _open_case(soc)
    with freeze_time(T0 + timedelta(minutes=5)):
        alerts_acknowledge(actor=soc.actor, alerts=[case.alerts.get()])
    response = _clocks(case)["response"]
    assert (response.state, response.elapsed_seconds) == ("stopped", 300)


def test_the_resolution_clock_stops_while_resolved_and_resumes_when_reopened(soc, levels):
    case = _open_case(soc)
    for minutes, status in ((60, CaseStatus.RESOLVED), (180, CaseStatus.IN_PROGRESS)):
        with freeze_time(T0 + timedelta(minutes=minutes)):
            case_transition(actor=soc.actor, case=case, status=status)
        if status == CaseStatus.RESOLVED:
            assert _clocks(case)["resolution"].state == "stopped"
    with freeze_time(T0 + timedelta(minutes=240)):
        case_clocks_recompute(case=case, actor=SWEEPER)
    resolution = _clocks(case)["resolution"]
    assert (resolution.state, resolution.elapsed_seconds, resolution.percent) == ("running", 2 * 3600, 50)
    assert resolution.due_at == T0 + timedelta(hours=6)  # the two resolved hours did not count


def test_business_hours_are_honoured(soc, levels):
    office = office_hours_calendar(soc.organisation, code="soc-office")
    levels["p2_response"].calendar = office
    levels["p2_response"].target = timedelta(hours=2)
    levels["p2_response"].save()
    friday_evening = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    case = _open_case(soc, at=friday_evening)
    # One business hour on Friday, the second from 08:00 on Monday.
    assert _clocks(case)["response"].due_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_a_new_alert_raising_the_severity_retargets_the_clock_and_says_so(soc, levels):
    case = _open_case(soc)
    critical = detection_rule(soc.organisation, level="critical", rule_id="critical-cradle")
    with freeze_time(T0 + timedelta(minutes=5)):
        alert_raise(actor=Actor.system("detection"), rule=critical, events=[sysmon_event()])
    case.refresh_from_db()
    assert case.severity == "critical"
    assert CaseEvent.objects.get(case=case, kind="severity").body == "High → Critical"
    response = _clocks(case)["response"]
    assert response.service_level == levels["p1_response"]
    assert response.due_at == T0 + timedelta(minutes=15)  # elapsed time carries over to the tighter target


def test_warnings_and_the_breach_are_told_once_each_on_the_timeline_and_audited(soc, levels):
    case = _open_case(soc)
    for minutes in (16, 17):  # 50% of the 30-minute response
        with freeze_time(T0 + timedelta(minutes=minutes)):
            case_clocks_sweep(actor=SWEEPER)
    with freeze_time(T0 + timedelta(hours=2)):
        case_clocks_sweep(actor=SWEEPER)
        case_clocks_sweep(actor=SWEEPER)
    told = list(CaseEvent.objects.filter(case=case, kind="clock").values_list("body", "at"))
    name = levels["p2_response"].name
    assert told == [
        (f"{name} reached 50%", T0 + timedelta(minutes=15)),
        (f"{name} reached 75%", T0 + timedelta(minutes=22, seconds=30)),
        (f"{name} reached 90%", T0 + timedelta(minutes=27)),
        (f"{name} breached", T0 + timedelta(minutes=30)),
        # the resolution clock (4 hours) reached 50% at 2 hours, told by the same sweep
        (f"{levels['p2_resolution'].name} reached 50%", T0 + timedelta(hours=2)),
    ]
    assert AuditEntry.objects.filter(action="soc.case.clock_warning", object_id=str(case.pk)).count() == 5
    response = _clocks(case)["response"]
    assert (response.breached, response.warned, response.percent) == (True, 100, 400)


def test_the_sweep_leaves_clocks_no_threshold_can_have_reached(soc, levels):
    case = _open_case(soc)
    with freeze_time(T0 + timedelta(minutes=5)):
        assert case_clocks_sweep(actor=SWEEPER) == 0
    with freeze_time(T0 + timedelta(minutes=15, seconds=1)):
        assert case_clocks_sweep(actor=SWEEPER) == 1
    with freeze_time(T0 + timedelta(minutes=16)):
        case_transition(actor=soc.actor, case=case, status=CaseStatus.CLOSED)
    with freeze_time(T0 + timedelta(days=1)):
        assert case_clocks_sweep(actor=SWEEPER) == 0  # closed: nothing runs


def test_the_sweep_refreshes_a_clock_left_uncomputed_for_ten_minutes(soc, levels):
    levels["p2_resolution"].target = timedelta(days=10)
    levels["p2_resolution"].save()
    case = _open_case(soc)
    with freeze_time(T0):
        case_transition(actor=soc.actor, case=case, status=CaseStatus.IN_PROGRESS)  # the response clock stops
    with freeze_time(T0 + timedelta(minutes=9)):
        assert case_clocks_sweep(actor=SWEEPER) == 0
    with freeze_time(T0 + timedelta(minutes=10)):
        assert case_clocks_sweep(actor=SWEEPER) == 1
    assert _clocks(case)["resolution"].elapsed_seconds == 600


def test_a_case_without_status_lines_is_read_from_its_acknowledged_and_resolved_times(soc):
    case = SecurityCase(
        opened_at=T0,
        acknowledged_at=T0 + timedelta(minutes=7),
        resolved_at=T0 + timedelta(hours=3),
        status=CaseStatus.RESOLVED,
        severity="medium",
    )
    timeline = engine_timeline(case, [])
    assert [(e.kind, e.at, e.state) for e in timeline] == [
        (EventKind.CREATED, T0, "open"),
        (EventKind.STATE, T0 + timedelta(minutes=7), "acknowledged"),
        (EventKind.STATE, T0 + timedelta(hours=3), "resolved"),
    ]
    assert timeline[0].priority == "P3"


def test_a_soc_without_security_operations_levels_has_no_clocks(soc):
    case = _open_case(soc)
    assert not CaseClock.objects.filter(case=case).exists()


def test_the_case_page_and_the_api_show_the_clocks(client, soc, levels):
    case = _open_case(soc)
    sign_in(client, soc.analyst, soc.organisation)
    with freeze_time(T0 + timedelta(minutes=20)):
        case_clocks_recompute(case=case, actor=SWEEPER)
    page = client.get(f"/security-cases/{case.pk}/").content.decode()
    assert levels["p2_response"].name in page and "0:30:00" in page and "66%" in page
    listing = client.get("/security-cases/").content.decode()
    assert levels["p2_response"].name in listing and "03 Mar 10:30" in listing  # the nearest due
    analyst = bearer(soc.analyst, soc.organisation)
    clocks = client.get(f"/api/v1/security-cases/{case.pk}", **analyst).json()["clocks"]
    assert {(c["metric"], c["percent"], c["breached"]) for c in clocks} == {
        ("response", 66, False),
        ("resolution", 8, False),
    }
    listed = client.get("/api/v1/security-cases", **analyst).json()["items"][0]["clocks"]
    assert len(listed) == 2


def test_the_case_list_reads_clocks_in_bounded_queries(soc, levels, django_assert_max_num_queries):
    for n in range(6):
        with freeze_time(T0 + timedelta(minutes=n)):
            case_from_alerts(actor=soc.actor, alerts=[soc.raise_alert(host=f"h{n}", user=f"u{n}")])
    actor = soc.actor
    list(selectors.case_list(actor=actor))  # the actor's scope is resolved once, on first use
    with django_assert_max_num_queries(2):  # the cases, then all their clocks
        nearest = [selectors.nearest_due(case) for case in selectors.case_list(actor=actor)]
    assert [c.due_at for c in nearest] == [T0 + timedelta(minutes=30 + n) for n in reversed(range(6))]


def test_another_organisations_user_sees_no_case_or_clock(client, soc, levels):
    case = _open_case(soc)
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    assert client.get(f"/security-cases/{case.pk}/").status_code == 404
    assert levels["p2_response"].name not in client.get("/security-cases/").content.decode()


def test_the_case_list_page_reads_in_the_same_queries_for_one_case_or_many(client, soc, levels):
    sign_in(client, soc.analyst, soc.organisation)
    case_from_alerts(actor=soc.actor, alerts=[soc.raise_alert(host="h-first", user="u-first")])
    client.get("/security-cases/")
    with CaptureQueriesContext(connection) as one:
        client.get("/security-cases/")
    for n in range(8):
        case_from_alerts(actor=soc.actor, alerts=[soc.raise_alert(host=f"h{n}", user=f"u{n}")])
    with CaptureQueriesContext(connection) as many:
        page = client.get("/security-cases/").content.decode()
    assert page.count(levels["p2_response"].name) == 9
    assert len(many) == len(one)
