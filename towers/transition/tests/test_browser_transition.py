"""A supplier transition through its pages in a real browser, through the real sign-in.

The integrator's administrator opens a transition from the list, dry-runs it, reads the report (the open ticket
handed to the incoming team, the queue re-pointed, no problems), ticks the confirmation and applies it, then finds
the ticket held by the incoming supplier's team. The outgoing supplier reads the transition but has no buttons
and may not run it; a supplier it does not name cannot open it at all.

Two journeys pin what once failed: the Apply button's confirmation (shadowed by the checkbox named "confirm"),
and the dry run of a ticket that reached the outgoing supplier after the effective date (handed over before its
own hand-off event, its timeline was empty).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from towers.contracts.tests.factories import ServiceFactory, ServiceLevelFactory
from towers.core.actor import Actor
from towers.organisations.models import Team
from towers.servicedesk.models import AssignmentRule
from towers.servicedesk.services.tickets import ticket_create
from towers.servicedesk.tests.test_browser_journey import browser, signed_in  # noqa: F401 (the fixture)
from towers.transition.models import Transition, TransitionStep
from towers.transition.tests.factories import crime_transition, desk_for_transition, incoming_supplier
from towers.web.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

QUICK = 5_000  # ms for a click or a page (expect() waits 5 s too): the pages are small, a failure shows fast


def _plan(estate, *, ticket_after_the_date: bool, another_service: bool = False):
    """The Crime system moving from the applications supplier to Next Apps, with one open ticket in the
    applications team's queue and one assignment rule pointing at that team. The transition is effective as it is
    made, just after the ticket was raised, or (`ticket_after_the_date`) a minute before it: either way, past by the
    time the pages are opened. With `another_service`, the supplier also runs a service that stays with it, under
    an OLA of its own."""
    desk = desk_for_transition(estate)
    incoming = incoming_supplier(estate)
    if another_service:
        kept = ServiceFactory(owner=estate.applications, code="intel", name="Intelligence system")
        ServiceLevelFactory(
            kind="ola",
            metric="response",
            priority="",
            target=timedelta(hours=1),
            service=kept,
            calendar=desk.ola_apps.calendar,
            provider=estate.applications,
            customer=estate.integrator,
            pause_states=[],
        )
    ticket = ticket_create(
        actor=Actor.system("tests"),
        title="Crime system is slow",
        service=desk.service,
        team=desk.apps_team,
        impact=2,
        urgency=2,
    )
    AssignmentRule.objects.create(name="Crime to apps", service=desk.service, team=desk.apps_team)
    effective = timezone.now() - (timedelta(minutes=1) if ticket_after_the_date else timedelta(0))
    return crime_transition(desk, incoming, effective), ticket


@pytest.fixture
def planned(estate):
    return _plan(estate, ticket_after_the_date=False)


def test_the_integrator_dry_runs_and_applies_a_transition_and_the_ticket_moves_to_the_incoming_team(
    live_server,
    estate,
    planned,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    transition, ticket = planned
    url = f"{live_server.url}/transitions/{transition.pk}/"

    # The integrator's administrator finds it in the list and opens it: planned, no dry run yet.
    admin = signed_in(browser, live_server, estate.integrator_admin.username)
    admin.context.set_default_timeout(QUICK)
    admin.goto(f"{live_server.url}/transitions/")
    row = admin.get_by_role("row").filter(has_text="Crime system to Next Apps")
    expect(row).to_contain_text("Apps Supplier")
    expect(row).to_contain_text("Next Apps Ltd")
    expect(row).to_contain_text("Planned")
    row.get_by_role("link", name="Crime system to Next Apps").click()
    expect(admin).to_have_url(url)
    expect(admin.get_by_role("heading", level=1)).to_have_text("Crime system to Next Apps")
    report = admin.locator("section[aria-labelledby=report-heading]")
    expect(report).to_contain_text("No dry run yet.")
    expect(report.get_by_role("button", name="Apply")).to_have_count(0)  # nothing to apply before a dry run

    # The dry run: a report of what would move, and no problems.
    report.get_by_role("button", name="Dry run").click()
    expect(admin.locator(".messages")).to_contain_text("Dry run done: 0 problem(s); nothing was changed.")
    expect(admin).to_have_url(url)
    expect(report.get_by_role("heading", name="Problems")).to_have_count(0)
    steps = report.locator("tbody tr")
    rehomed = steps.filter(has_text="Open tickets handed to the incoming team")
    expect(rehomed.locator("td.number")).to_have_text("1")
    expect(rehomed).to_contain_text(ticket.reference)
    repointed = steps.filter(has_text="Queues (assignment rules) re-pointed")
    expect(repointed.locator("td.number")).to_have_text("1")
    expect(repointed).to_contain_text("Crime to apps")
    assert Transition.objects.get(pk=transition.pk).status == "dry_run"
    ticket.refresh_from_db()
    assert ticket.team.organisation == estate.applications  # a dry run changes nothing

    # Apply: the box must be ticked (the browser's confirmation is accepted).
    admin.on("dialog", lambda dialog: dialog.accept())
    report.get_by_label("I have read the dry-run report").check()
    report.get_by_role("button", name="Apply", exact=True).click()
    expect(admin.locator(".messages")).to_contain_text("Applied:")
    expect(admin.locator(".page-head .badge")).to_have_text("Applied")
    expect(admin.locator("dl.details")).to_contain_text("by int.admin")
    applied = admin.locator("section[aria-labelledby=steps-heading]")
    expect(applied.get_by_role("heading", name="What apply did")).to_be_visible()
    expect(applied.locator("tbody tr", has_text="ticket_rehomed")).to_contain_text(ticket.reference)
    expect(report.get_by_role("button")).to_have_count(0)  # an applied transition offers nothing more to run

    # The ticket is now held by the incoming supplier's team.
    admin.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    expect(admin.locator("h1 .reference")).to_have_text(ticket.reference)
    expect(admin.locator("#ticket-holder")).to_contain_text("Next application support")
    expect(admin.locator("#ticket-holder")).to_contain_text("Next Apps Ltd")

    stored = Transition.objects.get(pk=transition.pk)
    assert stored.status == "applied" and stored.applied_by == "int.admin"
    assert TransitionStep.objects.filter(transition=stored, kind="ticket_rehomed").count() == 1
    ticket.refresh_from_db()
    assert ticket.team == Team.objects.get(code="next-support")
    assert AssignmentRule.objects.get(name="Crime to apps").team == ticket.team


def test_the_outgoing_supplier_reads_it_without_buttons_and_another_supplier_cannot_open_it(
    live_server,
    estate,
    planned,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    transition, _ = planned
    url = f"{live_server.url}/transitions/{transition.pk}/"

    # The applications supplier is the outgoing one: it reads the transition (the policy: the suppliers a
    # transition names read it), but is offered no button and a dry run it posts anyway is refused.
    outgoing = signed_in(browser, live_server, estate.applications_admin.username)
    outgoing.context.set_default_timeout(QUICK)
    response = outgoing.goto(url)
    assert response is not None and response.status == 200
    expect(outgoing.get_by_role("heading", level=1)).to_have_text("Crime system to Next Apps")
    expect(outgoing.locator("main").get_by_role("button")).to_have_count(0)
    csrf = next(c["value"] for c in outgoing.context.cookies() if c["name"] == "csrftoken")
    posted = outgoing.request.post(f"{url}dry-run/", headers={"X-CSRFToken": csrf}, max_redirects=0)
    assert posted.status == 403

    # The network supplier is not named: the page is a 404 and says nothing of the transition.
    other = signed_in(browser, live_server, estate.network_admin.username)
    other.context.set_default_timeout(QUICK)
    response = other.goto(url)
    assert response is not None and response.status == 404
    expect(other.locator("body")).not_to_contain_text("Crime system to Next Apps")
    other.goto(f"{live_server.url}/transitions/")
    expect(other.locator("tbody")).to_contain_text("No transitions you may see.")

    assert Transition.objects.get(pk=transition.pk).status == "planned"


def test_apply_asks_for_confirmation_and_nothing_moves_when_it_is_cancelled(
    live_server,
    estate,
    planned,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    transition, ticket = planned
    admin = signed_in(browser, live_server, estate.integrator_admin.username)
    admin.context.set_default_timeout(QUICK)
    admin.goto(f"{live_server.url}/transitions/{transition.pk}/")
    admin.get_by_role("button", name="Dry run").click()
    expect(admin.locator(".messages")).to_contain_text("Dry run done: 0 problem(s); nothing was changed.")
    asked, errors = [], []
    admin.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    admin.on("pageerror", lambda error: errors.append(str(error)))
    admin.get_by_label("I have read the dry-run report").check()
    admin.get_by_role("button", name="Apply", exact=True).click()
    admin.wait_for_load_state("networkidle")  # a form that did submit has been answered before the checks
    assert errors == [], errors
    assert len(asked) == 1 and "move to Next Apps Ltd" in asked[0], asked
    expect(admin.locator(".page-head .badge")).to_have_text("Dry-run done")
    assert Transition.objects.get(pk=transition.pk).status == "dry_run"
    ticket.refresh_from_db()
    assert ticket.team.organisation == estate.applications


def test_a_ticket_raised_after_the_effective_date_is_handed_over_as_of_its_arrival(
    live_server,
    estate,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    transition, ticket = _plan(estate, ticket_after_the_date=True, another_service=True)
    admin = signed_in(browser, live_server, estate.integrator_admin.username)
    admin.context.set_default_timeout(QUICK)
    admin.goto(f"{live_server.url}/transitions/{transition.pk}/")
    with admin.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/dry-run/")) as posted:
        admin.get_by_role("button", name="Dry run").click()
    assert posted.value.status == 302, f"the dry run answered {posted.value.status}"
    expect(admin.locator(".messages")).to_contain_text("Dry run done: 0 problem(s); nothing was changed.")
    report = admin.locator("section[aria-labelledby=report-heading]")
    rehomed = report.locator("tbody tr", has_text="Open tickets handed to the incoming team")
    expect(rehomed).to_contain_text(ticket.reference)
    expect(report).to_contain_text(f"{ticket.reference} reached Apps Supplier on")
    expect(report).to_contain_text("after the effective date: handed over as of then")
