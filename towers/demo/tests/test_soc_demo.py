from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from towers.core.actor import Actor, Channel
from towers.core.models import AuditEntry
from towers.demo import estate
from towers.demo.servicedesk import configure_desk
from towers.demo.soc import C2_DOMAIN, C2_IP, RULES, SOC, SocSeed, seed_soc
from towers.organisations.models import Organisation, Person
from towers.organisations.selectors import actor_for
from towers.servicedesk.selectors import ticket_get
from towers.soc.models import Alert, AlertStatus, CaseStatus, DetectionRule, Indicator, SecurityCase
from towers.soc.selectors_intel import indicator_list

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[SocSeed | None]:
    """The estate, the desk's configuration and the SOC demo, built once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        sizes = dict(estate.SIZES)
        estate.SIZES["small"] = 30
        try:
            estate.seed("small")
            configure_desk(Actor.system("demo"))
            yield seed_soc("small")
        finally:
            estate.SIZES.update(sizes)
            transaction.set_rollback(True)


@pytest.fixture
def soc_demo(seeded_once, db):
    return seeded_once


def test_the_rules_feed_and_events_went_through_the_services_and_were_audited(soc_demo):
    result = soc_demo
    assert result is not None and result.rules == len(RULES) == 12 and result.events > 300
    soc = Organisation.objects.get(code=SOC)
    custom = DetectionRule.objects.filter(organisation=soc).exclude(custom_text="")
    assert custom.count() == 12 and all(any(t.startswith("attack.t") for t in r.tags) for r in custom)
    assert AuditEntry.objects.filter(action="soc.rule.created").count() == 12
    assert AuditEntry.objects.get(action="soc.indicators.imported").after["created"] == 6
    assert AuditEntry.objects.filter(action="soc.events.accepted").count() >= 3
    assert AuditEntry.objects.filter(action="soc.alert.raised").count() == Alert.objects.count()


def test_alerts_of_every_severity_and_status_enriched_from_the_cmdb(soc_demo):
    statuses = set(Alert.objects.values_list("status", flat=True))
    assert {AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.SUPPRESSED, AlertStatus.CLOSED} <= statuses
    assert Alert.objects.filter(status=AlertStatus.SUPPRESSED).count() == 1
    assert {"low", "medium", "high", "critical"} <= set(Alert.objects.values_list("severity", flat=True))
    assert Alert.objects.filter(ci__isnull=False).count() == Alert.objects.count()
    assert AuditEntry.objects.filter(action="soc.alert.suppressed").exists()


def test_the_feed_matches_events_so_indicators_have_hits(soc_demo):
    analyst = Person.objects.get(username="soc.analyst")
    actor = actor_for(analyst, organisation=Organisation.objects.get(code=SOC), channel=Channel.WEB)
    hits = {i.value: i.hits for i in indicator_list(actor=actor)}
    assert hits[C2_IP] >= 2 and hits[C2_DOMAIN] >= 1 and Indicator.objects.count() == 6
    intel = Alert.objects.filter(rule__rule_id="towers-intel-match")
    assert {a.host.split(".")[0] for a in intel} >= {"lt-0003", "crimedb"}


def test_four_worked_cases_one_handed_off_to_the_supplier_owning_the_asset(soc_demo):
    result = soc_demo
    cases = SecurityCase.objects.all()
    assert cases.count() == 4 and all(c.notes.exists() and c.observables.exists() for c in cases)
    assert cases.filter(tasks__isnull=False).distinct().count() == 3
    assert {c.status for c in cases} >= {CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}
    handed = cases.get(incident__isnull=False)
    assert handed.incident.reference == result.incident and handed.ci.name == "CRIMEDB"
    assert handed.incident.team.organisation.code == "apex"
    apex = Person.objects.filter(memberships__organisation__code="apex").first()
    apex_actor = actor_for(apex, organisation=Organisation.objects.get(code="apex"), channel=Channel.WEB)
    assert ticket_get(actor=apex_actor, reference=handed.incident.reference).pk == handed.incident_id
    analyst = Person.objects.get(username="soc.analyst")
    assert AuditEntry.objects.get(action="soc.case.handed_off").person_id == analyst.pk


def test_seeding_again_changes_nothing(soc_demo):
    alerts, entries = Alert.objects.count(), AuditEntry.objects.count()
    assert seed_soc("small") is None
    assert (Alert.objects.count(), AuditEntry.objects.count()) == (alerts, entries)
