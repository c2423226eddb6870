import pytest

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services.items import ci_create, relationship_create
from towers.organisations.tests.factories import actor_of
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db


def _estate_cis(estate):
    admin = actor_of(estate.authority_admin)
    server = ci_create(
        actor=admin,
        ci_class="server",
        name="srv-01",
        owner=estate.integrator,
        attributes={"fqdn": "srv-01.force.local", "cpu_cores": 16},
    )
    app = ci_create(
        actor=admin,
        ci_class="application",
        name="Crime records",
        owner=estate.applications,
        attributes={"vendor": "Acme", "licence_cost": 90000},
    )
    relationship_create(actor=admin, source=app, target=server, type="runs_on")
    return server, app


def test_cis_are_listed_with_attribute_filters_and_commercial_attributes_masked(client, estate):
    _server, app = _estate_cis(estate)
    integrator = bearer(estate.integrator_admin, estate.integrator)
    body = client.get("/api/v1/configuration-items?attr.fqdn=srv-01.force.local", **integrator).json()
    assert [ci["name"] for ci in body["items"]] == ["srv-01"]
    app_json = client.get(f"/api/v1/configuration-items/{app.id}", **integrator).json()
    assert app_json["attributes"] == {"vendor": "Acme"}  # no commercial sight of Apex
    apex = bearer(estate.applications_admin, estate.applications)
    assert client.get(f"/api/v1/configuration-items/{app.id}", **apex).json()["attributes"]["licence_cost"] == 90000


def test_a_ci_is_created_and_patched_with_if_match(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    created = client.post(
        "/api/v1/configuration-items",
        data={
            "ci_class": "network_device",
            "name": "core-sw-02",
            "owner": str(estate.network.id),
            "attributes": {"serial": "FDO999", "ip_address": "10.1.1.1"},
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/configuration-items/{created.json()['id']}"
    etag = client.get(url, **auth)["ETag"]
    ok = client.patch(
        url, data={"attributes": {"model": "C9500"}}, content_type="application/json", HTTP_IF_MATCH=etag, **auth
    )
    assert ok.status_code == 200 and ok.json()["attributes"]["model"] == "C9500"
    stale = client.patch(
        url, data={"lifecycle": "retired"}, content_type="application/json", HTTP_IF_MATCH=etag, **auth
    )
    assert stale.status_code == 412
    bad = client.patch(url, data={"attributes": {"bandwidth": "x"}}, content_type="application/json", **auth)
    assert bad.status_code == 422 and "attributes.bandwidth" in bad.json()["error"]["fields"]


def test_relationships_both_ways_and_history(client, estate):
    server, app = _estate_cis(estate)
    auth = bearer(estate.authority_admin, estate.authority)
    rels = client.get(f"/api/v1/configuration-items/{server.id}/relationships", **auth).json()
    assert [(r["type"], r["source"]["name"]) for r in rels["incoming"]] == [("runs_on", "Crime records")]
    history = client.get(f"/api/v1/configuration-items/{app.id}/history", **auth).json()["items"]
    assert [h["action"] for h in history] == ["ci.related", "ci.created"]


def test_the_class_catalogue_describes_attributes_and_identification(client, estate):
    classes = {
        c["name"]: c for c in client.get("/api/v1/cmdb/classes", **bearer(estate.auditor, estate.authority)).json()
    }
    assert "serial" in classes["server"]["identification"]
    assert "name@runs_on" in classes["database"]["identification"]
    assert {"name": "licence_cost", "type": "float", "commercial": True} in classes["application"]["attributes"]
    assert ConfigurationItem.objects.count() == 0


def test_history_and_filters_do_not_leak_masked_commercial_values(client, estate):
    _server, app = _estate_cis(estate)
    integrator = bearer(estate.integrator_admin, estate.integrator)
    history = client.get(f"/api/v1/configuration-items/{app.id}/history", **integrator).json()["items"]
    assert "licence_cost" not in str(history) and "90000" not in str(history)
    assert "Acme" in str(history)
    found = client.get("/api/v1/configuration-items?ci_class=application&attr.licence_cost=90000", **integrator)
    assert found.json()["count"] == 0
    apex = bearer(estate.applications_admin, estate.applications)
    found = client.get("/api/v1/configuration-items?ci_class=application&attr.licence_cost=90000", **apex)
    assert found.json()["count"] == 1


@pytest.mark.parametrize("count", [10, 60])
def test_the_ci_list_costs_the_same_queries_whatever_its_length(client, estate, count, django_assert_max_num_queries):
    from towers.cmdb.tests.factories import ConfigurationItemFactory

    team = estate.integrator_team
    for n in range(count):
        ConfigurationItemFactory(
            owner=estate.integrator, support_team=team, name=f"vm-{n:03d}", ci_class="virtual_machine"
        )
    auth = bearer(estate.integrator_admin, estate.integrator)
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/configuration-items?ci_class=server&limit=50", **auth).json()
    assert len(body["items"]) == min(count, 50) and body["count"] == count
