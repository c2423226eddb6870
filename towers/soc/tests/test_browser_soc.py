"""A security case's whole journey in a real browser, through the real pages and sign-in, across two organisations.

The integrator's SOC analyst writes a Sigma rule in the editor; events matching it arrive; the analyst opens a
case from the alert queue, works it and hands it off to the asset's supplier; the supplier's resolver finds the
incident but cannot see the security case.
"""

import re
from datetime import UTC, datetime

import pytest

from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.servicedesk.models import Ticket
from towers.servicedesk.tests.test_browser_journey import browser, signed_in  # noqa: F401 (the fixture)
from towers.soc.intake.event import Event
from towers.soc.models import Alert, DetectionRule, SecurityCase
from towers.soc.services import intake
from towers.soc.tests.factories import sysmon_event
from towers.web.tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

RULE_ID = "3f1d9c2e-5b7a-4e8d-9c61-0a2b4c6d8e10"
MIMIKATZ_RULE = f"""title: Mimikatz on the command line
id: {RULE_ID}
status: experimental
level: high
tags:
  - attack.credential_access
  - attack.t1003.001
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: mimikatz
  condition: selection
"""
COMMAND_LINE = 'mimikatz.exe "privilege::debug" "sekurlsa::logonpasswords" exit'


@pytest.fixture
def in_process(monkeypatch):
    """No stream, nothing attached: intake detects in this process with the SOC's live rules (made afresh)."""
    monkeypatch.setattr(intake, "_default", None)
    monkeypatch.setattr(intake, "_local_detector", None)
    monkeypatch.setattr(intake, "stream_settings", lambda: None)


def _events_arrive(soc, host: str) -> None:
    now = datetime.now(UTC)
    events = [
        Event(
            sysmon_event(host=host, CommandLine=COMMAND_LINE, ProcessId=4100 + i, UtcTime=f"2026-03-02 09:58:0{i}.000"),
            "http",
            now,
            f"sysmon-{i}",
        )
        for i in range(2)
    ]
    result = intake.events_accept(
        actor=Actor.system("tests"), events=events, quarantined=[], organisation=soc.organisation
    )
    assert (result.accepted, result.quarantined) == (2, 0), result.reasons


def test_a_custom_rule_raises_an_alert_that_becomes_a_case_handed_off_to_the_assets_supplier(
    live_server,
    soc,
    in_process,
    browser,  # noqa: F811 (the imported fixture)
):
    from playwright.sync_api import expect

    # The analyst writes the rule, validates it and saves it.
    analyst = signed_in(browser, live_server, soc.analyst.username)
    analyst.goto(live_server.url + "/detection-rules/new/")
    expect(analyst.get_by_role("heading", name="Write a rule")).to_be_visible()
    analyst.get_by_label("Rule (Sigma YAML)").fill(MIMIKATZ_RULE)
    analyst.get_by_role("button", name="Validate").click()
    expect(analyst.locator(".rule-valid")).to_contain_text("The rule is valid: Mimikatz on the command line")
    expect(analyst.locator(".rule-valid")).to_contain_text("high")
    analyst.get_by_role("button", name="Save").click()
    expect(analyst.locator(".messages")).to_contain_text("Mimikatz on the command line saved.")
    expect(analyst.get_by_role("heading", name="Mimikatz on the command line", level=1)).to_be_visible()
    rule = DetectionRule.objects.get(organisation=soc.organisation, rule_id=RULE_ID)
    assert re.search(rf"/detection-rules/{rule.pk}/$", analyst.url)
    expect(analyst.locator("dl.facts")).to_contain_text("attack.t1003.001")
    expect(analyst.locator("dl.facts")).to_contain_text("Written in Towers")

    # Two Sysmon process creations running mimikatz arrive for the asset's host.
    _events_arrive(soc, host=f"{soc.asset.name.lower()}.force.local")

    # The analyst sees one alert counting both, and opens a security case from it.
    analyst.goto(live_server.url + "/alerts/")
    row = analyst.locator("#results tbody tr", has_text="Mimikatz on the command line")
    expect(row).to_have_count(1)
    expect(row.locator("td.number")).to_have_text("2")
    expect(row).to_contain_text("T1003.001")
    expect(row).to_contain_text(soc.asset.name)
    row.get_by_label("Select Mimikatz on the command line").check()
    analyst.get_by_label("Case title").fill("Credential dumping on WS-0042")
    analyst.get_by_role("button", name="Open a case").click()
    expect(analyst.locator(".messages")).to_contain_text("was opened")
    reference = analyst.locator("h1 .reference").inner_text()
    case = SecurityCase.objects.get(reference=reference)
    expect(analyst.locator("h1")).to_contain_text("Credential dumping on WS-0042")

    # A note, a task done, then the hand-off to the asset's supplier (no team: the asset's support team).
    notes = analyst.locator("section[aria-labelledby=notes-head]")
    notes.get_by_label("Body").fill("lsass read by mimikatz; isolate the workstation.")
    notes.get_by_role("button", name="Add note").click()
    expect(analyst.locator(".messages")).to_contain_text(f"{reference}: notes saved.")
    expect(notes.locator("blockquote.note")).to_contain_text("isolate the workstation")

    tasks = analyst.locator("section[aria-labelledby=tasks-head]")
    tasks.get_by_label("Title").fill("Reset the passwords of accounts logged on to WS-0042")
    tasks.get_by_role("button", name="Add task").click()
    expect(analyst.locator(".messages")).to_contain_text(f"{reference}: tasks saved.")
    task = tasks.locator("li.task", has_text="Reset the passwords")
    task.get_by_role("button", name="Mark done").click()
    expect(analyst.locator(".messages")).to_contain_text("saved.")
    expect(tasks.locator("li.task.done", has_text="Reset the passwords")).to_be_visible()

    linked = analyst.locator("section[aria-labelledby=incident-head]")
    expect(linked.get_by_label("Team")).to_have_value("")
    linked.get_by_label("Note").fill("Please reimage WS-0042 after isolation.")
    linked.get_by_role("button", name="Hand off to the asset's supplier").click()
    expect(analyst.locator(".messages")).to_contain_text(f"{reference}: hand off saved.")
    expect(linked.locator(".incident .reference")).to_have_text(re.compile(r"INC\d{7}"))
    incident_reference = linked.locator(".incident .reference").inner_text()
    expect(linked.locator(".incident")).to_contain_text(soc.desk.apps_team.name)

    # The supplier's resolver finds the incident but may not see the security case.
    resolver = signed_in(browser, live_server, soc.desk.apps_resolver.username)
    resolver.get_by_role("navigation", name="Main").get_by_role("link", name="Queues").click()
    expect(resolver.locator("#results")).to_contain_text(incident_reference)
    resolver.get_by_role("link", name=incident_reference).click()
    expect(resolver.locator("h1 .reference")).to_have_text(incident_reference)
    expect(resolver.locator("h1")).to_contain_text(reference)
    response = resolver.goto(f"{live_server.url}/security-cases/{case.pk}/")
    assert response is not None and response.status == 404
    expect(resolver.locator("body")).not_to_contain_text("isolate the workstation")

    # What the pages did is what was stored, and audited.
    alert = Alert.objects.get()
    assert alert.rule == rule and alert.count == 2 and alert.case == case and alert.ci == soc.asset
    case.refresh_from_db()
    assert case.ci == soc.asset
    assert [n.body for n in case.notes.all()] == ["lsass read by mimikatz; isolate the workstation."]
    assert [(t.title, t.done) for t in case.tasks.all()] == [
        ("Reset the passwords of accounts logged on to WS-0042", True)
    ]
    incident = Ticket.objects.get(reference=incident_reference)
    assert case.incident == incident and incident.team == soc.desk.apps_team
    audited = AuditEntry.objects.filter
    assert audited(action="soc.rule.created", object_id=str(rule.pk)).count() == 1
    assert audited(action="soc.case.handed_off", object_id=str(case.pk)).count() == 1
