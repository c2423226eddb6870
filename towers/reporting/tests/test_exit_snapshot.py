"""The whole pack is read in one snapshot: what others write during the build is not in it, and the pack says when.

The tests that write from a second connection during the build need real commits, hence transaction=True.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.reporting.exit_snapshot import SQLITE_ISOLATION
from towers.reporting.models import ExitPack
from towers.reporting.services.exit_pack import exit_pack_build, exit_pack_create
from towers.reporting.tests.test_exit_pack import SYSTEM, World, build_world, built, jsonl, read_pack

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def world(estate, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    return build_world(estate)


@pytest.fixture
def other() -> Iterator[BaseDatabaseWrapper]:
    """A second connection to the test database, as another web process or worker would have (autocommit)."""
    second = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield second
    finally:
        second.close()


def _pk(model, pk, on: BaseDatabaseWrapper):
    return model._meta.pk.get_db_prep_value(pk, on)


@pytest.mark.django_db
def test_the_manifest_and_the_readme_say_when_the_records_were_read_and_how(world):
    before = timezone.now()
    pack = built(SYSTEM, world.estate.applications)
    files = read_pack(pack)
    manifest = json.loads(files["manifest.json"])
    assert before <= datetime.fromisoformat(manifest["snapshot_at"]) <= pack.finished_at
    assert manifest["isolation"] and manifest["isolation"] == pack.manifest["isolation"]
    readme = files["README.txt"].decode()
    assert f"as it stood in Towers at {manifest['snapshot_at']}" in readme and manifest["isolation"] in readme


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_by_another_connection_during_the_build_is_not_in_the_pack(world, other):
    """The tickets part is read first; the CIs part later must still see the CI as it was when the build began."""
    ci_table, pack_table = ConfigurationItem._meta.db_table, ExitPack._meta.db_table
    pack = exit_pack_create(actor=SYSTEM, supplier=world.estate.applications, queue=False)
    seen_by_others: list[str] = []

    def meanwhile(part: str, rows: int) -> None:
        if part != "tickets" or seen_by_others:
            return
        with other.cursor() as cursor:
            cursor.execute(f"UPDATE {ci_table} SET name = %s WHERE id = %s",  # noqa: S608  (our own table names)
                           ["renamed-meanwhile", _pk(ConfigurationItem, world.app.pk, other)])  # fmt: skip
            cursor.execute(f"SELECT status FROM {pack_table} WHERE id = %s", [_pk(ExitPack, pack.pk, other)])  # noqa: S608
            seen_by_others.append(cursor.fetchone()[0])

    files = read_pack(exit_pack_build(pack, progress=meanwhile))
    assert ConfigurationItem.objects.get(pk=world.app.pk).name == "renamed-meanwhile"  # the write did commit
    assert {ci["name"] for ci in jsonl(files, "cis.jsonl")} == {"crime-app", "crime-db"}
    assert seen_by_others == ["running"]  # the status was committed before the snapshot, not held back by it
    isolation = json.loads(files["manifest.json"])["isolation"]
    assert isolation == ("repeatable read, read only" if ON_POSTGRES else SQLITE_ISOLATION)


@pytest.mark.skipif(not ON_POSTGRES, reason="isolation levels are PostgreSQL's; SQLite has one (serializable)")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_every_part_is_read_at_repeatable_read_in_a_read_only_transaction(world):
    during: set[tuple[str, str]] = set()

    def record(part: str, rows: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")
            during.add(cursor.fetchone())

    exit_pack_build(exit_pack_create(actor=SYSTEM, supplier=world.estate.applications, queue=False), progress=record)
    assert during == {("repeatable read", "on")}
    with connection.cursor() as cursor:  # and the connection is back to its default afterwards
        cursor.execute("SELECT current_setting('transaction_isolation')")
        assert cursor.fetchone()[0] == "read committed"


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own read-only guard; PostgreSQL's READ ONLY is tested above")
@pytest.mark.django_db(transaction=True)
def test_on_sqlite_the_build_cannot_write_and_leaves_the_connection_writable(world):
    def write(part: str, rows: int) -> None:
        ConfigurationItem.objects.filter(pk=world.app.pk).update(name="written-inside")

    pack = exit_pack_create(actor=SYSTEM, supplier=world.estate.applications, queue=False)
    with pytest.raises(Exception, match="readonly"):
        exit_pack_build(pack, progress=write)
    pack.refresh_from_db()
    assert pack.status == "failed" and ConfigurationItem.objects.get(pk=world.app.pk).name == "crime-app"
