"""One incident's whole journey in a real browser, through the real pages and sign-in, across three organisations.

A requester raises it in the portal; the integrator's agent triages it and hands it to the applications
supplier's team; their resolver accepts and resolves it; the requester sees it resolved.
"""

import re

import pytest
from django.db import connections

from towers.organisations.tests.factories import PASSWORD
from towers.servicedesk.models import HandOff, State, Ticket
from towers.web.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Django kept a connection per async context inside Playwright's loop: close it so PostgreSQL can
        # drop the test database.
        connections.close_all()


def signed_in(browser, live_server, username):
    """A browser session of its own for `username`, signed in through the log-in page."""
    from playwright.sync_api import expect

    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def test_an_incident_goes_from_the_portal_through_a_supplier_and_back_resolved(
    live_server, desk, browser, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = str(tmp_path)

    # The requester raises an incident in the portal.
    officer = signed_in(browser, live_server, desk.requester.username)
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="My tickets").click()
    officer.get_by_role("link", name="Report a fault", exact=True).click()
    officer.get_by_label("What is wrong?").fill("Crime records will not open")
    officer.get_by_label("Tell us more").fill("Error 500 when opening any record since 09:00.")
    officer.get_by_label("Which service? (if you know)").select_option(label="Crime system")
    officer.get_by_label("I cannot work at all").check()
    officer.get_by_label("My team or several people").check()
    officer.get_by_role("button", name="Send").click()
    expect(officer.locator(".messages")).to_contain_text("was raised")
    reference = officer.locator("h1 .reference").inner_text()
    assert re.fullmatch(r"INC\d{7}", reference)
    expect(officer.locator("#ticket-state")).to_have_text("Assigned")

    # The integrator's agent finds it in the desk's queue, starts work and hands it to the supplier.
    agent = signed_in(browser, live_server, desk.agent.username)
    agent.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    expect(agent.locator("#results")).to_contain_text("Crime records will not open")
    agent.get_by_role("link", name=reference).click()
    expect(agent.locator("#ticket-priority")).to_have_text("P2")
    agent.get_by_role("button", name="Start work").click()
    expect(agent.locator("#ticket-state")).to_have_text("In progress")
    hand_off = agent.locator("#hand-off-form")
    hand_off.get_by_label("Team").select_option(label="Application support (Apps Supplier)")
    hand_off.get_by_label("Why them?").fill("The crime application returns 500s: an application fault.")
    hand_off.get_by_role("button", name="Hand off").click()
    expect(agent.locator(".messages")).to_contain_text("handed off to Application support")
    expect(agent.locator("#ticket-holder")).to_contain_text("Apps Supplier")
    ticket = Ticket.objects.get(reference=reference)
    assert ticket.handoffs.get().status == HandOff.Status.PENDING and ticket.crossed_suppliers

    # The supplier's resolver accepts it from their hand-offs and resolves it.
    resolver = signed_in(browser, live_server, desk.apps_resolver.username)
    resolver.get_by_role("navigation", name="Main").get_by_role("link", name="Hand-offs").click()
    expect(resolver.locator("table.handoffs")).to_contain_text("an application fault")
    resolver.get_by_role("button", name=f"Accept {reference}").click()
    expect(resolver.locator(".messages")).to_contain_text(f"You accepted {reference}")
    expect(resolver.locator("#ticket-state")).to_have_text("In progress")
    resolver.locator("#actions summary", has_text="Resolve").click()
    resolver.get_by_label("Resolution code").select_option("fixed")
    resolver.get_by_label("What was done").fill("Restarted the records service after a failed deployment.")
    resolver.get_by_role("button", name="Resolve", exact=True).click()
    expect(resolver.locator("#ticket-state")).to_have_text("Resolved")
    expect(resolver.locator("#clocks")).to_contain_text("Apps Supplier")

    # The requester sees it resolved, with what was done.
    officer.get_by_role("link", name="My tickets").first.click()
    row = officer.locator("table.portal-tickets tr", has_text=reference)
    expect(row).to_contain_text("Resolved")
    row.get_by_role("link", name=reference).click()
    expect(officer.locator("#ticket-state")).to_have_text("Resolved")
    expect(officer.locator("#resolved")).to_contain_text("Restarted the records service")
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED and ticket.resolution_code == "fixed"
    assert ticket.team == desk.apps_team and ticket.assignee == desk.apps_resolver
