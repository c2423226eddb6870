"""End to end: the force's Towers (A) bonds to a supplier's Towers (B) over TMF621, both running as servers.

A raises an incident and hands it off to the supplier's team; `towers partners deliver` creates it on B with
A's correlation id as an externalIdentifier; A registers its listener at B's /hub; B's engineer comments and
resolves through B's own API; B's webhook worker notifies A, whose ticket then shows the note and is resolved,
with the whole exchange in A's message log. Each instance has its own SQLite file (also in a PostgreSQL run).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
TOWERS = [sys.executable, str(ROOT / "manage.py")]
TMF = "/tmf-api/troubleTicket/v5"


class Instance:
    def __init__(self, name: str, database: Path, port: int) -> None:
        self.name, self.port = name, port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "towers.settings.base",
            "DATABASE_URL": f"sqlite:///{database}",
            "TOWERS_DATA_DIR": str(database.parent / name),
            "TOWERS_PUBLIC_URL": self.url,
            "DEBUG": "false",
        }
        self.server: subprocess.Popen[bytes] | None = None

    def run(self, *args: str) -> str:
        done = subprocess.run([*TOWERS, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{self.name}: towers {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def seed(self, *args: str) -> subprocess.Popen[str]:
        module = [sys.executable, "-m", "towers.integration.tests.partner_instance", *args]
        return subprocess.Popen(
            module, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def seeded(self, seeding: subprocess.Popen[str]) -> dict[str, str]:
        out, err = seeding.communicate(timeout=120)
        assert seeding.returncode == 0, f"{self.name}: seeding failed:\n{err}"
        return json.loads(out.strip().splitlines()[-1])

    def serve(self) -> None:
        """Start the server (it answers once wait_ready returns)."""
        command = [*TOWERS, "runserver", "--noreload", f"127.0.0.1:{self.port}"]
        self.server = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def wait_ready(self) -> None:
        assert self.server is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/api/v1/docs", timeout=1)
                return
            except httpx.HTTPError as exc:
                if self.server.poll() is not None:
                    raise AssertionError(f"{self.name} did not start: {self.server.stderr.read().decode()}") from exc
                time.sleep(0.2)
        raise AssertionError(f"{self.name} did not answer within 60 s")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=10)

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _migrated_template(tmp_path: Path) -> Path:
    """A migrated SQLite file for the instances to copy, kept between runs while the migrations are unchanged
    (migrating takes most of this test's time; a changed migration gives a new key, so a new file)."""
    digest = hashlib.sha256()
    for migration in sorted(ROOT.glob("towers/*/migrations/*.py")):
        digest.update(migration.name.encode() + migration.read_bytes())
    cached = Path(settings.DATA_DIR) / f"e2e-template-{digest.hexdigest()[:16]}.sqlite3"
    if not cached.exists():
        fresh = tmp_path / "template.sqlite3"
        Instance("template", fresh, 0).run("migrate", "-v0")
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}")
        shutil.copy(fresh, partial)
        partial.replace(cached)  # whole or not at all, should another run look at the same moment
    return cached


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[tuple[Instance, Instance]]:
    template = _migrated_template(tmp_path)
    pair = []
    for name in ("a", "b"):
        shutil.copy(template, tmp_path / f"{name}.sqlite3")
        (tmp_path / name).mkdir()
        pair.append(Instance(name, tmp_path / f"{name}.sqlite3", _free_port()))
    yield pair[0], pair[1]
    for instance in pair:
        instance.stop()


def _ticket_on_b(b: Instance, token: str, remote_id: str) -> dict:
    with b.api(token) as client:
        response = client.get(f"{TMF}/troubleTicket/{remote_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_hand_off_travels_to_the_suppliers_towers_and_its_resolution_comes_back(instances):
    a, b = instances
    bridge_token = f"twr_{secrets.token_urlsafe(32)}"  # A's credential at B, chosen here so both seed at once
    seeding_b = b.seed("supplier", "--partner-token", bridge_token)
    seeding_a = a.seed("authority", "--partner-url", f"{b.url}{TMF}", "--partner-token", bridge_token)
    on_b, on_a = b.seeded(seeding_b), a.seeded(seeding_a)
    b.serve()
    a.serve()
    b.wait_ready()
    a.wait_ready()

    with a.api(on_a["agent_token"]) as desk:
        raised = desk.post(
            "/api/v1/tickets",
            json={
                "title": "Core switch down at HQ",
                "description": "Floor 3 dark",
                "impact": 1,
                "urgency": 1,
                "team": on_a["desk_team"],
            },
        )
        assert raised.status_code == 201, raised.text
        ticket = raised.json()
        handed = desk.post(
            f"/api/v1/tickets/{ticket['id']}/handoffs",
            json={"team": on_a["network_team"], "reason": "The core switch is NetCo's"},
        )
        assert handed.status_code == 201, handed.text

    a.run("partners", "deliver")
    with a.api(on_a["agent_token"]) as desk:
        (create,) = desk.get("/api/v1/partner-messages", params={"ticket": ticket["id"]}).json()["items"]
    assert create["operation"] == "create" and create["status"] == "sent" and create["http_status"] == 201, (
        create["last_error"],
        create["response"],
    )
    correlation, remote_id = create["correlation_id"], create["remote_id"]
    assert remote_id
    remote = _ticket_on_b(b, bridge_token, remote_id)
    assert correlation in {ext.get("id") for ext in remote.get("externalIdentifier", [])}
    assert remote["name"] == "Core switch down at HQ"

    with a.api(on_a["agent_token"]) as integrator:  # the integrator's administrator, through A's API
        registered = integrator.post(f"/api/v1/partner-integrations/{on_a['integration']}/register-hub")
        assert registered.status_code == 200 and registered.json()["hub_registered"], registered.text

    with b.api(on_b["engineer_token"]) as engineer:
        commented = engineer.post(
            f"/api/v1/tickets/{remote_id}/comments", json={"body": "Line card replaced; links up", "public": True}
        )
        assert commented.status_code == 201, commented.text
        resolved = engineer.post(
            f"/api/v1/tickets/{remote_id}/transition",
            json={"state": "resolved", "resolution_code": "fixed", "resolution_notes": "Replaced the line card"},
        )
        assert resolved.status_code == 200, resolved.text
    b.run("worker", "--batch")  # the outbox reaches the hub's fan-out
    b.run("webhooks", "deliver")

    with a.api(on_a["agent_token"]) as desk:
        after = desk.get(f"/api/v1/tickets/{ticket['id']}").json()
        timeline = desk.get(f"/api/v1/tickets/{ticket['id']}/timeline").json()
        log = desk.get("/api/v1/partner-messages", params={"ticket": ticket["id"], "limit": 100}).json()["items"]
    assert after["state"] == "resolved", (after, log)
    assert any(e["body"] == "Line card replaced; links up" for e in timeline), timeline
    inbound = [m for m in log if m["direction"] == "in"]
    assert inbound and {m["status"] for m in inbound} <= {"applied", "ignored"}, inbound
    assert any(m["status"] == "applied" for m in inbound)
    assert {m["correlation_id"] for m in log} == {correlation}
