"""cmdb_ci and its class tables through the Table API: classes, columns, display values, writes through the CMDB's
services (DELETE retires), and segregation: a supplier reaches only the CIs it owns or supports."""

import pytest

from towers.cmdb.models import ConfigurationItem, Lifecycle
from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.models import AuditEntry
from towers.integration.tests.test_now_api import basic

pytestmark = pytest.mark.django_db
URL = "/api/now/table/"


@pytest.fixture
def cis(estate):
    return {
        "server": ConfigurationItemFactory(
            ci_class="server", name="srv-crime-01", owner=estate.integrator, support_team=estate.integrator_team,
            attributes={"serial": "SN-001", "fqdn": "srv-crime-01.police.uk", "cpu_cores": 8},
        ),
        "vm": ConfigurationItemFactory(ci_class="virtual_machine", name="vm-crime-02", owner=estate.integrator),
        "app": ConfigurationItemFactory(
            ci_class="application", name="Crime system", owner=estate.applications,
            attributes={"vendor": "Niche", "licence_cost": 120000},
        ),
        "switch": ConfigurationItemFactory(
            ci_class="network_device", name="sw-core-01", owner=estate.network, attributes={"ip_address": "10.0.0.1"}
        ),
    }  # fmt: skip


@pytest.fixture
def agent(estate):
    return basic(estate.integrator_agent.username)


def rows(client, table, headers, **params):
    got = client.get(URL + table, params, **headers)
    assert got.status_code == 200, got.content
    return got.json()["result"]


def test_cmdb_ci_lists_every_class_and_names_each_ones_class(client, cis, agent):
    found = {r["name"]: r["sys_class_name"] for r in rows(client, "cmdb_ci", agent)}
    assert found == {
        "srv-crime-01": "cmdb_ci_server",
        "vm-crime-02": "cmdb_ci_vm_instance",
        "Crime system": "cmdb_ci_appl",
        "sw-core-01": "cmdb_ci_netgear",
    }


def test_a_class_table_lists_its_class_and_those_below_it_with_its_columns(client, cis, agent):
    servers = {r["name"]: r for r in rows(client, "cmdb_ci_server", agent)}
    assert set(servers) == {"srv-crime-01", "vm-crime-02"}
    server = servers["srv-crime-01"]
    assert (server["serial_number"], server["fqdn"], server["cpu_count"]) == ("SN-001", "srv-crime-01.police.uk", "8")
    assert server["sys_id"] == cis["server"].pk.hex and len(server["sys_id"]) == 32
    assert server["install_status"] == "1" and server["operational_status"] == "1"
    assert server["company"]["link"].endswith(f"/api/now/table/core_company/{cis['server'].owner_id.hex}")
    assert [r["name"] for r in rows(client, "cmdb_ci_netgear", agent)] == ["sw-core-01"]


def test_commercial_attributes_are_not_served(client, cis, estate):
    (app,) = rows(client, "cmdb_ci_appl", basic(estate.authority_admin.username))
    assert app["vendor"] == "Niche" and "licence_cost" not in app


def test_display_values_and_queries_on_class_columns(client, cis, agent):
    (server,) = rows(client, "cmdb_ci_server", agent, sysparm_query="serial_number=sn-001", sysparm_display_value="all")
    assert server["install_status"] == {"display_value": "Installed", "value": "1"}
    assert server["company"]["display_value"] == "Integrator"
    shown = rows(client, "cmdb_ci", agent, sysparm_query="nameSTARTSWITHsrv^ORnameSTARTSWITHsw^ORDERBYDESCname",
                 sysparm_display_value="true", sysparm_fields="name,support_group")  # fmt: skip
    assert shown == [
        {"name": "sw-core-01", "support_group": ""},
        {"name": "srv-crime-01", "support_group": "Service desk"},
    ]
    bad = client.get(URL + "cmdb_ci_server", {"sysparm_query": "cpu_count>many"}, **agent)
    assert bad.status_code == 400 and "not a whole number" in bad.json()["error"]["detail"]


def test_a_ci_is_created_in_the_tables_class_with_its_attributes_and_audited(client, estate, agent):
    body = {"name": "srv-new-01", "serial_number": "SN-NEW", "fqdn": "srv-new-01.police.uk", "busines_criticality": "2"}
    got = client.post(URL + "cmdb_ci_server", body, content_type="application/json", **agent)
    assert got.status_code == 201, got.content
    made = ConfigurationItem.objects.get(pk=got.json()["result"]["sys_id"])
    assert (made.ci_class, made.owner, made.criticality) == ("server", estate.integrator, 2)
    assert made.attributes == {"serial": "SN-NEW", "fqdn": "srv-new-01.police.uk"}
    assert got["Location"].endswith(f"/api/now/table/cmdb_ci_server/{made.pk.hex}")
    entry = AuditEntry.objects.get(object_id=str(made.pk), action="ci.created")
    assert entry.person_id == estate.integrator_agent.pk and entry.channel == "api"


def test_cmdb_ci_creates_any_class_named_by_sys_class_name_but_a_class_table_only_its_own(client, agent):
    body = {"name": "sw-edge-09", "sys_class_name": "cmdb_ci_netgear"}
    made = client.post(URL + "cmdb_ci", body, content_type="application/json", **agent)
    assert made.status_code == 201 and made.json()["result"]["sys_class_name"] == "cmdb_ci_netgear"
    wrong = client.post(URL + "cmdb_ci_server", body, content_type="application/json", **agent)
    assert wrong.status_code == 400 and "sys_class_name: must be cmdb_ci_server" in wrong.json()["error"]["detail"]


def test_an_update_changes_fields_and_attributes_through_the_service(client, cis, agent):
    url = f"{URL}cmdb_ci_server/{cis['server'].pk.hex}"
    got = client.patch(url, {"fqdn": "crime-01.police.uk", "install_status": "3", "serial_number": ""},
                       content_type="application/json", **agent)  # fmt: skip
    assert got.status_code == 200, got.content
    ci = ConfigurationItem.objects.get(pk=cis["server"].pk)
    assert ci.lifecycle == Lifecycle.MAINTENANCE and ci.attributes == {"fqdn": "crime-01.police.uk", "cpu_cores": 8}
    assert AuditEntry.objects.filter(object_id=str(ci.pk), action="ci.updated").exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"sys_class_name": "cmdb_ci_netgear"}, "sys_class_name: is read-only here"),
        ({"company": "x"}, "company: is read-only here"),
        ({"colour": "red"}, "colour: no such field"),
        ({"cpu_count": "lots"}, "is not a int"),
        ({"install_status": "9"}, "install_status: must be one of"),
    ],
)
def test_a_refused_ci_update_names_the_field(client, cis, agent, body, words):
    got = client.put(f"{URL}cmdb_ci_server/{cis['server'].pk.hex}", body, content_type="application/json", **agent)
    assert got.status_code == 400 and words in got.json()["error"]["detail"]


def test_delete_retires_the_ci_and_keeps_it(client, cis, agent):
    url = f"{URL}cmdb_ci/{cis['server'].pk.hex}"
    assert client.delete(url, **agent).status_code == 204
    assert ConfigurationItem.objects.get(pk=cis["server"].pk).lifecycle == Lifecycle.RETIRED
    assert client.get(url, **agent).json()["result"]["install_status"] == "7"
    assert AuditEntry.objects.filter(object_id=str(cis["server"].pk), action="ci.updated").exists()


def test_writing_another_organisations_ci_is_forbidden(client, cis, agent):
    got = client.patch(f"{URL}cmdb_ci/{cis['app'].pk.hex}", {"name": "x"}, content_type="application/json", **agent)
    assert got.status_code == 403 and got.json()["status"] == "failure"
    assert client.delete(f"{URL}cmdb_ci/{cis['app'].pk.hex}", **agent).status_code == 403
    assert ConfigurationItem.objects.get(pk=cis["app"].pk).lifecycle == Lifecycle.LIVE


def test_a_supplier_reaches_only_its_own_cis(client, cis, estate):
    network = basic(estate.network_admin.username)
    assert [r["name"] for r in rows(client, "cmdb_ci", network)] == ["sw-core-01"]
    assert rows(client, "cmdb_ci_appl", network) == []
    url = f"{URL}cmdb_ci/{cis['app'].pk.hex}"
    assert client.get(url, **network).status_code == 404
    assert client.patch(url, {"name": "x"}, content_type="application/json", **network).status_code == 404
    assert client.delete(url, **network).status_code == 404
    body = {"name": "sw-x", "company": estate.applications.pk.hex}
    got = client.post(URL + "cmdb_ci_netgear", body, content_type="application/json", **network)
    assert got.status_code == 400 and "company: no record" in got.json()["error"]["detail"]
    assert ConfigurationItem.objects.get(pk=cis["app"].pk).name == "Crime system"


def test_a_page_of_cis_costs_the_same_queries_for_few_or_many(client, estate, agent, django_assert_max_num_queries):
    for _ in range(15):
        ConfigurationItemFactory(owner=estate.integrator, support_team=estate.integrator_team)
    with django_assert_max_num_queries(9):  # 7 to sign in, the page, the count
        got = client.get(URL + "cmdb_ci", **agent)
    assert got["X-Total-Count"] == "15" and len(got.json()["result"]) == 15
