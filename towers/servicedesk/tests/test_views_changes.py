from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.servicedesk.models import Approval, Ticket
from towers.servicedesk.services.change_approvals import change_submit_for_approval
from towers.servicedesk.services.changes import change_assess_risk
from towers.servicedesk.services.problems import problem_create, problem_link_incidents, problem_mark_known_error
from towers.servicedesk.tests.factories_changes import FreezeWindowFactory, build_cab, normal_change, tomorrow
from towers.servicedesk.views.change_calendar import grid_bounds

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def queries_for(client, url):
    client.get(url)  # warm: sessions and the like are read once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_change_list_shows_stage_window_and_caused_incidents_in_a_constant_number_of_queries(
    client, desk, django_assert_num_queries
):
    sign_in(client, desk.agent, desk.estate.integrator)
    change = normal_change(desk, title="Patch the crime database")
    html = page(client, "/changes/")
    assert change.reference in html and "Patch the crime database" in html and "Draft" in html
    expected = queries_for(client, "/changes/")
    for hour in range(8):
        normal_change(desk, start=tomorrow(hour), cis=[ConfigurationItemFactory(owner=desk.estate.integrator)])
    with django_assert_num_queries(expected):
        client.get("/changes/")
    assert page(client, "/changes/?stage=draft").count("<tr>") == 10  # header and nine changes
    assert change.reference not in page(client, "/changes/?stage=scheduled")


def test_a_change_is_raised_from_the_form_with_cis_named_exactly(client, desk):
    sign_in(client, desk.agent, desk.estate.integrator)
    ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-db-01")
    start = tomorrow()
    form = {
        "change_type": "normal",
        "title": "Rebuild indexes",
        "service": str(desk.service.id),
        "cis": "crime-db-01\nno-such-ci",
        "impact": "2",
        "urgency": "3",
        "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "implementation_plan": "Rebuild online.",
        "backout_plan": "Nothing to undo.",
    }
    refused = client.post("/changes/new/", form)
    assert refused.status_code == 200 and "no-such-ci: no such CI" in refused.content.decode()
    created = client.post("/changes/new/", form | {"cis": "crime-db-01"})
    assert created.status_code == 302
    change = Ticket.objects.get(kind="change", title="Rebuild indexes")
    assert created["Location"] == f"/changes/{change.pk}/"
    assert [ci.name for ci in change.cis.all()] == ["crime-db-01"]
    # The window was entered in the desk's time (Europe/London) and is stored in UTC.
    assert change.change_detail.planned_start == timezone.make_aware(start.replace(tzinfo=None))


def test_each_step_posts_runs_its_service_and_refusals_show_on_the_page(client, desk):
    cab = build_cab(desk)
    sign_in(client, desk.agent, desk.estate.integrator)
    change = normal_change(desk)
    url = f"/changes/{change.pk}/"
    refused = client.post(f"{url}submit/")
    assert refused.status_code == 200 and "assess the risk first" in refused.content.decode()
    assert client.post(f"{url}risk/", {"backout_tested": "on", "done_before": "on"}).status_code == 302
    assert AuditEntry.objects.filter(object_id=str(change.pk), action="change.risk_assessed").exists()
    assert client.post(f"{url}submit/").status_code == 302
    html = page(client, url)
    assert "Awaiting approval" in html and "Your approval is asked" not in html
    approval = Approval.objects.get(ticket=change, approver=cab.manager)

    sign_in(client, cab.manager, desk.estate.integrator)
    assert "Your approval is asked" in page(client, url) and change.reference in page(client, "/changes/")
    assert client.post(f"/approvals/{approval.pk}/decide/", {"decision": "reject"}).status_code == 200  # no reason
    assert client.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"}).status_code == 302
    approval.refresh_from_db()
    assert approval.status == "approved"
    lead = Approval.objects.get(ticket=change, approver=cab.lead_one)
    assert client.post(f"/approvals/{lead.pk}/decide/", {"decision": "approve"}).status_code == 403  # not theirs

    sign_in(client, desk.agent, desk.estate.integrator)
    assert client.post(f"/approvals/{lead.pk}/decide/", {"decision": "approve"}).status_code == 403


def test_the_change_page_shows_conflicts_with_the_other_change_named(client, desk):
    sign_in(client, desk.agent, desk.estate.integrator)
    db = ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-db")
    first = normal_change(desk, cis=[db])
    second = normal_change(desk, cis=[db], title="Index rebuild", start=tomorrow(11))
    html = page(client, f"/changes/{first.pk}/")
    assert "Same configuration item" in html and second.reference in html and "crime-db" in html


def test_the_calendar_grid_marks_conflicting_changes_and_freezes_in_constant_queries(
    client, desk, django_assert_num_queries
):
    sign_in(client, desk.agent, desk.estate.integrator)
    start = tomorrow()
    db = ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-db")
    first = normal_change(desk, cis=[db], start=start)
    normal_change(desk, cis=[db], start=start + timedelta(hours=1))
    # Covering the first changes too, so that the freeze's services are read on every load (not only on some).
    FreezeWindowFactory(name="Budget freeze", starts_at=start, ends_at=start + timedelta(days=4))
    url = f"/change-calendar/?date={start:%Y-%m-%d}"
    html = page(client, url)
    assert 'class="conflict"' in html and first.reference in html and "Freeze: Budget freeze" in html
    assert "Conflicts in this period" in html and "Same service" in html
    week = page(client, f"{url}&view=week")
    assert first.reference in week and "Week of" in week
    expected = queries_for(client, url)
    for day in range(1, 12):
        normal_change(
            desk, start=start + timedelta(days=day), cis=[ConfigurationItemFactory(owner=desk.estate.integrator)]
        )
    with django_assert_num_queries(expected):
        client.get(url)


@pytest.mark.parametrize(
    ("view", "anchor", "first", "last"),
    [
        # March 2026 starts on a Sunday: the grid starts on Monday 23 February and ends before Monday 6 April.
        ("month", "2026-03-15", "2026-02-23", "2026-04-06"),
        # June 2026 starts on a Monday and ends on a Tuesday.
        ("month", "2026-06-30", "2026-06-01", "2026-07-06"),
        ("week", "2026-03-15", "2026-03-09", "2026-03-16"),
    ],
)
def test_calendar_grids_run_monday_to_sunday(view, anchor, first, last):
    from datetime import date

    got = grid_bounds(view, date.fromisoformat(anchor))
    assert (got[0].isoformat(), got[1].isoformat()) == (first, last)


def test_problem_pages_raise_from_an_incident_publish_a_known_error_and_find_it(client, desk):
    sign_in(client, desk.agent, desk.estate.integrator)
    incident = desk.raise_incident(title="VPN token expired")
    form = {"title": "VPN tokens expire", "incident": incident.reference.lower(), "impact": "2", "urgency": "2"}
    created = client.post("/problems/new/", form)
    assert created.status_code == 302, created.content[:400]
    problem = Ticket.objects.get(kind="problem")
    url = f"/problems/{problem.pk}/"
    assert incident.reference in page(client, url)
    refused = client.post(f"{url}known-error/", {"workaround": "Re-enrol", "symptoms": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert (
        client.post(f"{url}known-error/", {"workaround": "Re-enrol the token", "symptoms": "token"}).status_code == 302
    )
    assert "Re-enrol the token" in page(client, "/known-errors/?search=token")
    assert "Re-enrol the token" not in page(client, "/known-errors/?search=printer")
    assert client.post(f"{url}incidents/", {"incidents": "INC9999999"}).status_code == 200  # no such incident
    assert client.post(f"/problems/{problem.pk}/incidents/{incident.pk}/unlink/").status_code == 302
    incident.refresh_from_db()
    assert incident.problem is None
    assert AuditEntry.objects.filter(object_id=str(incident.pk), action="incident.problem_unlinked").exists()
    assert problem.reference in page(client, "/problems/?known=1")


def test_another_supplier_gets_404_on_every_change_and_problem_page_and_writes_nothing(client, desk):
    change = normal_change(desk)
    change_assess_risk(
        actor=desk.actor(desk.agent), change=change, outage_required=False, backout_tested=True, done_before=True
    )
    approval = change_submit_for_approval(
        actor=desk.actor(desk.agent), change=change, approvers=[desk.estate.integrator_admin]
    )[0]
    problem = problem_create(actor=desk.actor(desk.agent), title="Desk-only", team=desk.estate.integrator_team)
    incident = desk.raise_incident()
    problem_link_incidents(actor=desk.actor(desk.agent), problem=problem, incidents=[incident])
    problem_mark_known_error(actor=desk.actor(desk.agent), problem=problem, workaround="w", symptoms="s")
    sign_in(client, desk.estate.network_resolver, desk.estate.network)
    before = AuditEntry.objects.count()
    for url in (f"/changes/{change.pk}/", f"/problems/{problem.pk}/", f"/changes/{change.pk}/edit/"):
        assert client.get(url).status_code == 404
    for url in (
        f"/changes/{change.pk}/cancel/",
        f"/approvals/{approval.pk}/decide/",
        f"/problems/{problem.pk}/resolve/",
        f"/problems/{problem.pk}/incidents/{incident.pk}/unlink/",
    ):
        assert client.post(url, {"reason": "x", "decision": "approve", "resolution_code": "fixed"}).status_code == 404
    assert change.reference not in page(client, "/changes/") and change.reference not in page(
        client, "/change-calendar/"
    )
    assert problem.reference not in page(client, "/problems/") + page(client, "/known-errors/")
    assert AuditEntry.objects.count() == before


def test_requesters_do_not_reach_change_and_problem_pages(client, desk):
    sign_in(client, desk.requester, desk.estate.authority)
    for url in ("/changes/", "/change-calendar/", "/problems/", "/known-errors/", "/changes/new/"):
        assert client.get(url).status_code == 404


def test_a_change_runs_to_closure_through_its_page(client, desk):
    cab = build_cab(desk)
    change = normal_change(desk)
    change_assess_risk(
        actor=desk.actor(desk.agent), change=change, outage_required=False, backout_tested=True, done_before=True
    )
    for approval in change_submit_for_approval(actor=desk.actor(desk.agent), change=change)[:2]:
        sign_in(client, approval.approver, desk.estate.integrator)
        client.post(f"/approvals/{approval.pk}/decide/", {"decision": "approve"})
    sign_in(client, desk.agent, desk.estate.integrator)
    url = f"/changes/{change.pk}/"
    early = client.post(f"{url}implement/")
    assert early.status_code == 200 and "the approved window opens at" in early.content.decode()
    with freeze_time(change.change_detail.planned_start + timedelta(minutes=1)):
        assert client.post(f"{url}implement/").status_code == 302
        assert client.post(f"{url}complete/", {"outcome": "failed"}).status_code == 200  # says what happened
        assert client.post(f"{url}complete/", {"outcome": "failed", "notes": "Disk full"}).status_code == 302
        assert client.post(f"{url}close/").status_code == 200  # a failed change is reviewed first
        assert client.post(f"{url}review/", {"notes": "Check disk space first"}).status_code == 403  # agents do not
    sign_in(client, cab.manager, desk.estate.integrator)
    assert client.post(f"{url}review/", {"notes": "Check disk space first"}).status_code == 302
    assert "Closed" in page(client, url) and "Check disk space first" in page(client, url)
