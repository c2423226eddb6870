from datetime import timedelta

import pytest
from django.utils import timezone

from towers.organisations.selectors import scope_for
from towers.organisations.tests.factories import CommercialGrantFactory

pytestmark = pytest.mark.django_db


def test_a_supplier_is_party_only_to_its_own_records(estate):
    scope = scope_for(estate.applications)
    assert scope.operational == {estate.applications.id}
    assert scope.commercial == {estate.applications.id}
    assert scope.counterparties == {estate.authority.id, estate.integrator.id}


def test_the_integrator_sees_operations_of_its_towers_but_not_their_commercials(estate):
    scope = scope_for(estate.integrator)
    assert scope.operational == {estate.integrator.id, estate.applications.id, estate.network.id}
    assert scope.commercial == {estate.integrator.id}


def test_a_commercial_grant_from_the_authority_opens_one_suppliers_commercials_until_it_expires(estate):
    grant = CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications)
    assert estate.applications.id in scope_for(estate.integrator).commercial
    grant.expires_at = timezone.now() - timedelta(minutes=1)
    grant.save()
    assert estate.applications.id not in scope_for(estate.integrator).commercial


def test_the_authority_sees_everything(estate):
    assert scope_for(estate.authority).everything
