"""Chaos: a receiver failing 30% of calls, a worker SIGKILLed mid-run and two more finishing side by side.

In the end every message was accepted exactly once by idempotency key, in order per ticket, and the receiver
saw duplicates only where a response was lost."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from towers.core import events
from towers.core.actor import Actor
from towers.integration.models import WebhookMessage
from towers.integration.signing import verify_signature
from towers.integration.tests.factories import WebhookSubscriptionFactory
from towers.servicedesk.models import DeskSettings
from towers.servicedesk.services.tickets import ticket_create

TICKETS, EVENTS, KILL_AFTER = 10, 200, 60
SECRET = "whsec_chaos"


class ChaosReceiver:
    """Fails ~15% of calls before processing and ~15% after (the response is lost), deterministically."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(30)
        self.accepted: list[tuple[str, str, int]] = []  # (idempotency key, ticket, sequence), first receipt only
        self.seen: set[str] = set()
        self.duplicates: list[str] = []
        self.lost: set[str] = set()  # processed, but the sender was told it failed
        self.bad_signatures = 0
        self.calls = 0

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        if not verify_signature(SECRET, headers.get("Towers-Signature", ""), body, time.time()):
            with self.lock:
                self.bad_signatures += 1
            return 401
        data = json.loads(body)
        key = headers["Idempotency-Key"]
        assert data["id"] == key
        with self.lock:
            self.calls += 1
            roll = self.rng.random()
            if roll < 0.15:
                return 500  # failed before doing anything
            if key in self.seen:
                self.duplicates.append(key)
            else:
                self.seen.add(key)
                self.accepted.append((key, data["data"]["ticket_id"], data["data"]["seq"]))
            if roll < 0.30:
                self.lost.add(key)
                return 503  # did it, but the answer never reached the sender
        time.sleep(0.002)  # a real receiver takes a moment, which lets the kill land mid-run
        return 200

    def serve(self) -> ThreadingHTTPServer:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.handle(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def _subprocess_env() -> dict[str, str]:
    import os

    db = django_settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "towers.settings.base", "LOG_FORMAT": "plain"}
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return env


def _owe_events(estate, url: str) -> None:
    DeskSettings.objects.get_or_create(defaults={"desk_organisation": estate.integrator})
    system = Actor.system("tests")
    tickets = [ticket_create(actor=system, title=f"Fault {n}", team=estate.applications_team) for n in range(TICKETS)]
    events.deliver_all_pending()
    # The applications supplier is party to these tickets; its subscription starts after they were raised.
    WebhookSubscriptionFactory(
        organisation=estate.applications, target_url=url, secret=SECRET, event_patterns=["servicedesk.ticket.updated"]
    )
    for seq in range(EVENTS):
        ticket = tickets[seq % TICKETS]
        with transaction.atomic():
            events.emit("servicedesk.ticket.updated", key=str(ticket.id), ticket_id=str(ticket.id), seq=seq)
    events.deliver_all_pending()
    assert WebhookMessage.objects.count() == EVENTS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_flaky_receiver_and_a_killed_worker_still_get_every_message_once_in_order_per_ticket(estate):
    receiver = ChaosReceiver()
    server = receiver.serve()
    try:
        _owe_events(estate, f"http://127.0.0.1:{server.server_address[1]}/hook")
        env = _subprocess_env()
        worker = [sys.executable, "-m", "towers.integration.tests.webhook_worker", "--lease", "3"]
        doomed = subprocess.Popen(worker, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while len(receiver.accepted) < KILL_AFTER:
                assert doomed.poll() is None, doomed.communicate()
                assert time.monotonic() < deadline, "the first worker made no progress"
                time.sleep(0.002)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        finally:
            if doomed.poll() is None:
                doomed.kill()
                doomed.wait()
        time.sleep(0.2)  # let the receiver finish the request that was in flight
        undelivered = WebhookMessage.objects.exclude(status=WebhookMessage.Status.DELIVERED)
        unfinished = {str(key) for key in undelivered.values_list("idempotency_key", flat=True)}
        with receiver.lock:
            lost_by_kill = receiver.seen & unfinished  # accepted, but the dead worker never recorded it
            accepted_before = len(receiver.accepted)
        assert accepted_before < EVENTS, "the worker finished before it could be killed"
        # Two workers finish the job side by side: claims must never hand one message to both.
        survivors = [
            subprocess.Popen(worker, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for survivor in survivors:
            _, err = survivor.communicate(timeout=120)
            assert survivor.returncode == 0, err
    finally:
        server.shutdown()
        server.server_close()

    assert receiver.bad_signatures == 0
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {WebhookMessage.Status.DELIVERED}
    keys = [key for key, _, _ in receiver.accepted]
    assert len(keys) == len(set(keys)) == EVENTS
    assert set(keys) == {str(k) for k in WebhookMessage.objects.values_list("idempotency_key", flat=True)}
    # Duplicates reach the receiver only for deliveries whose response was lost (injected, or the kill).
    assert set(receiver.duplicates) <= receiver.lost | lost_by_kill
    assert receiver.duplicates, "the chaos should have forced some re-sends"
    by_ticket: dict[str, list[int]] = defaultdict(list)
    for _, ticket, seq in receiver.accepted:
        by_ticket[ticket].append(seq)
    assert len(by_ticket) == TICKETS
    assert all(seqs == sorted(seqs) and len(seqs) == EVENTS // TICKETS for seqs in by_ticket.values())
