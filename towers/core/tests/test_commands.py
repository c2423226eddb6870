import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from towers.organisations.services.organisations import team_update
from towers.organisations.tests.factories import actor_of

pytestmark = pytest.mark.django_db


def test_audit_verify_reports_ok_then_the_first_broken_entry(estate, capsys):
    team_update(actor=actor_of(estate.network_admin), team=estate.network_team, changes={"name": "NOC"})
    team_update(actor=actor_of(estate.network_admin), team=estate.network_team, changes={"name": "NOC 2"})
    call_command("audit", "verify")
    assert "OK: 2 entries" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET actor_label = 'someone-else' WHERE seq = 1")
    with pytest.raises(CommandError, match="BROKEN at entry 1: its content does not match its hash"):
        call_command("audit", "verify")


def test_health_reports_the_database_and_the_outbox_backlog(client):
    body = client.get("/health").json()
    assert body == {"status": "ok", "database": "ok", "pending_events": 0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.django_db(transaction=False)
def test_towers_serve_answers_real_http_requests(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "towers.settings.base",
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    subprocess.run([sys.executable, "-m", "towers.cli", "migrate", "-v0"], env=env, check=True, timeout=120)
    server = subprocess.Popen(
        [sys.executable, "-m", "towers.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["info"]["title"] == "Towers API"
        assert "X-Request-ID" in response.headers
        login = httpx.get(f"http://127.0.0.1:{port}/login/", timeout=5)
        assert login.status_code == 200
        css = httpx.get(f"http://127.0.0.1:{port}/static/web/towers.css", timeout=5)
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    finally:
        server.terminate()
        server.wait(timeout=20)
