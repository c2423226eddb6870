import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import path
from ninja import NinjaAPI

from towers.cmdb.api_import import router
from towers.cmdb.models import ConfigurationItem, Relationship
from towers.cmdb.tests.factories import DataSourceFactory
from towers.core.api import install_error_handlers
from towers.core.models import AuditEntry
from towers.organisations.auth import SessionActorAuth, TokenAuth
from towers.organisations.tests.test_api import bearer

# The router mounted on its own API, authenticated and with errors handled as /api/v1 does, so these tests
# hold whether or not towers/api.py has mounted it yet.
api = NinjaAPI(auth=[TokenAuth(), SessionActorAuth()], urls_namespace="cmdb-import-test")
install_error_handlers(api)
api.add_router("", router)
urlpatterns = [path("api/v1/", api.urls)]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SERVER = {"class": "server", "native_key": "vm-1", "name": "srv-1", "owner": "integrator", "attributes": {"os": "RHEL"}}
CSV = """class,native_key,name,owner,attr.fqdn,rel.runs_on
server,h1,host-1,integrator,h1.force,
application,a1,Crime,integrator,,h1
server,h2,host-2,nobody,h2.force,
"""


@pytest.fixture
def discovery(estate):
    return DataSourceFactory(code="discovery", organisation=estate.integrator)


@pytest.fixture
def auth(estate):
    return bearer(estate.integrator_admin, estate.integrator)


def test_a_json_import_is_a_dry_run_unless_asked_otherwise(client, discovery, auth):
    body = {"source": "discovery", "items": [SERVER]}
    dry = client.post("/api/v1/cmdb/import", body, content_type="application/json", **auth).json()
    assert (dry["dry_run"], dry["totals"]["created"], dry["items"][0]["outcome"]) == (True, 1, "created")
    assert not ConfigurationItem.objects.exists()
    real = client.post("/api/v1/cmdb/import", {**body, "dry_run": False}, content_type="application/json", **auth)
    assert real.status_code == 200
    ci = ConfigurationItem.objects.get()
    assert real.json()["items"][0]["ci"] == str(ci.pk)
    entry = AuditEntry.objects.get(action="ci.created")
    assert (entry.channel, entry.after["source"]) == ("import", "discovery")


def test_a_csv_file_is_imported_with_its_relationships_and_rejected_rows_by_line(client, discovery, auth):
    upload = SimpleUploadedFile("cis.csv", CSV.encode(), content_type="text/csv")
    response = client.post("/api/v1/cmdb/import/csv?source=discovery&dry_run=false", {"file": upload}, **auth)
    report = response.json()
    assert [(i["line"], i["outcome"]) for i in report["items"]] == [(2, "created"), (3, "created"), (4, "rejected")]
    assert report["items"][2]["problems"] == {"owner": ["no organisation has the code 'nobody'"]}
    assert Relationship.objects.get().target.attributes == {"fqdn": "h1.force"}


def test_a_csv_file_with_unknown_columns_is_refused_naming_them(client, discovery, auth):
    upload = SimpleUploadedFile("cis.csv", b"class,name,colour\nserver,x,red\n", content_type="text/csv")
    response = client.post("/api/v1/cmdb/import/csv?source=discovery", {"file": upload}, **auth)
    assert response.status_code == 422
    assert "colour" in response.json()["error"]["fields"]["columns"][0]


def test_more_than_500_items_are_refused_with_a_clear_message(client, discovery, auth):
    items = [{**SERVER, "native_key": f"k{n}"} for n in range(501)]
    body = {"source": "discovery", "dry_run": False, "items": items}
    response = client.post("/api/v1/cmdb/import", body, content_type="application/json", **auth)
    assert response.status_code == 422
    assert "at most 500 items" in response.json()["error"]["fields"]["items"][0]
    assert not ConfigurationItem.objects.exists()


def test_a_supplier_cannot_import_into_another_organisations_source(client, estate, discovery):
    DataSourceFactory(code="apps-register", organisation=estate.applications)
    attacker = bearer(estate.network_admin, estate.network)
    for source in ("discovery", "apps-register"):  # the integrator's is in its directory, the other supplier's not
        body = {"source": source, "dry_run": False, "items": [{**SERVER, "owner": "network"}]}
        response = client.post("/api/v1/cmdb/import", body, content_type="application/json", **attacker)
        assert response.status_code in {403, 404}, source
        upload = SimpleUploadedFile("cis.csv", CSV.encode(), content_type="text/csv")
        response = client.post(f"/api/v1/cmdb/import/csv?source={source}&dry_run=false", {"file": upload}, **attacker)
        assert response.status_code in {403, 404}, source
    assert not ConfigurationItem.objects.exists()


def test_sources_are_listed_as_the_directory_allows(client, estate, discovery):
    DataSourceFactory(code="net-scan", organisation=estate.network)
    DataSourceFactory(code="apps-register", organisation=estate.applications)
    body = client.get("/api/v1/cmdb/sources", **bearer(estate.network_admin, estate.network)).json()
    assert sorted(s["code"] for s in body["items"]) == ["discovery", "net-scan"]
    assert {s["organisation"]["name"] for s in body["items"]} == {"Integrator", "Network Co"}
