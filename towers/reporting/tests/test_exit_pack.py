"""The exit pack: a supplier's records as JSON Lines and CSV, with a manifest and checksums that verify."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services.items import ci_create, ci_update, relationship_create
from towers.contracts.tests.factories import ContractFactory
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import CommercialGrantFactory, Estate, actor_of
from towers.reporting.models import ExitPack
from towers.reporting.services.exit_pack import exit_pack_build, exit_pack_create
from towers.reporting.tasks import build_exit_pack
from towers.servicedesk.models import Ticket
from towers.servicedesk.services.attachments import attachment_add
from towers.servicedesk.services.handoffs import handoff_accept, ticket_hand_off
from towers.servicedesk.services.knowledge import article_create, article_publish
from towers.servicedesk.services.tickets import ticket_comment
from towers.servicedesk.tests.factories import Desk, build_desk
from towers.sla.tests.factories import CreditLineFactory, CreditRunFactory, ServiceLevelResultFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("tests")


@dataclass
class World:
    desk: Desk
    estate: Estate
    handed: Ticket
    foreign: Ticket
    app: ConfigurationItem
    router: ConfigurationItem


def build_world(estate: Estate) -> World:
    """A desk whose incident went to the applications supplier, its CIs, an article, results and credits."""
    desk = build_desk(estate)
    agent, resolver = desk.actor(desk.agent), desk.actor(desk.apps_resolver)
    handed = desk.raise_incident(title="Crime system is slow")
    handoff = ticket_hand_off(actor=agent, ticket=handed, to_team=desk.apps_team, reason="Application fault")
    handoff_accept(actor=resolver, handoff=handoff, note="Ours")
    ticket_comment(actor=resolver, ticket=handed, body="Recycled the app pool", public=False)
    foreign = desk.raise_incident(title="Core router down")
    ticket_hand_off(actor=agent, ticket=foreign, to_team=estate.network_team, reason="Network fault")
    app = ci_create(
        actor=SYSTEM, ci_class="application", name="crime-app", owner=estate.applications,
        support_team=estate.applications_team, attributes={"vendor": "Acme", "licence_cost": 1200.0},
    )  # fmt: skip
    server = ci_create(actor=SYSTEM, ci_class="application", name="crime-db", owner=estate.applications)
    relationship_create(actor=SYSTEM, source=app, target=server, type="depends_on")
    ci_update(actor=SYSTEM, ci=app, changes={"lifecycle": "maintenance"}, attributes={"version": "2.1"})
    router = ci_create(actor=SYSTEM, ci_class="application", name="core-router", owner=estate.network)
    article = article_create(
        actor=resolver, title="Crime system slow: recycle the pool", body="Recycle it.", service=desk.service
    )
    article_publish(actor=resolver, article=article)
    ServiceLevelResultFactory(service_level=desk.sla_resolution, period=date(2026, 3, 1), measured=10, met=9)
    run = CreditRunFactory(contract=ContractFactory(supplier=estate.applications), total=Decimal("1500.00"))
    CreditLineFactory(run=run, service_level=desk.sla_resolution, kind="failure", amount=Decimal("1500.00"))
    return World(desk, estate, handed, foreign, app, router)


@pytest.fixture
def world(estate, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    return build_world(estate)


def built(actor: Actor, supplier) -> ExitPack:
    return exit_pack_build(exit_pack_create(actor=actor, supplier=supplier, queue=False))


def read_pack(pack: ExitPack) -> dict[str, bytes]:
    with pack.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def jsonl(files: dict[str, bytes], name: str) -> list[dict]:
    return [json.loads(line) for line in files[name].decode().splitlines()]


def test_every_file_matches_its_checksum_in_the_manifest_and_in_checksums_sha256(world):
    pack = built(SYSTEM, world.estate.applications)
    files = read_pack(pack)
    manifest = json.loads(files["manifest.json"])
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) | {"manifest.json", "checksums.sha256"} == set(files)
    for name, entry in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"], name
        assert len(files[name]) == entry["bytes"]
    sums = dict(reversed(line.split("  ", 1)) for line in files["checksums.sha256"].decode().splitlines())
    assert set(sums) == set(files) - {"checksums.sha256"}
    assert all(hashlib.sha256(files[name]).hexdigest() == digest for name, digest in sums.items())
    with pack.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == pack.sha256
    assert manifest["supplier"]["code"] == "apps" and manifest["towers_version"]
    assert pack.status == "done" and pack.counts["tickets"] == 1 and pack.counts["credits"] == 1


def test_a_handed_off_ticket_carries_its_whole_timeline_and_another_suppliers_ticket_is_left_out(world):
    files = read_pack(built(SYSTEM, world.estate.applications))
    tickets = {t["reference"]: t for t in jsonl(files, "tickets.jsonl")}
    assert world.foreign.reference not in tickets and world.foreign.reference.encode() not in files["tickets.csv"]
    ticket = tickets[world.handed.reference]
    expected = list(world.handed.events.order_by("at", "id").values_list("kind", flat=True))
    assert [event["kind"] for event in ticket["timeline"]] == expected
    assert {"created", "handed_off", "accepted", "comment"} <= set(expected)
    assert "Recycled the app pool" in [event["body"] for event in ticket["timeline"]]
    assert [(h["to_organisation"], h["status"]) for h in ticket["handoffs"]] == [("apps", "accepted")]
    assert ticket["clocks"] and ticket["holder_organisation"] == "apps"
    rows = list(csv.DictReader(io.StringIO(files["tickets.csv"].decode())))
    assert [row["reference"] for row in rows] == [world.handed.reference]
    assert rows[0]["held_by_supplier"] == "true" and int(rows[0]["events"]) == len(expected)


def test_a_ci_comes_with_its_relationships_and_history_and_other_owners_cis_do_not(world):
    files = read_pack(built(SYSTEM, world.estate.applications))
    cis = {ci["name"]: ci for ci in jsonl(files, "cis.jsonl")}
    assert set(cis) == {"crime-app", "crime-db"}
    app = cis["crime-app"]
    assert [action["action"] for action in app["history"]] == ["ci.created", "ci.related", "ci.updated"]
    assert app["history"][0]["hash"] == AuditEntry.objects.filter(object_id=str(world.app.pk)).first().hash
    assert app["relationships"]["outgoing"] == [{"type": "depends_on", "id": str(cis["crime-db"]["id"]),
                                                 "name": "crime-db"}]  # fmt: skip
    assert app["attributes"] == {"vendor": "Acme", "licence_cost": 1200.0, "version": "2.1"}
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(files["cis.csv"].decode()))}
    assert rows["crime-app"]["depends_on"] == "depends_on:crime-db" and rows["crime-app"]["history_entries"] == "3"
    assert json.loads(rows["crime-app"]["attributes"])["vendor"] == "Acme"


def test_knowledge_service_levels_results_and_credits_are_in_the_pack(world):
    files = read_pack(built(SYSTEM, world.estate.applications))
    assert [a["title"] for a in jsonl(files, "knowledge.jsonl")] == ["Crime system slow: recycle the pool"]
    levels = {row["code"] for row in csv.DictReader(io.StringIO(files["service_levels.csv"].decode()))}
    assert world.desk.sla_resolution.code in levels and world.desk.ola_apps.code in levels
    results = list(csv.DictReader(io.StringIO(files["results.csv"].decode())))
    assert [(r["service_level"], r["period"], r["measured"], r["met"]) for r in results] == [
        (world.desk.sla_resolution.code, "2026-03-01", "10", "9")
    ]
    credits = list(csv.DictReader(io.StringIO(files["credits.csv"].decode())))
    assert [(c["kind"], c["amount"], c["run_total"]) for c in credits] == [("failure", "1500.00", "1500.00")]
    assert jsonl(files, "credits.jsonl")[0]["lines"][0]["service_level"] == world.desk.sla_resolution.code
    readme = files["README.txt"].decode()
    assert "tickets.jsonl, tickets.csv" in readme and "held_by_supplier:" in readme


def test_an_integrator_without_a_commercial_grant_gets_no_credits_nor_costs(world):
    integrator = actor_of(world.estate.integrator_admin)
    files = read_pack(built(integrator, world.estate.applications))
    assert files["credits.csv"].decode().count("\n") == 1  # the header alone
    app = next(ci for ci in jsonl(files, "cis.jsonl") if ci["name"] == "crime-app")
    assert "licence_cost" not in app["attributes"]
    assert "licence_cost" not in json.dumps(app["history"])
    assert len(jsonl(files, "tickets.jsonl")) == 1


def test_with_a_grant_the_integrator_gets_the_credits(world):
    CommercialGrantFactory(grantee=world.estate.integrator, supplier=world.estate.applications)
    files = read_pack(built(actor_of(world.estate.integrator_admin), world.estate.applications))
    assert len(jsonl(files, "credits.jsonl")) == 1


def test_asking_is_audited_and_queued_and_the_worker_builds_it_once(world, django_capture_on_commit_callbacks):
    actor = actor_of(world.estate.authority_admin)
    with django_capture_on_commit_callbacks(execute=True):
        pack = exit_pack_create(actor=actor, supplier=world.estate.applications)
    assert pack.status == "queued"
    assert DBTaskResult.objects.filter(task_path=build_exit_pack.module_path).count() == 1
    requested = AuditEntry.objects.get(action="reporting.exit_pack_requested")
    assert requested.person_id == world.estate.authority_admin.pk and requested.object_id == str(pack.pk)
    assert build_exit_pack.call(str(pack.pk)) > 0
    pack.refresh_from_db()
    assert pack.status == "done" and pack.finished_at and pack.manifest["requested_by"] == actor.label
    entry = AuditEntry.objects.get(action="reporting.exit_pack_built")
    assert entry.person_id == world.estate.authority_admin.pk and entry.channel == "job"
    assert entry.after["sha256"] == pack.sha256
    assert build_exit_pack.call(str(pack.pk)) == 0  # delivered twice: built once


def test_a_requester_who_lost_the_right_gets_a_failed_pack_with_the_reason(world):
    pack = exit_pack_create(actor=actor_of(world.estate.integrator_admin), supplier=world.estate.applications,
                            queue=False)  # fmt: skip
    world.estate.integrator_admin.memberships.all().delete()
    with pytest.raises(Exception):  # noqa: B017  (whatever refused it, the pack must say so)
        build_exit_pack.call(str(pack.pk))
    pack.refresh_from_db()
    assert pack.status == "failed" and pack.error and not pack.file
    assert AuditEntry.objects.filter(action="reporting.exit_pack_failed", object_id=str(pack.pk)).exists()


def test_a_dated_pack_holds_only_tickets_opened_and_periods_in_its_dates(world):
    pack = exit_pack_create(actor=SYSTEM, supplier=world.estate.applications, since=date(2026, 4, 1), queue=False)
    files = read_pack(exit_pack_build(pack))
    assert jsonl(files, "results.jsonl") == [] and jsonl(files, "credits.jsonl") == []
    assert len(jsonl(files, "cis.jsonl")) == 2  # CIs are as they stand, whatever the dates


def _queries_to_build(supplier) -> int:
    pack = exit_pack_create(actor=SYSTEM, supplier=supplier, queue=False)
    with CaptureQueriesContext(connection) as queries:
        exit_pack_build(pack)
    return len(queries)


def test_building_reads_in_batches_not_once_per_record(world):
    few = _queries_to_build(world.estate.applications)
    for number in range(4):
        handed = world.desk.raise_incident(title=f"Slow {number}")
        agent = world.desk.actor(world.desk.agent)
        ticket_hand_off(actor=agent, ticket=handed, to_team=world.desk.apps_team, reason="App")
        ticket_comment(actor=agent, ticket=handed, body="Chasing", public=False)
        app = ci_create(actor=SYSTEM, ci_class="application", name=f"app-{number}", owner=world.estate.applications)
        relationship_create(actor=SYSTEM, source=app, target=world.app, type="depends_on")
    assert _queries_to_build(world.estate.applications) == few
    assert ExitPack.objects.order_by("-created_at").first().counts["tickets"] == 5


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils' sha256sum")
def test_sha256sum_verifies_the_unzipped_pack_attached_files_included(world, tmp_path):
    resolver = world.desk.actor(world.desk.apps_resolver)
    attachment_add(actor=resolver, ticket=world.handed, filename="pool recycle (1).txt", content_type="text/plain",
                   data=b"recycled at 10:02\n")  # fmt: skip
    pack = built(SYSTEM, world.estate.applications)
    with pack.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        archive.extractall(tmp_path / "pack")
    checked = subprocess.run(
        ["sha256sum", "-c", "checksums.sha256"], cwd=tmp_path / "pack", capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "manifest.json: OK" in checked.stdout and "tickets.jsonl: OK" in checked.stdout
    attached = [line for line in checked.stdout.splitlines() if line.startswith("attachments/")]
    assert attached == [
        f"attachments/{world.handed.reference}/{world.handed.attachments.get().id}-pool recycle (1).txt: OK"
    ]
