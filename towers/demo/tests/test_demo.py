from decimal import Decimal

import pytest
from django.core.management import call_command

from towers.cmdb.models import ConfigurationItem, Relationship
from towers.contracts.models import Contract
from towers.core import audit
from towers.core.permissions import visible_to
from towers.organisations.models import Organisation, OrganisationKind, Person, Team
from towers.organisations.tests.factories import actor_of
from towers.sla.models import CreditRun, DeliveryAssessment, ServiceLevelResult

pytestmark = pytest.mark.django_db


def test_the_small_demo_builds_a_segregated_estate_with_contracts_once(capsys):
    call_command("demo", "--size", "small")
    output = capsys.readouterr().out
    assert "sd.agent" in output and "towers-demo" in output
    assert Organisation.objects.filter(kind=OrganisationKind.AUTHORITY).count() == 1
    assert Person.objects.filter(username__regex=r"^np[0-9]{6}$").count() == 200
    assert audit.verify().ok

    apex_resolver = Person.objects.get(username="apps.resolver")
    assert apex_resolver.check_password("towers-demo")
    apex_teams = set(visible_to(actor_of(apex_resolver), Team.objects).values_list("organisation__code", flat=True))
    # Its own teams and those of its counterparties (the force, the integrator); no other supplier's.
    assert apex_teams == {"apex", "meridian", "northshire-police"}
    bridge = Person.objects.get(username="jo.bridge")
    assert set(bridge.memberships.values_list("organisation__code", flat=True)) == {"meridian", "airwave-mobile"}

    # Two tower contracts (CCS and MSC), six months of results, credits and delivery verdicts.
    assert set(Contract.objects.values_list("credit_regime", flat=True)) == {"ccs", "msc"}
    assert ServiceLevelResult.objects.filter(source="computed").count() >= 6 * 7
    assert CreditRun.objects.filter(is_current=True).count() == 12
    assert DeliveryAssessment.objects.filter(is_current=True).count() == 12
    assert CreditRun.objects.filter(total__gt=Decimal(0)).exists()
    # The integrator sees the applications supplier's contract through the demo's commercial grant only.
    integrator = actor_of(Person.objects.get(username="int.admin"))
    assert set(visible_to(integrator, Contract.objects).values_list("reference", flat=True)) == {
        "MER-INFRA-2025",
        "APX-APPS-2025",
    }
    assert set(visible_to(actor_of(apex_resolver), Contract.objects).values_list("reference", flat=True)) == {
        "APX-APPS-2025"
    }

    # A CMDB: two data centres down to police stations, with history for every CI.
    assert ConfigurationItem.objects.filter(ci_class="data_centre").count() == 2
    assert ConfigurationItem.objects.count() > 100 and Relationship.objects.count() > 120
    crime = ConfigurationItem.objects.get(name="Crime records")
    assert crime.outgoing.filter(type="depends_on", target__ci_class="database").exists()

    people = Person.objects.count()
    call_command("demo")
    assert Person.objects.count() == people
    assert "already there" in capsys.readouterr().out
