from datetime import timedelta

import pytest
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.selectors import ci_as_of, ci_list, visible_attributes
from towers.cmdb.services.items import ci_create, ci_update, relationship_create
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.permissions import visible_to
from towers.organisations.tests.factories import actor_of

pytestmark = pytest.mark.django_db


def test_a_ci_is_created_with_typed_attributes_and_its_identifiers(estate):
    admin = actor_of(estate.network_admin)
    ci = ci_create(
        actor=admin,
        ci_class="network_device",
        name="core-sw-01",
        owner=estate.network,
        attributes={"serial": "FDO1234", "ip_address": "10.0.0.1"},
    )
    assert set(ci.identifiers.values_list("key", "value")) == {("serial", "fdo1234"), ("ip_address", "10.0.0.1")}
    with pytest.raises(ValidationFailed, match="serial=fdo1234 is already core-sw-01"):
        ci_create(
            actor=admin, ci_class="network_device", name="dup", owner=estate.network, attributes={"serial": "FDO1234"}
        )


def test_attributes_are_checked_against_the_class(estate):
    admin = actor_of(estate.network_admin)
    with pytest.raises(ValidationFailed) as caught:
        ci_create(
            actor=admin,
            ci_class="server",
            name="x",
            owner=estate.network,
            attributes={"cpu_cores": "many", "colour": "red"},
        )
    assert set(caught.value.fields) == {"attributes.cpu_cores", "attributes.colour"}


def test_a_supplier_cannot_create_cis_for_another_organisation(estate):
    with pytest.raises(Forbidden):
        ci_create(actor=actor_of(estate.network_admin), ci_class="server", name="x", owner=estate.applications)


def test_dependent_identification_uses_the_server_an_application_runs_on(estate):
    admin = actor_of(estate.authority_admin)
    server_a = ci_create(actor=admin, ci_class="server", name="srv-a", owner=estate.integrator)
    server_b = ci_create(actor=admin, ci_class="server", name="srv-b", owner=estate.integrator)
    for server in (server_a, server_b):
        db = ci_create(actor=admin, ci_class="database", name="CRIMEDB", owner=estate.applications)
        relationship_create(actor=admin, source=db, target=server, type="runs_on")
    keys = sorted(
        v
        for db in ConfigurationItem.objects.filter(ci_class="database")
        for v in db.identifiers.values_list("value", flat=True)
    )
    assert keys == sorted([f"crimedb@{server_a.id}", f"crimedb@{server_b.id}"])


def test_a_supplier_sees_what_it_supports_and_what_that_depends_on_one_hop(estate):
    admin = actor_of(estate.authority_admin)
    dc = ci_create(actor=admin, ci_class="data_centre", name="DC1", owner=estate.integrator)
    server = ci_create(actor=admin, ci_class="server", name="srv", owner=estate.integrator)
    app = ci_create(actor=admin, ci_class="application", name="Crime", owner=estate.applications)
    relationship_create(actor=admin, source=app, target=server, type="runs_on")
    relationship_create(actor=admin, source=server, target=dc, type="hosted_in")
    visible = set(visible_to(actor_of(estate.applications_admin), ConfigurationItem.objects))
    assert visible == {app, server}
    assert not set(visible_to(actor_of(estate.network_admin), ConfigurationItem.objects))


def test_commercial_attributes_are_masked_without_commercial_sight(estate):
    admin = actor_of(estate.authority_admin)
    app = ci_create(
        actor=admin,
        ci_class="application",
        name="ERP",
        owner=estate.applications,
        attributes={"vendor": "Acme", "licence_cost": "120000"},
    )
    ci_create(actor=admin, ci_class="application", name="Other", owner=estate.integrator)
    assert visible_attributes(actor_of(estate.applications_admin), app) == {"vendor": "Acme", "licence_cost": 120000.0}
    assert visible_attributes(actor_of(estate.integrator_admin), app) == {"vendor": "Acme"}


def test_history_rebuilds_the_ci_as_it_was_on_a_date(estate):
    admin = actor_of(estate.authority_admin)
    server = ci_create(actor=admin, ci_class="server", name="srv", owner=estate.integrator, attributes={"os": "RHEL 8"})
    between = timezone.now()
    ci_update(actor=admin, ci=server, changes={"lifecycle": "maintenance"}, attributes={"os": "RHEL 9"}, source="scan")
    then = ci_as_of(actor=admin, ci=server, when=between)
    now = ci_as_of(actor=admin, ci=server, when=timezone.now())
    assert (then["attributes"], then["lifecycle"]) == ({"os": "RHEL 8"}, "live")
    assert (now["attributes"], now["lifecycle"]) == ({"os": "RHEL 9"}, "maintenance")
    assert ci_as_of(actor=admin, ci=server, when=between - timedelta(days=1)) is None
    server.refresh_from_db()
    assert server.provenance["os"]["source"] == "scan"


def test_lists_filter_on_any_attribute_and_include_subclasses(estate):
    admin = actor_of(estate.authority_admin)
    ci_create(actor=admin, ci_class="server", name="a", owner=estate.integrator, attributes={"cpu_cores": 8})
    ci_create(actor=admin, ci_class="virtual_machine", name="b", owner=estate.integrator, attributes={"cpu_cores": 8})
    ci_create(actor=admin, ci_class="server", name="c", owner=estate.integrator, attributes={"cpu_cores": 4})
    names = [ci.name for ci in ci_list(actor=admin, ci_class="server", attributes={"cpu_cores": "8"})]
    assert names == ["a", "b"]
