"""sys_user and sys_user_group through the Table API: people and teams as ServiceNow shows them, written through
the organisations app's services (DELETE deactivates), and segregation of who sees and changes whom."""

import pytest

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.integration.tests.test_now_api import basic
from towers.organisations.models import ApiToken, Person, Team
from towers.organisations.tests.factories import person_with_roles
from towers.organisations.tests.test_api import bearer

pytestmark = pytest.mark.django_db
USERS, GROUPS = "/api/now/table/sys_user", "/api/now/table/sys_user_group"


@pytest.fixture
def admin(estate):
    return basic(estate.integrator_admin.username)


def rows(client, url, headers, **params):
    got = client.get(url, params, **headers)
    assert got.status_code == 200, got.content
    return got.json()["result"]


def test_a_person_reads_as_a_servicenow_user_without_secrets(client, estate, admin):
    (row,) = rows(client, USERS, admin, sysparm_query="user_name=net.admin")
    person = estate.network_admin
    assert row["sys_id"] == person.pk.hex and row["name"] == person.get_full_name()
    assert (row["user_name"], row["email"], row["active"]) == ("net.admin", person.email, "true")
    assert row["company"]["link"].endswith(f"/api/now/table/core_company/{estate.network.pk.hex}")
    assert "password" not in row
    shown = rows(client, USERS, admin, sysparm_query="user_name=net.admin", sysparm_display_value="true")[0]
    assert shown["company"] == "Network Co"


def test_a_supplier_sees_its_own_people_and_its_counterparties_not_other_suppliers(client, estate):
    network = basic(estate.network_admin.username)
    names = {r["user_name"] for r in rows(client, USERS, network)}
    assert {"net.admin", "net.resolver", "int.agent", "auth.admin"} <= names
    assert "apps.admin" not in names
    url = f"{USERS}/{estate.applications_admin.pk.hex}"
    assert client.get(url, **network).status_code == 404
    assert client.patch(url, {"title": "x"}, content_type="application/json", **network).status_code == 404
    assert client.delete(url, **network).status_code == 404
    assert Person.objects.get(pk=estate.applications_admin.pk).is_active


def test_an_administrator_adds_changes_and_deactivates_a_person_each_audited(client, estate, admin):
    made = client.post(USERS, {"user_name": "new.agent", "first_name": "Nia", "last_name": "Agent",
                               "email": "nia@integrator.test"}, content_type="application/json", **admin)  # fmt: skip
    assert made.status_code == 201, made.content
    person = Person.objects.get(username="new.agent")
    assert made.json()["result"]["company"]["value"] == estate.integrator.pk.hex
    url = f"{USERS}/{person.pk.hex}"
    changed = client.patch(url, {"title": "Desk analyst"}, content_type="application/json", **admin)
    assert changed.status_code == 200 and changed.json()["result"]["title"] == "Desk analyst"
    assert client.delete(url, **admin).status_code == 204
    person.refresh_from_db()
    assert (person.job_title, person.is_active) == ("Desk analyst", False)
    actions = set(AuditEntry.objects.filter(object_id=str(person.pk)).values_list("action", flat=True))
    assert {"person.created", "person.updated"} <= actions


def test_people_of_another_organisation_or_without_the_role_are_forbidden(client, estate):
    url = f"{USERS}/{estate.integrator_agent.pk.hex}"
    network = basic(estate.network_admin.username)  # sees the integrator's people in the directory
    got = client.patch(url, {"title": "x"}, content_type="application/json", **network)
    assert got.status_code == 403 and got.json()["error"]["message"] == "Operation Failed"
    agent = basic(estate.integrator_agent.username)  # the integrator's, but not an administrator
    assert client.delete(f"{USERS}/{estate.integrator_admin.pk.hex}", **agent).status_code == 403
    assert Person.objects.get(pk=estate.integrator_admin.pk).is_active


@pytest.mark.parametrize(
    ("body", "words"),
    [({"password": "x"}, "password: no such field"), ({"name": "X Y"}, "name: is read-only"),
     ({"active": "maybe"}, "active: 'maybe' is not true or false")],
)  # fmt: skip
def test_a_refused_user_update_names_the_field(client, estate, admin, body, words):
    got = client.patch(f"{USERS}/{estate.integrator_agent.pk.hex}", body, content_type="application/json", **admin)
    assert got.status_code == 400 and words in got.json()["error"]["detail"]


def test_teams_read_as_groups_and_segregate_like_people(client, estate, admin):
    (row,) = rows(client, GROUPS, admin, sysparm_query="name=Network operations")
    assert (row["sys_id"], row["active"]) == (estate.network_team.pk.hex, "true")
    assert row["company"]["value"] == estate.network.pk.hex
    network = basic(estate.network_admin.username)
    assert "Application support" not in {r["name"] for r in rows(client, GROUPS, network)}
    url = f"{GROUPS}/{estate.applications_team.pk.hex}"
    assert client.get(url, **network).status_code == 404
    assert client.delete(url, **network).status_code == 404
    assert Team.objects.get(pk=estate.applications_team.pk).is_active


def test_an_administrator_adds_changes_and_deactivates_a_team_each_audited(client, estate, admin):
    made = client.post(GROUPS, {"name": "Major incidents", "description": "MIM"}, content_type="application/json",
                       **admin)  # fmt: skip
    assert made.status_code == 201, made.content
    team = Team.objects.get(name="Major incidents")
    assert (team.organisation, team.code) == (estate.integrator, "integrator-major-incidents")
    url = f"{GROUPS}/{team.pk.hex}"
    assert client.put(url, {"description": "Major incident management"}, content_type="application/json",
                      **admin).status_code == 200  # fmt: skip
    assert client.delete(url, **admin).status_code == 204
    team.refresh_from_db()
    assert (team.description, team.is_active) == ("Major incident management", False)
    actions = set(AuditEntry.objects.filter(object_id=str(team.pk)).values_list("action", flat=True))
    assert actions == {"team.created", "team.updated"}


def test_another_organisations_team_cannot_be_changed(client, estate):
    network = basic(estate.network_admin.username)
    got = client.patch(f"{GROUPS}/{estate.integrator_team.pk.hex}", {"name": "x"}, content_type="application/json",
                       **network)  # fmt: skip
    assert got.status_code in (403, 404)  # visible in the directory or not: never changed
    assert Team.objects.get(pk=estate.integrator_team.pk).name == "Service desk"


def test_a_page_of_people_costs_the_same_queries_for_few_or_many(client, estate, admin, django_assert_max_num_queries):
    for n in range(15):
        person_with_roles(estate.integrator, Role.AGENT, username=f"agent.{n}")
    with django_assert_max_num_queries(10):
        got = client.get(USERS, **admin)
    assert len(got.json()["result"]) == int(got["X-Total-Count"]) > 15


def test_companies_resolve_references_read_only_and_segregated(client, estate, admin):
    link = rows(client, USERS, admin, sysparm_query="user_name=net.admin")[0]["company"]["link"]
    got = client.get(link, **admin)
    assert got.status_code == 200 and got.json()["result"]["name"] == "Network Co"
    refused = client.patch(link, {"name": "x"}, content_type="application/json", **admin)
    assert refused.status_code == 403 and client.delete(link, **admin).status_code == 403
    network = basic(estate.network_admin.username)
    assert "Apps Supplier" not in {r["name"] for r in rows(client, "/api/now/table/core_company", network)}
    assert client.get(f"/api/now/table/core_company/{estate.applications.pk.hex}", **network).status_code == 404


@pytest.mark.parametrize("table", ["sys_user", "sys_user_group", "cmdb_ci"])
def test_a_read_token_reads_but_cannot_write_any_table(client, estate, table):
    target = {"sys_user": estate.integrator_agent, "sys_user_group": estate.integrator_team,
              "cmdb_ci": ConfigurationItemFactory(owner=estate.integrator)}[table]  # fmt: skip
    url = f"/api/now/table/{table}"
    read_only = bearer(estate.integrator_admin, estate.integrator, scope=ApiToken.Scope.READ)
    assert client.get(f"{url}/{target.pk.hex}", **read_only).status_code == 200
    for got in (
        client.post(url, {"name": "x", "user_name": "x"}, content_type="application/json", **read_only),
        client.patch(f"{url}/{target.pk.hex}", {"name": "x"}, content_type="application/json", **read_only),
        client.delete(f"{url}/{target.pk.hex}", **read_only),
    ):
        assert got.status_code == 403 and "read scope" in got.json()["error"]["detail"]
    target.refresh_from_db()
    assert target.is_active if table != "cmdb_ci" else target.lifecycle == "live"
