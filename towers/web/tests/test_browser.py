"""The UI in a real browser: system Chromium driven by Playwright against a live server."""

from pathlib import Path

import pytest
from django.db import connections

from towers.core.roles import Role
from towers.organisations.models import Team
from towers.organisations.tests.factories import PASSWORD, MembershipFactory, PersonFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB")
        context.set_default_timeout(10_000)
        yield context.new_page()
        browser.close()
        # Inside Playwright's event loop Django keeps its connections per async context, so the test's
        # queries used a connection of their own: close it here, or PostgreSQL cannot drop the test database.
        connections.close_all()


def test_an_administrator_creates_a_team_sees_its_history_and_switches_organisation(live_server, estate, page):
    from playwright.sync_api import expect

    person = PersonFactory(username="two.hats", first_name="Robin", last_name="Hatt")
    MembershipFactory(person=person, organisation=estate.integrator, role=Role.ADMINISTRATOR)
    MembershipFactory(person=person, organisation=estate.network, role=Role.RESOLVER)

    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Log in to Towers")).to_be_visible()
    page.get_by_label("Username").fill("two.hats")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Integrator")
    expect(page.locator(".topbar")).to_contain_text("Robin Hatt")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    page.get_by_role("link", name="New team").click()
    expect(page.get_by_label("Organisation")).to_have_value(str(estate.integrator.id))
    page.get_by_label("Code").fill("int-noc")
    page.get_by_label("Name").fill("Network operations centre")
    page.get_by_role("button", name="Create team").click()

    expect(page.locator(".messages")).to_contain_text("The team Network operations centre was created.")
    assert Team.objects.get(code="int-noc").organisation == estate.integrator

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    expect(page.locator("#results")).to_contain_text("Network operations centre")
    page.get_by_label("Search").fill("centre")  # HTMX refreshes the results as one types
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page).to_have_url(live_server.url + "/teams/?search=centre&organisation=")
    page.get_by_role("link", name="Network operations centre").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Network operations centre")
    history = page.locator("#history")
    expect(history).to_contain_text("team.created")  # loaded by HTMX after the page
    expect(history).to_contain_text("two.hats")
    expect(history.locator("table.changes")).to_contain_text("int-noc")

    page.get_by_label("Acting for").select_option(label="Network Co")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator(".messages")).to_contain_text("You are now acting for Network Co.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Network Co")
    # A resolver there: no imports, no audit log.
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Imports")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit")).to_have_count(0)
    expect(nav.get_by_role("link", name="Teams")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Towers")).to_be_visible()
