import json

import pytest
from django.core.management import CommandError, call_command

from towers.cmdb.models import ConfigurationItem, Relationship, SourceKey
from towers.cmdb.tests.factories import DataSourceFactory
from towers.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def discovery(estate):
    return DataSourceFactory(code="discovery", name="Discovery", organisation=estate.integrator, priority=20)


def write_csv(tmp_path, rows):
    path = tmp_path / "cis.csv"
    path.write_text("class,native_key,name,owner,attr.fqdn,rel.runs_on\n" + "".join(f"{row}\n" for row in rows))
    return path


def test_a_file_of_more_than_500_rows_is_imported_in_batches_with_a_summary(tmp_path, capsys, discovery):
    # The first row runs on the last: ordering the whole file puts the last row in the first batch.
    rows = ["application,app,Crime,integrator,,vm-519"]
    rows += [f"virtual_machine,vm-{n},vm-{n:03d},integrator,vm-{n}.force," for n in range(520)]
    call_command("cmdb", "import", str(write_csv(tmp_path, rows)), "--source", "discovery")
    output = capsys.readouterr().out
    assert "521 items in 2 batch(es) from discovery: 521 were created, 0 were updated" in output
    assert (ConfigurationItem.objects.count(), SourceKey.objects.count()) == (521, 521)
    assert Relationship.objects.get().target.name == "vm-519"
    assert AuditEntry.objects.filter(action="ci.created").values("job").distinct().get()["job"] == "cli-cmdb-import"


def test_a_dry_run_over_several_batches_changes_nothing_yet_resolves_across_them(tmp_path, capsys, discovery):
    # The application in the last batch runs on a host of the first, which a dry run never wrote.
    rows = [f"server,h{n},host-{n},integrator,h{n}.force," for n in range(4)] + ["application,a,App,integrator,,h0"]
    path = write_csv(tmp_path, rows)
    call_command("cmdb", "import", str(path), "--source", "discovery", "--dry-run", "--batch-size", "2")
    output = capsys.readouterr().out
    assert "5 items in 3 batch(es) from discovery: 5 would be created" in output
    assert "dry run: nothing changed" in output
    assert not ConfigurationItem.objects.exists() and not AuditEntry.objects.filter(action="ci.created").exists()


def test_rejected_rows_are_listed_by_line_and_fail_the_command(tmp_path, capsys, discovery):
    path = write_csv(tmp_path, ["server,h1,host-1,integrator,h1.force,", "server,h2,host-2,nobody,h2.force,"])
    with pytest.raises(CommandError, match="1 item"):
        call_command("cmdb", "import", str(path), "--source", "discovery")
    output = capsys.readouterr().out
    assert "line 3" in output and "no organisation has the code 'nobody'" in output
    assert ConfigurationItem.objects.get().name == "host-1"


def test_a_json_file_is_imported_and_the_full_report_written(tmp_path, capsys, discovery):
    path = tmp_path / "cis.json"
    path.write_text(
        json.dumps({"items": [{"class": "server", "native_key": "h1", "name": "h", "owner": "integrator"}]})
    )
    report = tmp_path / "report.json"
    call_command("cmdb", "import", str(path), "--source", "discovery", "--report", str(report))
    assert "1 were created" in capsys.readouterr().out
    assert json.loads(report.read_text())["items"][0]["outcome"] == "created"


def test_an_unknown_source_is_refused_naming_the_command_that_lists_them(tmp_path, discovery):
    with pytest.raises(CommandError, match="towers cmdb sources"):
        call_command("cmdb", "import", str(write_csv(tmp_path, [])), "--source", "nope")


def test_sources_are_listed_with_their_priorities(capsys, discovery):
    call_command("cmdb", "sources")
    output = capsys.readouterr().out
    assert "discovery" in output and "Integrator" in output and "20" in output
