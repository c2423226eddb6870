"""Appending many audit entries and outbox events at once: the same chain and events as one by one."""

import itertools

import pytest
from django.db import transaction

from towers.core import audit, events
from towers.core.actor import Actor, Channel, Scope
from towers.core.models import AuditEntry, AuditHead, OutboxEvent
from towers.organisations.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _actor() -> Actor:
    return Actor(label="jo", channel=Channel.IMPORT, scope=Scope(everything=True), organisation_name="Authority")


def test_many_entries_continue_the_chain_in_order_between_single_ones():
    first, *many = [OrganisationFactory() for _ in range(4)]
    with transaction.atomic():
        audit.record(_actor(), "organisation.created", first, after={"n": 0})
        written = audit.record_many(
            _actor(), "organisation.created", [(o, None, {"n": n}) for n, o in enumerate(many, 1)]
        )
        audit.record(_actor(), "organisation.updated", first, before={"n": 0}, after={"n": 9})
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in written] == [2, 3, 4]
    assert [(e.seq, e.object_id, e.after) for e in entries[1:4]] == [
        (n + 1, str(o.pk), {"n": n}) for n, o in enumerate(many, 1)
    ]
    assert all(e.prev_hash == before.hash for before, e in itertools.pairwise(entries))
    assert (entries[1].action, entries[1].before, entries[1].channel) == ("organisation.created", None, "import")
    assert AuditHead.objects.get().seq == 5
    assert audit.verify().ok and audit.verify().checked == 5


def test_a_tampered_entry_written_in_bulk_breaks_the_chain():
    organisations = [OrganisationFactory() for _ in range(3)]
    with transaction.atomic():
        audit.record_many(_actor(), "organisation.created", [(o, None, {"name": o.name}) for o in organisations])
    AuditEntry.objects.filter(seq=2).update(after={"name": "someone else"})
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 2)


def test_nothing_to_record_leaves_the_head_alone():
    with transaction.atomic():
        assert audit.record_many(_actor(), "organisation.created", []) == []
    assert not AuditEntry.objects.exists() and not AuditHead.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_record_many_and_emit_many_outside_a_transaction_are_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record_many(_actor(), "organisation.created", [(OrganisationFactory(), None, {})])
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.emit_many("test.thing.happened", [("k", {"n": 1})])
    assert not AuditEntry.objects.exists() and not OutboxEvent.objects.exists()


def test_many_events_are_written_in_order_and_nudge_the_worker_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        events.emit_many("test.thing.happened", [(f"k{n}", {"n": n}) for n in range(3)])
    rows = list(OutboxEvent.objects.order_by("id").values_list("name", "key", "payload", "status"))
    assert rows == [("test.thing.happened", f"k{n}", {"n": n}, "pending") for n in range(3)]
    assert len(callbacks) == 1


def test_events_rolled_back_with_their_change_are_not_written():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        events.emit_many("test.thing.happened", [("k", {"n": 1})])
        1 / 0  # noqa: B018
    assert not OutboxEvent.objects.exists()
