"""Test data for the SOC: the integrator's SOC with an analyst, a rule, a supported asset, and events about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.actor import Actor
from towers.core.roles import Role
from towers.organisations.models import Organisation, Person
from towers.organisations.tests.factories import TeamMembershipFactory, actor_of, person_with_roles
from towers.servicedesk.tests.factories import Desk
from towers.soc.models import Alert, DetectionRule, SecurityCase
from towers.soc.services.alerts import alert_raise
from towers.soc.services.cases import case_from_alerts

SHA256 = "a" * 64
MD5 = "b" * 32


def detection_rule(organisation: Organisation, **kwargs: Any) -> DetectionRule:
    fields: dict[str, Any] = {
        "rule_id": f"rule-{DetectionRule.objects.count() + 1}",
        "title": "Suspicious PowerShell download cradle",
        "level": "high",
        "tags": ["attack.execution", "attack.t1059.001", "attack.defense_evasion"],
    }
    return DetectionRule.objects.create(organisation=organisation, **(fields | kwargs))


def sysmon_event(host: str = "ws-0042.force.local", user: str = "FORCE\\jbloggs", **extra: Any) -> dict[str, Any]:
    return {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "Computer": host,
        "User": user,
        "UtcTime": "2026-03-02 09:58:00.000",
        "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "Hashes": f"MD5={MD5.upper()},SHA256={SHA256.upper()},IMPHASH={'c' * 32}",
    } | extra


@dataclass
class Soc:
    desk: Desk
    organisation: Organisation
    analyst: Person
    rule: DetectionRule
    asset: ConfigurationItem

    @property
    def actor(self) -> Actor:
        return actor_of(self.analyst, self.organisation)

    def raise_alert(self, now: datetime | None = None, **event: Any) -> Alert:
        alert = alert_raise(actor=Actor.system("detection"), rule=self.rule, events=[sysmon_event(**event)], now=now)
        assert alert is not None
        return alert

    def case(self, **event: Any) -> SecurityCase:
        return case_from_alerts(actor=self.actor, alerts=[self.raise_alert(**event)])


def build_soc(desk: Desk, organisation: Organisation | None = None) -> Soc:
    estate = desk.estate
    organisation = organisation or estate.integrator
    analyst = person_with_roles(organisation, Role.SOC_ANALYST, username=f"soc.{organisation.code}")
    TeamMembershipFactory(team=estate.integrator_team, person=analyst)
    asset = ConfigurationItemFactory(
        name="WS-0042",
        owner=estate.applications,
        support_team=estate.applications_team,
        service=desk.service,
        criticality=2,
    )
    return Soc(desk=desk, organisation=organisation, analyst=analyst, rule=detection_rule(organisation), asset=asset)


def foreign_soc_object(estate: Any, kind: str) -> Any:
    """An object of a SOC run by the applications supplier (for the segregation walkers)."""
    from towers.servicedesk.tests.factories import foreign_ticket

    foreign_ticket(estate)  # the desk settings a hand-off would need
    rule = detection_rule(estate.applications, rule_id=f"apps-{kind}")
    if kind == "rule":
        return rule
    alert = alert_raise(actor=Actor.system("tests"), rule=rule, events=[sysmon_event(host=f"apps-{kind}")])
    if kind == "alert":
        return alert
    return case_from_alerts(actor=Actor.system("tests"), alerts=[alert])
