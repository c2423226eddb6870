"""The MDM import API: upload or JSON body, list and report; another supplier sees and runs none of it."""

from pathlib import Path

from towers.mobile.models import Device, MdmImport
from towers.organisations.tests.test_api import bearer

DATA = Path(__file__).parent / "data"


def test_an_intune_file_is_checked_by_default_and_its_report_read_back(client, estate):
    auth = bearer(estate.authority_admin, estate.authority)
    with (DATA / "intune-utf16.csv").open("rb") as upload:
        response = client.post(
            "/api/v1/mobile/imports/file", {"file": upload, "organisation": str(estate.authority.pk)}, **auth
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["dry_run"], body["source_format"], body["created"], body["rejected"]) == (True, "intune-csv", 5, 5)
    assert not Device.objects.exists()
    bad = next(row for row in body["report"] if row["line"] == 6)
    assert bad["outcome"] == "rejected" and "imei" in bad["problems"]
    listed = client.get("/api/v1/mobile/imports", **auth).json()
    assert [run["id"] for run in listed["items"]] == [body["id"]]
    assert client.get(f"/api/v1/mobile/imports/{body['id']}", **auth).json()["report"] == body["report"]


def test_a_graph_json_body_is_imported_for_real_when_asked(client, estate):
    auth = bearer(estate.authority_admin, estate.authority)
    export = (DATA / "graph.json").read_text()
    payload = f'{{"organisation": "{estate.authority.pk}", "dry_run": false, "export": {export}}}'
    response = client.post("/api/v1/mobile/imports", payload, content_type="application/json", **auth)
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 2 and Device.objects.count() == 2


def test_a_bad_mapping_is_a_422_naming_the_mapping(client, estate):
    auth = bearer(estate.authority_admin, estate.authority)
    with (DATA / "generic.csv").open("rb") as upload:
        response = client.post(
            "/api/v1/mobile/imports/file",
            {"file": upload, "organisation": str(estate.authority.pk), "mapping": '{"imei": "Nope"}'},
            **auth,
        )
    assert response.status_code == 422
    assert "mapping" in response.content.decode()


def test_another_supplier_cannot_import_into_or_read_the_authoritys_imports(client, estate):
    with (DATA / "intune.csv").open("rb") as upload:
        mine = client.post(
            "/api/v1/mobile/imports/file",
            {"file": upload, "organisation": str(estate.authority.pk)},
            **bearer(estate.authority_admin, estate.authority),
        ).json()
    auth = bearer(estate.network_admin, estate.network)
    with (DATA / "intune.csv").open("rb") as upload:
        refused = client.post(
            "/api/v1/mobile/imports/file", {"file": upload, "organisation": str(estate.authority.pk)}, **auth
        )
    assert refused.status_code in (403, 404)
    assert MdmImport.objects.count() == 1
    assert client.get(f"/api/v1/mobile/imports/{mine['id']}", **auth).status_code == 404
    assert client.get("/api/v1/mobile/imports", **auth).json()["items"] == []
