import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from towers.core import events
from towers.core.models import OutboxDelivery, OutboxEvent
from towers.core.roles import Role
from towers.organisations.models import OrganisationKind
from towers.organisations.services.people import membership_grant
from towers.organisations.tests.factories import (
    OrganisationFactory,
    PersonFactory,
    actor_of,
    person_with_roles,
)

seen: list[tuple[str, int]] = []


@events.on("test.thing.happened")
def remember(event):
    if event.payload.get("fail"):
        raise RuntimeError("receiver is down")
    seen.append((event.key, event.payload["n"]))


@pytest.fixture(autouse=True)
def clear_seen():
    seen.clear()


def _emit(n, key="k", **extra):
    with transaction.atomic():
        return events.emit("test.thing.happened", key=key, n=n, **extra)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_emits_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.emit("test.thing.happened", n=1)
        1 / 0  # noqa: B018
    assert OutboxEvent.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert events.deliver_all_pending() == 0
    assert seen == []


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_queues_delivery_and_is_handled_once():
    _emit(1)
    assert DBTaskResult.objects.filter(task_path="towers.core.tasks.deliver_pending_events").count() == 1
    assert events.deliver_all_pending() == 1
    assert events.deliver_all_pending() == 0
    assert seen == [("k", 1)]
    event = OutboxEvent.objects.get()
    assert event.status == OutboxEvent.Status.DELIVERED
    assert OutboxDelivery.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_a_failing_handler_leaves_the_event_pending_with_back_off_and_holds_back_its_key():
    failing = _emit(1, key="ticket-1", fail=True)
    _emit(2, key="ticket-1")
    _emit(3, key="ticket-2")
    events.deliver_pending()
    failing.refresh_from_db()
    assert failing.status == OutboxEvent.Status.PENDING
    assert failing.attempts == 1 and "receiver is down" in failing.last_error
    assert failing.next_attempt_at > failing.created_at
    # ticket-1's second event waits behind its first; ticket-2 is unaffected.
    assert seen == [("ticket-2", 3)]


@pytest.mark.django_db
def test_events_of_one_key_are_delivered_in_order():
    for n in range(5):
        _emit(n, key="ticket-9")
    events.deliver_all_pending()
    assert seen == [("ticket-9", n) for n in range(5)]


def test_a_granted_role_is_mailed_to_the_person_by_its_handler(db):
    authority = OrganisationFactory(kind=OrganisationKind.AUTHORITY)
    admin = person_with_roles(authority, Role.ADMINISTRATOR)
    person = PersonFactory(email="pat@example.org")
    membership_grant(actor=actor_of(admin), person=person, organisation=authority, role=Role.AGENT)
    events.deliver_all_pending()
    assert [m.to for m in mail.outbox] == [["pat@example.org"]]
    assert "Service desk agent" in mail.outbox[0].subject


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_new_worker_process_delivers_what_was_pending(tmp_path):
    """Events committed while no worker ran (or after one died) are delivered by the next worker."""
    authority = OrganisationFactory(kind=OrganisationKind.AUTHORITY)
    admin = person_with_roles(authority, Role.ADMINISTRATOR)
    person = PersonFactory(email="sam@example.org")
    membership_grant(actor=actor_of(admin), person=person, organisation=authority, role=Role.RESOLVER)
    event = OutboxEvent.objects.get(name="organisations.membership.granted")
    assert event.status == OutboxEvent.Status.PENDING

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "towers.settings.base",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        "LOG_FORMAT": "plain",
    }
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    # The first worker is killed before it can do anything; the second one is started after it.
    first = subprocess.Popen([sys.executable, "-m", "towers.cli", "worker"], env=env)
    first.kill()
    first.wait()
    second = subprocess.run(
        [sys.executable, "-m", "towers.cli", "worker", "--batch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    event.refresh_from_db()
    assert event.status == OutboxEvent.Status.DELIVERED
    sent = "".join(path.read_text() for path in tmp_path.iterdir())
    assert "sam@example.org" in sent


@pytest.mark.django_db(transaction=True)
def test_many_commits_share_one_queued_delivery_run():
    for n in range(5):
        _emit(n)
    assert DBTaskResult.objects.filter(task_path="towers.core.tasks.deliver_pending_events").count() == 1
    assert events.deliver_all_pending() == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), reason="row locks need PostgreSQL")
def test_an_event_another_worker_holds_keeps_its_successors_waiting():
    import threading

    first = _emit(0, key="ticket-7")
    _emit(1, key="ticket-7")
    _emit(2, key="other")
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        from django.db import connection

        with transaction.atomic():
            OutboxEvent.objects.select_for_update().get(pk=first.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    try:
        assert locked.wait(10)
        events.deliver_pending()
        assert seen == [("other", 2)]  # ticket-7's second event did not overtake its first
    finally:
        release.set()
        holder.join()
    events.deliver_all_pending()
    assert seen == [("other", 2), ("ticket-7", 0), ("ticket-7", 1)]
