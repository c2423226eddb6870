"""New CIs of an import written together: the outcomes, keys, audit entries and events of one-by-one writes."""

import pytest

from towers.cmdb.models import CIIdentifier, ConfigurationItem, Relationship, SourceKey
from towers.cmdb.services import reconcile
from towers.cmdb.services.items import ci_create
from towers.cmdb.services.reconcile import ci_import
from towers.cmdb.tests.factories import AttributeRuleFactory, DataSourceFactory
from towers.core import audit
from towers.core.models import AuditEntry, AuditHead, OutboxEvent
from towers.organisations.tests.factories import actor_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(estate):
    return actor_of(estate.authority_admin)


@pytest.fixture
def discovery(estate):
    return DataSourceFactory(code="discovery", organisation=estate.integrator, priority=20)


def server(native_key, name, owner="integrator", **attributes):
    return {"class": "server", "native_key": native_key, "name": name, "owner": owner, "attributes": attributes}


def app(native_key, name, runs_on):
    relationship = {"type": "runs_on", "target": {"native_key": runs_on}}
    return {"class": "application", "native_key": native_key, "name": name, "owner": "apps",
            "relationships": [relationship]}  # fmt: skip


def mixed(estate):
    """New servers, with the ways an item is refused or goes the per-item way between them."""
    ci_create(actor=actor_of(estate.authority_admin), ci_class="server", name="known", owner=estate.integrator,
              attributes={"serial": "K1"})  # fmt: skip
    return [
        server("n1", "one", serial="S1", fqdn="one.force"),
        server("n2", "typed", cpu_cores="many"),  # refused by its attribute's type
        server("n3", "two", serial="S2"),
        server("n4", "again", serial="s1"),  # the key of n1, written earlier in the batch
        {"class": "server", "native_key": "n5", "name": "", "owner": "integrator"},  # no name
        server("n6", "known", serial="K1", os="RHEL 9"),  # an update, on the per-item path
        server("n7", "three", fqdn="three.force"),
        app("a1", "Crime", runs_on="n3"),  # a relationship: on the per-item path
        server("n8", "four", serial="S4"),
    ]


def summary(report):
    return [(i.outcome, i.problems, [(c.attribute, c.reason) for c in i.conflicts]) for i in report.items]


def written():
    """What the import wrote, without the ids and times that differ from run to run."""
    cis = {str(ci.pk): ci.name for ci in ConfigurationItem.objects.all()}
    entries = AuditEntry.objects.filter(action__startswith="ci.")
    return {
        "audit": sorted((e.action, cis[e.object_id], _without_ids(e.after)) for e in entries),
        "events": sorted((e.name, cis[e.key], sorted(e.payload)) for e in OutboxEvent.objects.all()),
        "keys": sorted((cis[str(ci)], k, v) for ci, k, v in CIIdentifier.objects.values_list("ci", "key", "value")),
        "native": sorted((key, cis[str(ci)]) for key, ci in SourceKey.objects.values_list("native_key", "ci")),
        "provenance": sorted((ci.name, sorted(ci.provenance)) for ci in ConfigurationItem.objects.all()),
        "links": sorted((r.source.name, r.type, r.target.name) for r in Relationship.objects.all()),
    }


def _without_ids(after):
    return sorted((k, str(v)) for k, v in (after or {}).items() if k != "target")


def test_new_cis_written_together_give_the_results_of_writing_them_one_by_one(estate, admin, discovery):
    items = mixed(estate)
    bulk = ci_import(actor=admin, source=discovery, items=items, dry_run=False)
    bulk_written = written()
    for model in (ConfigurationItem, AuditEntry, AuditHead, OutboxEvent):
        model.objects.all().delete()
    with pytest.MonkeyPatch.context() as patch:  # every new CI the per-item way: the reference
        patch.setattr(reconcile._Import, "_create_fresh", lambda self, fresh: [self._apply(i, None, []) for i in fresh])
        reference = ci_import(actor=admin, source=discovery, items=mixed(estate), dry_run=False)
    assert summary(bulk) == summary(reference)
    assert bulk_written == written()
    assert [i.outcome for i in bulk.items] == [
        "created", "rejected", "created", "rejected", "rejected", "updated", "created", "created", "created"
    ]  # fmt: skip
    assert bulk.items[3].problems == {"identification": ["serial=s1 is already one"]}
    assert list(bulk.items[1].problems) == ["attributes.cpu_cores"] and list(bulk.items[4].problems) == ["name"]


def test_each_new_ci_has_its_audit_entry_event_keys_and_provenance_and_the_chain_holds(admin, discovery):
    items = [server(f"k{n}", f"srv-{n}", serial=f"S{n}") for n in range(6)]
    items[3] = server("k3", "bad", cpu_cores="many")
    report = ci_import(actor=admin, source=discovery, items=items, dry_run=False)
    created = [i.ci for i in report.items if i.outcome == "created"]
    assert len(created) == 5 and report.items[3].outcome == "rejected"
    entries = AuditEntry.objects.filter(action="ci.created")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(created)
    entry = entries.get(object_id=report.items[0].ci)
    assert entry.after["attributes"] == {"serial": "S0"} and entry.after["source"] == "discovery"
    assert (entry.after["name"], entry.after["ci_class"], entry.before) == ("srv-0", "server", None)
    events = OutboxEvent.objects.filter(name="cmdb.ci.created")
    assert sorted(events.values_list("key", flat=True)) == sorted(created)
    assert events.get(key=created[0]).payload == {"ci_id": created[0], "ci_class": "server"}
    assert set(CIIdentifier.objects.values_list("value", flat=True)) == {f"s{n}" for n in (0, 1, 2, 4, 5)}
    assert SourceKey.objects.count() == 5
    ci = ConfigurationItem.objects.get(pk=created[0])
    assert ci.provenance["serial"]["source"] == "discovery" and ci.version == 1
    assert audit.verify().ok


def test_importing_200_new_cis_costs_a_bounded_number_of_queries(admin, discovery, django_assert_max_num_queries):
    items = [server(f"k{n}", f"srv-{n}", serial=f"S{n}", fqdn=f"s{n}.force") for n in range(200)]
    with django_assert_max_num_queries(40):
        report = ci_import(actor=admin, source=discovery, items=items, dry_run=False)
    assert [i.outcome for i in report.items] == ["created"] * 200
    assert AuditEntry.objects.filter(action="ci.created").count() == 200
    assert OutboxEvent.objects.filter(name="cmdb.ci.created").count() == 200
    assert audit.verify().ok


def test_a_key_taken_by_another_writer_meanwhile_falls_back_to_one_by_one(estate, admin, discovery, monkeypatch):
    bulk_create = reconcile.ci_create_many

    def raced(**kwargs):  # another writer records the second server's serial between lookup and insert
        ci_create(actor=admin, ci_class="server", name="other", owner=estate.integrator, attributes={"serial": "S2"})
        monkeypatch.setattr(reconcile, "ci_create_many", bulk_create)
        bulk_create(**kwargs)

    monkeypatch.setattr(reconcile, "ci_create_many", raced)
    items = [server("k1", "one", serial="S1"), server("k2", "two", serial="S2"), server("k3", "three", serial="S3")]
    report = ci_import(actor=admin, source=discovery, items=items, dry_run=False)
    assert [i.outcome for i in report.items] == ["created", "rejected", "created"]
    assert report.items[1].problems == {"identification": ["serial=s2 is already other"]}
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"one", "other", "three"}
    assert AuditEntry.objects.filter(action="ci.created").count() == 3  # "other" and the two imported
    assert audit.verify().ok


def test_a_dry_run_of_new_cis_reports_what_the_real_run_does_and_writes_nothing(estate, admin, discovery):
    AttributeRuleFactory(ci_class="server", attribute="os", source=DataSourceFactory(code="dcim"), priority=1)
    items = [*mixed(estate), server("n9", "five", os="RHEL 9")]  # the os is not the discovery's to write
    counts = (ConfigurationItem.objects.count(), AuditEntry.objects.count(), OutboxEvent.objects.count())
    dry = ci_import(actor=admin, source=discovery, items=items, dry_run=True)
    assert (ConfigurationItem.objects.count(), AuditEntry.objects.count(), OutboxEvent.objects.count()) == counts
    real = ci_import(actor=admin, source=discovery, items=items, dry_run=False)
    assert summary(dry) == summary(real)
    assert summary(real)[-1] == ("created", {}, [("os", "not_authoritative")])
    assert real.items[-1].conflicts[0].ci == real.items[-1].ci


def test_permission_is_checked_for_each_new_ci(estate, discovery):
    network = actor_of(estate.network_admin)
    own = DataSourceFactory(code="net-scan", organisation=estate.network)
    report = ci_import(
        actor=network,
        source=own,
        items=[server("a", "mine", owner="network"), server("b", "theirs"), server("c", "also-mine", owner="network")],
        dry_run=False,
    )
    assert [i.outcome for i in report.items] == ["created", "rejected", "created"]
    assert "own organisation" in report.items[1].problems["ci"][0]
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"mine", "also-mine"}
