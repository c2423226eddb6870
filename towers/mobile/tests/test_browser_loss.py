"""A lost device's journey in a real browser: the officer reports it stolen in the portal, and the wipe task is
in the mobile supplier's queue, on its own service level, with the line-bar offered to the network operator."""

import re

import pytest

from towers.mobile.models import DeviceStatus, DeviceTask, TaskPurpose
from towers.servicedesk.models import HandOff
from towers.servicedesk.tests.test_browser_journey import browser, signed_in  # noqa: F401  (the fixture)
from towers.web.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


def test_a_device_reported_stolen_in_the_portal_reaches_the_mobile_suppliers_queue(
    live_server,
    fleet,
    lost,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    # The officer reports their phone stolen from "My devices", in three steps.
    officer = signed_in(browser, live_server, fleet.officer.username)
    officer.get_by_role("navigation", name="Main").get_by_role("link", name="My devices").click()
    row = officer.locator("tr", has_text="NP-7001")
    expect(row).to_contain_text("+447700900123")
    row.get_by_role("link", name="Report lost or stolen").click()
    officer.get_by_label("It was stolen").check()
    officer.get_by_label("Where?").fill("Queen Street, outside the station")
    officer.get_by_label("Crime reference").fill("NP/4471/26")
    officer.get_by_role("button", name="Report it").click()
    expect(officer.locator(".messages")).to_contain_text("reported stolen")
    reference = officer.locator("h1 .reference").inner_text()
    assert re.fullmatch(r"INC\d{7}", reference)

    wipe = DeviceTask.objects.select_related("ticket").get(purpose=TaskPurpose.WIPE)
    # The mobile supplier's service manager finds the wipe task in the mobile team's queue.
    supplier = signed_in(browser, live_server, fleet.manager.username)
    supplier.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    results = supplier.locator("#results")
    expect(results).to_contain_text("Remote wipe and lock: NP-7001")
    results.get_by_role("link", name=wipe.ticket.reference).click()
    expect(supplier.locator("#clocks")).to_contain_text("Wipe within one hour")
    expect(supplier.locator("body")).to_contain_text(reference)  # its parent, the incident

    lost.refresh_from_db()
    assert lost.status == DeviceStatus.STOLEN
    assert wipe.ticket.team == fleet.team and wipe.ticket.parent.reference == reference
    bar = DeviceTask.objects.get(purpose=TaskPurpose.BAR_LINE)
    assert HandOff.objects.get(ticket=bar.ticket).to_team == fleet.estate.network_team
