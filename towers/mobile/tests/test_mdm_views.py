"""The MDM import pages: upload (a dry run by default), the list of runs, one run's report; segregated."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from towers.mobile.models import Device, MdmImport
from towers.organisations.tests.factories import sign_in

DATA = Path(__file__).parent / "data"


def upload(name="intune.csv", **fields):
    return {"file": SimpleUploadedFile(name, (DATA / name).read_bytes()), "source_format": "", "mapping": "", **fields}


def test_an_upload_is_checked_and_its_report_shown_row_by_row(client, estate):
    sign_in(client, estate.authority_admin, estate.authority)
    form = client.get("/mobile/imports/")
    assert form.status_code == 200 and b"Dry run" in form.content
    response = client.post("/mobile/imports/", upload(organisation=str(estate.authority.pk), dry_run="on"), follow=True)
    run = MdmImport.objects.get()
    assert response.redirect_chain[-1][0] == f"/mobile/imports/{run.pk}/"
    page = response.content.decode()
    assert "nothing has changed" in page and "check digit is wrong" in page
    assert not Device.objects.exists()
    rejected = client.get(f"/mobile/imports/{run.pk}/?outcome=rejected").content.decode()
    assert "Bad-IMEI" in rejected and "PC1001-iPhone" not in rejected
    assert "export.csv" not in client.get("/mobile/imports/").content.decode()
    assert "intune.csv" in client.get("/mobile/imports/").content.decode()


def test_an_unchecked_box_imports_for_real(client, estate):
    sign_in(client, estate.authority_admin, estate.authority)
    client.post("/mobile/imports/", upload(organisation=str(estate.authority.pk)))
    assert Device.objects.count() == 5


def test_a_bad_mapping_is_shown_on_the_form(client, estate):
    sign_in(client, estate.authority_admin, estate.authority)
    response = client.post(
        "/mobile/imports/", upload("generic.csv", organisation=str(estate.authority.pk), mapping="{not json")
    )
    assert response.status_code == 200 and "is not JSON" in response.content.decode()
    response = client.post("/mobile/imports/", upload("generic.csv", organisation=str(estate.authority.pk)))
    assert "needs a mapping" in response.content.decode()
    assert not MdmImport.objects.exists()


def test_the_counts_fragment_is_what_a_running_import_polls(client, estate):
    sign_in(client, estate.authority_admin, estate.authority)
    client.post("/mobile/imports/", upload(organisation=str(estate.authority.pk), dry_run="on"))
    run = MdmImport.objects.get()
    MdmImport.objects.filter(pk=run.pk).update(status=MdmImport.Status.RUNNING, done=4)
    fragment = client.get(f"/mobile/imports/{run.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "4 of 10 rows" in fragment


def test_another_supplier_cannot_import_into_or_read_the_authoritys_fleet(client, estate):
    sign_in(client, estate.authority_admin, estate.authority)
    client.post("/mobile/imports/", upload(organisation=str(estate.authority.pk), dry_run="on"))
    run = MdmImport.objects.get()
    sign_in(client, estate.network_admin, estate.network)
    assert client.get(f"/mobile/imports/{run.pk}/").status_code == 404
    assert "intune.csv" not in client.get("/mobile/imports/").content.decode()
    response = client.post("/mobile/imports/", upload(organisation=str(estate.authority.pk)))
    assert response.status_code in (200, 403) and MdmImport.objects.count() == 1
