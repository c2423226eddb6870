import pytest
from django.db import connection, transaction

from towers.core import audit
from towers.core.actor import Actor, Channel, Scope
from towers.core.models import AuditEntry, AuditHead
from towers.organisations.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _actor() -> Actor:
    return Actor(label="jo", channel=Channel.API, scope=Scope(everything=True), organisation_name="Authority")


def _record_three():
    organisation = OrganisationFactory()
    with transaction.atomic():
        for n in range(3):
            audit.record(_actor(), "organisation.updated", organisation, before={"n": n}, after={"n": n + 1})
    return organisation


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(_actor(), "organisation.updated", OrganisationFactory())


def test_entries_are_attributed_and_linked_into_a_chain():
    _record_three()
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert entries[2].actor_label == "jo" and entries[2].channel == "api" and entries[2].after == {"n": 3}
    assert AuditHead.objects.get().seq == 3
    assert audit.verify().ok and audit.verify().checked == 3


def test_an_entry_edited_behind_the_application_is_caught():
    _record_three()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET after = %s WHERE seq = 2", ['{"n": 99}'])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == 2
    assert "content does not match" in result.reason


def test_a_deleted_entry_is_caught():
    _record_three()
    AuditEntry.objects.filter(seq=2).delete()
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "missing" in result.reason


def test_a_rehashed_forgery_is_caught_by_the_next_link():
    _record_three()
    forged = AuditEntry.objects.get(seq=2)
    forged.after = {"n": 42}
    values = {name: getattr(forged, name) for name in audit._HASHED_FIELDS}
    forged.hash = audit.entry_hash(values)
    forged.save()
    result = audit.verify()
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "does not link" in result.reason


def test_truncating_the_tail_is_caught_by_the_head():
    _record_three()
    AuditEntry.objects.filter(seq=3).delete()
    result = audit.verify()
    assert not result.ok and "head says 3" in result.reason


def test_the_audit_factory_keeps_the_chain_valid():
    from towers.core.tests.factories import OutboxDeliveryFactory, audit_entry_for

    organisation = OrganisationFactory()
    entries = [audit_entry_for(organisation, name=str(n)) for n in range(3)]
    assert [e.seq for e in entries] == [1, 2, 3] and audit.verify().ok
    assert OutboxDeliveryFactory().event.name == "test.thing.happened"
