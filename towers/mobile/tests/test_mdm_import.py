"""Importing MDM exports: dry run, real run, re-run, reconciliation with the CMDB, stolen devices, audit."""

from pathlib import Path

import pytest

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services.items import ci_create
from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.actor import Actor
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.models import AuditEntry
from towers.mobile.mdm_formats import read_export
from towers.mobile.models import Device, DeviceEvent, DeviceStatus, MdmImport, SimCard
from towers.mobile.services.mdm_devices import DeviceWriter
from towers.mobile.services.mdm_import import mdm_import
from towers.mobile.tests.factories import imei
from towers.organisations.tests.factories import MembershipFactory, PersonFactory, actor_of

DATA = Path(__file__).parent / "data"
INTUNE = (DATA / "intune.csv").read_bytes()


@pytest.fixture
def officers(estate):
    one = PersonFactory(username="officer.one", email="officer.one@example.org")
    two = PersonFactory(username="officer.two", email="officer.two@example.org")
    for person in (one, two):
        MembershipFactory(person=person, organisation=estate.authority)
    return one, two


def run(estate, data=INTUNE, **kwargs):
    kwargs.setdefault("dry_run", False)
    actor = kwargs.pop("actor", None) or actor_of(estate.authority_admin, estate.authority)
    return mdm_import(actor=actor, organisation=estate.authority, data=data, filename="export.csv", **kwargs)


def outcomes(imported: MdmImport) -> dict[int, str]:
    return {entry["line"]: entry["outcome"] for entry in imported.report}


def test_a_dry_run_changes_nothing_but_reports_what_a_real_run_would_do(estate, officers):
    cis, audits = ConfigurationItem.objects.count(), AuditEntry.objects.count()
    checked = run(estate, dry_run=True)
    assert (Device.objects.count(), ConfigurationItem.objects.count()) == (0, cis)
    assert AuditEntry.objects.count() == audits + 1  # the run's own entry, nothing else
    assert (checked.created, checked.rejected, checked.status, checked.done) == (5, 5, "done", 10)
    assert outcomes(checked) == outcomes(run(estate))


def test_a_real_run_creates_cis_and_devices_linked_to_people(estate, officers):
    imported = run(estate, supplier=estate.integrator)
    assert (imported.total, imported.created, imported.rejected) == (10, 5, 5)
    rejected = {e["line"]: e["problems"] for e in imported.report if e["outcome"] == "rejected"}
    assert set(rejected) == {6, 7, 8, 9, 10} and "check digit" in rejected[6]["imei"][0]
    phone = Device.objects.get(imei="351234567890009")
    assert (phone.person, phone.status, phone.supplier, phone.os_version) == (
        officers[0], DeviceStatus.ISSUED, estate.integrator, "17.5.1"
    )  # fmt: skip
    assert phone.ci.ci_class == "mobile_device" and phone.ci.attributes["imei"] == "351234567890009"
    assert Device.objects.get(serial="DMPX0003").status == DeviceStatus.IN_STOCK
    assert Device.objects.get(imei="351234567890066").person == officers[1]  # the UPN matched ignoring case
    unknown = next(e for e in imported.report if e["line"] == 5)
    assert "nobody@example.org" in unknown["notes"][0]
    assert SimCard.objects.get(iccid="8944200000000000001").device == phone
    assert DeviceEvent.objects.filter(kind="imported").count() == 5


def test_importing_the_same_file_again_changes_nothing_and_a_new_os_version_is_an_update(estate, officers):
    run(estate)
    again = run(estate)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    changed = run(estate, data=INTUNE.replace(b",17.5.1,", b",18.1,"))
    entry = next(e for e in changed.report if e["line"] == 2)
    assert (entry["outcome"], entry["changes"], changed.updated) == ("updated", ["os_version"], 1)
    assert Device.objects.get(imei="351234567890009").os_version == "18.1"
    assert DeviceEvent.objects.filter(kind="imported").count() == 5  # new devices only


def test_a_device_the_cmdb_already_knows_by_imei_is_linked_to_that_ci(estate, officers):
    known = ci_create(
        actor=Actor.system("tests"), ci_class="mobile_device", name="Old phone", owner=estate.authority,
        attributes={"imei": "351234567890017"},
    )  # fmt: skip
    run(estate)
    assert Device.objects.get(imei="351234567890017").ci == known
    assert ConfigurationItem.objects.filter(ci_class="mobile_device").count() == 5


def test_a_stolen_device_stays_stolen(estate, officers):
    run(estate)
    Device.objects.filter(imei="351234567890009").update(status=DeviceStatus.STOLEN)
    run(estate, data=INTUNE.replace(b",17.5.1,", b",18.1,"))
    assert Device.objects.get(imei="351234567890009").status == DeviceStatus.STOLEN


def test_graph_json_and_a_mapped_generic_csv_import(estate, officers):
    graph = run(estate, data=(DATA / "graph.json").read_bytes())
    assert (graph.source_format, graph.created, graph.rejected) == ("intune-json", 2, 1)
    mapping = {"imei": "Handset IMEI", "serial": "Serial", "platform": "Platform", "os_version": "Version"}
    generic = run(estate, data=(DATA / "generic.csv").read_bytes(), mapping=mapping)
    assert (generic.source_format, generic.created) == ("csv", 2)


def test_a_file_that_cannot_be_read_is_refused_naming_what_is_wrong(estate):
    with pytest.raises(ValidationFailed) as exc:
        run(estate, data=(DATA / "generic.csv").read_bytes())
    assert "mapping" in exc.value.fields
    assert not MdmImport.objects.exists()


def test_another_suppliers_admin_cannot_import_into_the_authoritys_fleet(estate):
    with pytest.raises(Forbidden):
        run(estate, actor=actor_of(estate.network_admin, estate.network))
    assert not Device.objects.exists() and not MdmImport.objects.exists()


def test_a_real_run_is_audited_once_with_its_counts(estate, officers):
    imported = run(estate)
    entry = AuditEntry.objects.get(action="mobile.fleet_imported")
    assert entry.object_id == str(imported.pk) and entry.after["created"] == 5
    assert AuditEntry.objects.filter(action="ci.created").count() == 5


def test_the_device_side_of_a_batch_takes_the_same_few_queries_for_any_number_of_rows(
    estate, officers, django_assert_max_num_queries
):
    header = INTUNE.decode().splitlines()[0]
    line = INTUNE.decode().splitlines()[1]  # officer.one's iPhone, with a SIM
    rows = [header] + [
        line.replace("351234567890009", imei(n))
        .replace("d-001", f"d-{n}")
        .replace("8944200000000000001", f"8944{n:015d}")
        for n in range(200)
    ]
    export = read_export("\n".join(rows).encode())
    cis = {
        row.line: (ConfigurationItemFactory(ci_class="mobile_device", owner=estate.authority).pk, "created")
        for row in export.rows
    }
    run_record = MdmImport.objects.create(organisation=estate.authority, filename="x", source_format="intune-csv")
    writer = DeviceWriter(Actor.system("tests"), estate.authority, None, run_record)
    with django_assert_max_num_queries(20):  # lookups, then bulk writes (split by SQLite's parameter limit)
        writer.write(export.rows, cis)
    assert Device.objects.filter(person=officers[0]).count() == 200 and SimCard.objects.count() == 200


def test_the_suppliers_team_supports_imported_cis_and_the_carrier_is_the_operator(fleet):
    """So the mobile supplier sees and keeps the CIs of the devices it runs, and lines are barred by the right
    operator; the team comes from the owner's settings when the import names none."""
    from towers.mobile.models import MobileSettings, SimCard
    from towers.mobile.services.mdm_import import mdm_import
    from towers.mobile.tests.factories import iccid as an_iccid
    from towers.mobile.tests.factories import imei as an_imei

    MobileSettings.objects.create(organisation=fleet.owner, wipe_team=fleet.team)
    header = "Device ID,Device name,OS,OS version,Manufacturer,Model,IMEI,ICCID,Phone number,Subscriber carrier\n"
    row = f"d-1,NP-1,iOS,18.1,Apple,iPhone 16,{an_imei(901)},{an_iccid(901)},+447700900901,{fleet.operator.name}\n"
    mdm_import(
        actor=fleet.actor, organisation=fleet.owner, supplier=fleet.supplier, data=(header + row).encode(),
        filename="x.csv", dry_run=False,
    )  # fmt: skip
    device = Device.objects.get()
    assert device.ci.support_team == fleet.team and device.supplier == fleet.supplier
    assert SimCard.objects.get().operator == fleet.operator
