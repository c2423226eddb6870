import pytest
from django.core.exceptions import ImproperlyConfigured

from towers.core.actor import Actor, Channel, Scope
from towers.core.errors import Forbidden, NotFound
from towers.core.models import OutboxEvent
from towers.core.permissions import ensure_can, get_visible, visible_to
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.tests.factories import actor_of

pytestmark = pytest.mark.django_db


def test_a_model_without_a_policy_cannot_be_read_through_the_mechanism():
    actor = Actor(label="x", channel=Channel.WEB, scope=Scope(everything=True))
    with pytest.raises(ImproperlyConfigured, match="OutboxEvent has no visibility policy"):
        visible_to(actor, OutboxEvent.objects)


def test_a_supplier_sees_its_own_teams_and_its_counterparties_but_not_another_supplier(estate):
    network = actor_of(estate.network_admin)
    teams = set(visible_to(network, Team.objects))
    assert estate.network_team in teams and estate.applications_team not in teams
    organisations = set(visible_to(network, Organisation.objects))
    assert organisations == {estate.network, estate.integrator, estate.authority}


def test_the_integrator_sees_every_organisation_of_the_towers_it_integrates(estate):
    integrator = actor_of(estate.integrator_agent)
    assert set(visible_to(integrator, Team.objects)) == {
        estate.integrator_team,
        estate.applications_team,
        estate.network_team,
    }


def test_the_authority_and_its_auditors_see_everything(estate):
    for person in (estate.authority_admin, estate.auditor):
        assert visible_to(actor_of(person), Team.objects).count() == Team.objects.count()


def test_an_invisible_object_is_not_found_rather_than_forbidden(estate):
    with pytest.raises(NotFound):
        get_visible(actor_of(estate.network_admin), Team.objects, pk=estate.applications_team.pk)
    with pytest.raises(NotFound):
        ensure_can(actor_of(estate.network_admin), "team.update", estate.applications_team)


def test_auditors_cannot_write_even_what_they_see(estate):
    with pytest.raises(Forbidden, match="read-only"):
        ensure_can(actor_of(estate.auditor), "team.update", estate.network_team)


def test_writing_needs_a_role_that_the_action_allows(estate):
    with pytest.raises(Forbidden, match="Administrator"):
        ensure_can(actor_of(estate.network_resolver), "team.create", estate.network)
    ensure_can(actor_of(estate.network_admin), "team.create", estate.network)


def test_an_administrator_manages_only_their_own_organisation(estate):
    # The integrator sees the network team, but administering it is the network company's business.
    with pytest.raises(Forbidden, match="your own organisation"):
        ensure_can(actor_of(estate.integrator_admin), "team.update", estate.network_team)
    ensure_can(actor_of(estate.authority_admin), "team.update", estate.network_team)


def test_people_are_visible_through_any_visible_membership_without_duplicates(estate):
    visible = list(visible_to(actor_of(estate.network_admin), Person.objects))
    assert len(visible) == len(set(visible))
    assert estate.integrator_agent in visible and estate.applications_admin not in visible


def test_a_person_in_several_organisations_acts_for_the_one_they_choose(estate):
    estate.applications_admin.memberships.create(organisation=estate.network, role="resolver")
    as_apps = actor_of(estate.applications_admin, estate.applications)
    as_network = actor_of(estate.applications_admin, estate.network)
    assert as_apps.roles == {"administrator"} and as_network.roles == {"resolver"}
    assert estate.applications_team in visible_to(as_apps, Team.objects)
    assert estate.applications_team not in visible_to(as_network, Team.objects)


def test_permitted_answers_for_many_targets_in_one_query(estate, django_assert_max_num_queries):
    from towers.core.permissions import permitted

    for person, expected in [
        (estate.network_admin, {estate.network}),
        (estate.authority_admin, set(Organisation.objects.all())),
        (estate.network_resolver, set()),
        (estate.auditor, set()),
    ]:
        actor = actor_of(person)
        with django_assert_max_num_queries(1):
            assert set(permitted(actor, "team.create", Organisation.objects)) == expected
