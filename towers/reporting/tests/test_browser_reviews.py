"""The service review's drill-down in a real browser, through the real pages and sign-in.

The authority's administrator opens March 2026's dashboard, follows the applications supplier's breaches to the
clocks behind them and on to the breached ticket, then follows the supplier's pack's "Hand-offs rejected" to the
hand-off it rejected. The applications supplier's resolver may not open the network's clocks.

The month's tickets are made under freezegun by the `march` fixture, before any page is asked for; the pages take
the month from their URL, so nothing is frozen while the live server answers.
"""

import re

import pytest

from towers.servicedesk.models import HandOff
from towers.servicedesk.tests.test_browser_journey import browser, signed_in  # noqa: F401 (the fixture)
from towers.web.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

QUICK = 5_000  # ms for a click or a page (expect() waits 5 s too): the pages are small, a failure shows fast


def test_a_suppliers_breaches_open_their_clocks_and_ticket_and_its_rejected_hand_off(
    live_server,
    march,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    estate = march.desk.estate

    # The dashboard: the applications supplier's row, its breaches figure.
    admin = signed_in(browser, live_server, estate.authority_admin.username)
    admin.context.set_default_timeout(QUICK)
    admin.goto(f"{live_server.url}/reviews/dashboard/?month=2026-03")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("March 2026")
    row = admin.get_by_role("row").filter(has=admin.get_by_role("rowheader", name="Apps Supplier", exact=True))
    expect(row).to_have_count(1)
    breaches = row.get_by_title("Breaches", exact=True)
    expect(breaches).to_have_text(re.compile(r"^[1-9]\d*$"))  # t2's resolution breach at least
    figure = int(breaches.inner_text())
    breaches.click()

    # The clocks behind it: only breached ones, the ticket among them, and the counts line.
    expect(admin).to_have_url(f"{live_server.url}/reviews/2026-03/clocks/?supplier=apps&breached=on")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Service level clocks: Apps Supplier, March 2026")
    # The figure counts exactly the clocks listed, every one of them breached.
    expect(admin.locator("p.figures")).to_have_text(f"{figure} measured · 0 met · {figure} breached")
    rows = admin.locator("table tbody tr")
    expect(rows).to_have_count(figure)
    expect(rows.locator(".badge.breached")).to_have_count(figure)
    expect(rows.locator(".badge.breached").first).to_have_text("Breached")
    t2_row = rows.filter(has_text=march.t2.reference).first  # resolved after 10 h against 8 h
    expect(t2_row).to_contain_text("Crime system errors")
    expect(t2_row).to_contain_text("Breached")

    # The ticket reference opens the ticket.
    t2_row.get_by_role("link", name=march.t2.reference).click()
    expect(admin).to_have_url(f"{live_server.url}/tickets/{march.t2.reference}/")
    expect(admin.locator("h1 .reference")).to_have_text(march.t2.reference)
    expect(admin.locator("h1")).to_contain_text("Crime system errors")

    # The supplier's pack: its "Hand-offs rejected" figure opens the hand-off the supplier rejected on t3.
    admin.goto(f"{live_server.url}/reviews/2026-03/apps/")
    rejected = admin.locator("a.figure", has_text="Hand-offs rejected")
    expect(rejected).to_have_count(1)
    expect(rejected.locator(".figure-value")).to_have_text("1")
    rejected.click()
    expect(admin).to_have_url(re.compile(r"/reviews/2026-03/handoffs/\?(?=.*supplier=apps)(?=.*status=rejected)"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("Hand-offs: Apps Supplier, March 2026")
    listed = admin.locator("table tbody tr")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(march.t3.reference)
    expect(listed).to_contain_text("Rejected: This is the network")
    expect(listed).to_contain_text("Application support (Apps Supplier)")
    assert HandOff.objects.filter(ticket=march.t3, status=HandOff.Status.REJECTED).count() == 1

    # The applications supplier's resolver may not open the network's clocks: a 404, and none of them shown.
    resolver = signed_in(browser, live_server, march.desk.apps_resolver.username)
    resolver.context.set_default_timeout(QUICK)
    response = resolver.goto(f"{live_server.url}/reviews/2026-03/clocks/?supplier=network")
    assert response is not None and response.status == 404
    expect(resolver.locator("body")).not_to_contain_text("Service level clocks")
    expect(resolver.locator("body")).not_to_contain_text(march.t5.reference)
    expect(resolver.locator("body")).not_to_contain_text("Network Co")
