import pytest
from django.core.management import CommandError, call_command

from towers.core.actor import Channel
from towers.core.errors import ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.models import Person, Team
from towers.organisations.services.imports import (
    PEOPLE_COLUMNS,
    TEAM_COLUMNS,
    people_import,
    read_csv,
    teams_import,
)
from towers.organisations.tests.factories import actor_of

pytestmark = pytest.mark.django_db

PEOPLE = """username,first_name,last_name,email,organisation,roles,teams
ann.lee,Ann,Lee,ann@example.org,network,resolver;team_lead,net-ops
bob.ray,Bob,Ray,not-an-email,network,resolver,
cat.day,Cat,Day,cat@example.org,apps,resolver,
dan.fry,Dan,Fry,dan@example.org,network,wizard,
eve.oak,Eve,Oak,eve@example.org,network,resolver,no-such-team
"""


def _importer(estate):
    from dataclasses import replace

    return replace(actor_of(estate.network_admin), channel=Channel.IMPORT)


def test_a_dry_run_reports_every_bad_row_by_line_and_field_and_changes_nothing(estate):
    audit_before, people_before = AuditEntry.objects.count(), Person.objects.count()
    report = people_import(actor=_importer(estate), rows=read_csv(PEOPLE, PEOPLE_COLUMNS), dry_run=True)
    assert (report.total, report.created, report.rejected) == (5, 1, 4)
    problems = {(p.row, p.field) for p in report.problems}
    assert problems == {(3, "email"), (4, "organisation"), (5, "role"), (6, "teams")}
    assert (AuditEntry.objects.count(), Person.objects.count()) == (audit_before, people_before)


def test_a_real_run_applies_the_good_rows_and_rejects_the_bad_ones_whole(estate):
    report = people_import(actor=_importer(estate), rows=read_csv(PEOPLE, PEOPLE_COLUMNS), dry_run=False)
    assert report.created == 1 and report.rejected == 4
    ann = Person.objects.get(username="ann.lee")
    assert set(ann.memberships.values_list("role", flat=True)) == {"resolver", "team_lead"}
    assert ann.team_memberships.get().team == estate.network_team
    # A rejected row leaves nothing behind, not even the person it would have created first.
    assert not Person.objects.filter(username__in=["bob.ray", "eve.oak"]).exists()
    assert AuditEntry.objects.filter(action="person.created", channel="import").count() == 1


def test_importing_again_updates_and_adds_roles_but_never_duplicates(estate):
    rows = read_csv("username,organisation,roles,job_title\nann.lee,network,resolver,Engineer\n", PEOPLE_COLUMNS)
    assert people_import(actor=_importer(estate), rows=rows, dry_run=False).created == 1
    assert people_import(actor=_importer(estate), rows=rows, dry_run=False).unchanged == 1
    rows = read_csv("username,organisation,roles,job_title\nann.lee,network,agent,Senior\n", PEOPLE_COLUMNS)
    assert people_import(actor=_importer(estate), rows=rows, dry_run=False).updated == 1
    ann = Person.objects.get(username="ann.lee")
    assert ann.job_title == "Senior" and set(ann.memberships.values_list("role", flat=True)) == {"resolver", "agent"}


def test_teams_are_created_and_updated_by_code(estate):
    rows = read_csv("organisation,code,name\nnetwork,net-field,Field\nnetwork,net-ops,NOC\n", TEAM_COLUMNS)
    report = teams_import(actor=_importer(estate), rows=rows, dry_run=False)
    assert (report.created, report.updated) == (1, 1)
    assert Team.objects.get(code="net-ops").name == "NOC"


def test_a_team_code_of_another_organisation_is_rejected(estate):
    rows = read_csv("organisation,code,name\nnetwork,app-support,Mine now\n", TEAM_COLUMNS)
    report = teams_import(actor=_importer(estate), rows=rows, dry_run=False)
    assert report.rejected == 1 and report.problems[0].field == "code"


def test_a_header_with_missing_or_unknown_columns_is_refused_naming_them():
    with pytest.raises(ValidationFailed) as caught:
        read_csv("username,shoe_size\nx,9\n", PEOPLE_COLUMNS)
    message = caught.value.message
    assert "missing required column(s): organisation" in message and "unknown column(s): shoe_size" in message


def test_a_file_that_is_not_utf8_is_refused():
    with pytest.raises(ValidationFailed, match="not UTF-8"):
        read_csv(b"username,organisation\n\xff\xfe,x\n", PEOPLE_COLUMNS)


def test_the_cli_dry_run_prints_the_report_and_fails_on_rejected_rows(estate, tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    with pytest.raises(CommandError, match="4 row"):
        call_command("import", "people", str(path), "--dry-run", "--as", "net.admin")
    output = capsys.readouterr().out
    assert "1 would be created" in output and "no organisation has the code 'apps'" in output
    assert not Person.objects.filter(username="ann.lee").exists()


def test_the_cli_imports_a_clean_file(estate, tmp_path, capsys):
    path = tmp_path / "teams.csv"
    path.write_text("organisation,code,name\nnetwork,net-field,Field engineers\n")
    call_command("import", "teams", str(path))
    assert "1 were created" in capsys.readouterr().out
    assert AuditEntry.objects.get(action="team.created").job == "cli-import"


def test_the_import_api_defaults_to_a_dry_run(client, estate):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from towers.organisations.tests.test_api import bearer

    auth = bearer(estate.network_admin, estate.network)
    upload = SimpleUploadedFile("people.csv", PEOPLE.encode(), content_type="text/csv")
    body = client.post("/api/v1/imports/people", data={"file": upload}, **auth).json()
    assert body["dry_run"] is True and body["rejected"] == 4
    assert not Person.objects.filter(username="ann.lee").exists()
    upload = SimpleUploadedFile("people.csv", PEOPLE.encode(), content_type="text/csv")
    body = client.post("/api/v1/imports/people?dry_run=false", data={"file": upload}, **auth).json()
    assert body["created"] == 1
    assert AuditEntry.objects.get(action="person.created").channel == "import"
