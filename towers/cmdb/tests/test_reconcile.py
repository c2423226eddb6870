from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem, Relationship, SourceKey
from towers.cmdb.reconciliation import Authority, dependency_levels, items_from_csv, judge
from towers.cmdb.services.items import ci_create
from towers.cmdb.services.reconcile import ci_import
from towers.cmdb.tests.factories import AttributeRuleFactory, DataSourceFactory
from towers.core.errors import Forbidden, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(estate):
    return actor_of(estate.authority_admin)


@pytest.fixture
def dcim(estate):
    return DataSourceFactory(code="dcim", organisation=estate.integrator, priority=10)


@pytest.fixture
def discovery(estate):
    return DataSourceFactory(code="discovery", organisation=estate.integrator, priority=20)


def server(native_key="", name="srv", owner="integrator", **attributes):
    return {"class": "server", "native_key": native_key, "name": name, "owner": owner, "attributes": attributes}


def run(actor, source, *items, dry_run=False):
    return ci_import(actor=actor, source=source, items=list(items), dry_run=dry_run)


def outcomes(report):
    return [item.outcome for item in report.items]


def test_the_next_import_from_a_source_finds_the_ci_by_its_native_key(admin, discovery):
    first = run(admin, discovery, server("vm-1", "srv-a", serial="S1"))
    second = run(admin, discovery, server("vm-1", "srv-a2", serial="S2"))
    assert (outcomes(first), outcomes(second)) == (["created"], ["updated"])
    ci = ConfigurationItem.objects.get()
    assert (str(ci.pk), ci.name, ci.attributes) == (first.items[0].ci, "srv-a2", {"serial": "S2"})
    assert SourceKey.objects.get(source=discovery, native_key="vm-1").ci == ci


def test_a_known_ci_is_identified_by_serial_and_the_sources_key_remembered(admin, estate, discovery):
    existing = ci_create(
        actor=admin, ci_class="server", name="srv-a", owner=estate.integrator, attributes={"serial": "AB1"}
    )
    report = run(admin, discovery, server("d-7", "srv-a", serial="ab1", os="RHEL 9"))
    assert (outcomes(report), report.items[0].ci) == (["updated"], str(existing.pk))
    assert SourceKey.objects.get(native_key="d-7").ci_id == existing.pk
    existing.refresh_from_db()
    assert existing.attributes["os"] == "RHEL 9"


def test_without_a_serial_the_fqdn_identifies_the_server(admin, estate, discovery):
    existing = ci_create(
        actor=admin,
        ci_class="server",
        name="db1",
        owner=estate.integrator,
        attributes={"serial": "X", "fqdn": "db1.force"},
    )
    report = run(admin, discovery, server("d-1", "db1", fqdn="DB1.force", ram_gb="64"))
    assert report.items[0].ci == str(existing.pk)
    assert ConfigurationItem.objects.count() == 1


def test_a_database_is_identified_by_its_name_on_the_server_it_runs_on(admin, discovery, dcim):
    def database(native_key, target, **attributes):
        return {"class": "database", "native_key": native_key, "name": "CRIMEDB", "owner": "apps",
                "attributes": attributes, "relationships": [{"type": "runs_on", "target": target}]}  # fmt: skip

    first = run(
        admin,
        discovery,
        server("h1", "host-1", fqdn="h1.force"),
        server("h2", "host-2", fqdn="h2.force"),
        database("db-1", {"native_key": "h1"}),
        database("db-2", {"class": "server", "native_key": "h2"}),
    )
    assert outcomes(first) == ["created"] * 4
    host1, _, db1, db2 = (item.ci for item in first.items)
    assert db1 != db2  # one name, two servers: two databases
    assert Relationship.objects.filter(source_id=db1, target_id=host1, type="runs_on").exists()
    # Another source knows none of these native keys, and lists a database before the server it runs on: the
    # server must be identified (by FQDN) first, so that the database can be, by its name on that server.
    second = run(
        admin,
        dcim,
        database("x1", {"native_key": "r-h1"}, engine="Oracle"),
        server("r-h1", "host-1", fqdn="h1.force"),
        database("x2", {"class": "server", "attributes": {"fqdn": "h2.force"}}),
    )
    assert [(i.outcome, i.ci) for i in second.items] == [("updated", db1), ("unchanged", host1), ("unchanged", db2)]
    assert ConfigurationItem.objects.get(pk=db1).attributes == {"engine": "Oracle"}
    assert ConfigurationItem.objects.filter(ci_class="database").count() == 2


def test_importing_the_same_batch_again_changes_nothing(admin, discovery):
    items = [
        server("h1", "host-1", fqdn="h1.force"),
        {"class": "database", "native_key": "d1", "name": "CRIMEDB", "owner": "apps",
         "relationships": [{"type": "runs_on", "target": {"native_key": "h1"}}]},
    ]  # fmt: skip
    first = run(admin, discovery, *items)
    again = run(admin, discovery, *items)
    assert (outcomes(first), outcomes(again)) == (["created", "created"], ["unchanged", "unchanged"])
    assert [i.ci for i in again.items] == [i.ci for i in first.items]


def test_a_fresh_value_from_a_higher_priority_source_is_kept_and_the_conflict_reported(admin, dcim, discovery):
    AttributeRuleFactory(ci_class="server", attribute="os", source=dcim, priority=1, stale_after=timedelta(days=30))
    AttributeRuleFactory(ci_class="server", attribute="os", source=discovery, priority=2)
    ci_id = run(admin, dcim, server("r1", serial="S1", os="RHEL 9")).items[0].ci
    report = run(admin, discovery, server("d1", serial="S1", os="RHEL 8", fqdn="srv.force"))
    item = report.items[0]
    assert (item.outcome, item.ci) == ("updated", ci_id)  # the FQDN, which nobody rules, was written
    [conflict] = item.conflicts
    assert (conflict.ci, conflict.attribute, conflict.reason) == (ci_id, "os", "higher_priority")
    assert (conflict.current_value, conflict.current_source) == ("RHEL 9", "dcim")
    assert (conflict.incoming_value, conflict.incoming_source) == ("RHEL 8", "discovery")
    assert ConfigurationItem.objects.get().attributes == {"serial": "S1", "os": "RHEL 9", "fqdn": "srv.force"}


def test_without_rules_the_sources_default_priority_decides(admin, dcim, discovery):
    run(admin, dcim, server("r1", serial="S1", os="RHEL 9"))
    refused = run(admin, discovery, server("d1", serial="S1", os="RHEL 8")).items[0]
    assert [(c.attribute, c.reason) for c in refused.conflicts] == [("os", "higher_priority")]
    # The other way round, the better source overwrites.
    run(admin, discovery, server("d2", serial="S2", os="Windows"))
    assert run(admin, dcim, server("r2", serial="S2", os="Linux")).items[0].outcome == "updated"
    assert ConfigurationItem.objects.get(attributes__serial="S2").provenance["os"]["source"] == "dcim"


def test_the_same_value_once_stale_is_overwritten(admin, dcim, discovery):
    AttributeRuleFactory(ci_class="server", attribute="os", source=dcim, priority=1, stale_after=timedelta(days=30))
    AttributeRuleFactory(ci_class="server", attribute="os", source=discovery, priority=2)
    run(admin, dcim, server("r1", serial="S1", os="RHEL 9"))
    ci = ConfigurationItem.objects.get()
    long_ago = (timezone.now() - timedelta(days=31)).isoformat()
    ConfigurationItem.objects.filter(pk=ci.pk).update(provenance={"os": {"source": "dcim", "at": long_ago}})
    item = run(admin, discovery, server("d1", serial="S1", os="RHEL 8")).items[0]
    assert (item.outcome, item.conflicts) == ("updated", [])
    ci.refresh_from_db()
    assert (ci.attributes["os"], ci.provenance["os"]["source"]) == ("RHEL 8", "discovery")


def test_a_source_that_keeps_reporting_its_value_keeps_it_fresh(admin, dcim, discovery):
    AttributeRuleFactory(ci_class="server", attribute="os", source=dcim, priority=1, stale_after=timedelta(days=30))
    AttributeRuleFactory(ci_class="server", attribute="os", source=discovery, priority=2)
    run(admin, dcim, server("r1", serial="S1", os="RHEL 9"))
    long_ago = (timezone.now() - timedelta(days=31)).isoformat()
    ConfigurationItem.objects.update(provenance={"os": {"source": "dcim", "at": long_ago}})
    assert outcomes(run(admin, dcim, server("r1", serial="S1", os="RHEL 9"))) == ["unchanged"]
    item = run(admin, discovery, server("d1", serial="S1", os="RHEL 8")).items[0]
    assert [c.reason for c in item.conflicts] == ["higher_priority"]


def test_a_source_the_rules_do_not_name_may_not_write_the_attribute(admin, dcim, discovery):
    AttributeRuleFactory(ci_class="server", attribute="serial", source=dcim, priority=1)
    created = run(admin, discovery, server("d1", "srv", serial="S1", fqdn="srv.force")).items[0]
    assert [(c.attribute, c.reason, c.ci) for c in created.conflicts] == [("serial", "not_authoritative", created.ci)]
    assert ConfigurationItem.objects.get().attributes == {"fqdn": "srv.force"}
    run(admin, dcim, server("r1", "srv", serial="S1", fqdn="srv.force"))  # the DCIM finds it by FQDN
    refused = run(admin, discovery, server("d1", "srv", serial="S2")).items[0]
    assert [(c.attribute, c.current_value, c.reason) for c in refused.conflicts] == [
        ("serial", "S1", "not_authoritative")
    ]
    assert ConfigurationItem.objects.get().attributes["serial"] == "S1"


def test_provenance_and_audit_record_the_source(admin, discovery):
    report = run(
        admin,
        discovery,
        server("h1", "host", fqdn="h.force"),
        {"class": "application", "native_key": "a1", "name": "Crime", "owner": "apps",
         "relationships": [{"type": "runs_on", "target": {"native_key": "h1"}}]},
    )  # fmt: skip
    host = ConfigurationItem.objects.get(pk=report.items[0].ci)
    assert host.provenance["fqdn"]["source"] == "discovery"
    assert AuditEntry.objects.get(action="ci.created", object_id=str(host.pk)).after["source"] == "discovery"
    assert AuditEntry.objects.get(action="ci.related").after["source"] == "discovery"


def test_a_dry_run_changes_nothing_and_reports_what_a_real_run_does(admin, estate, dcim, discovery):
    AttributeRuleFactory(ci_class="server", attribute="serial", source=dcim, priority=1)
    ci_create(actor=admin, ci_class="server", name="old", owner=estate.integrator, attributes={"fqdn": "old.force"})
    items = [
        server("n1", "new", fqdn="new.force"),
        server("o1", "old", fqdn="old.force", serial="S9"),
        server("bad", "bad", cpu_cores="many"),
        {"class": "application", "native_key": "a1", "name": "App", "owner": "apps",
         "relationships": [{"type": "runs_on", "target": {"native_key": "n1"}}]},
    ]  # fmt: skip
    counts = (ConfigurationItem.objects.count(), AuditEntry.objects.count(), SourceKey.objects.count())
    dry = run(admin, discovery, *items, dry_run=True)
    assert (ConfigurationItem.objects.count(), AuditEntry.objects.count(), SourceKey.objects.count()) == counts
    real = run(admin, discovery, *items)

    def summary(report):
        return [(i.outcome, i.problems, [(c.attribute, c.reason) for c in i.conflicts]) for i in report.items]

    assert summary(dry) == summary(real)
    assert outcomes(real) == ["created", "unchanged", "rejected", "created"]
    assert (dry.dry_run, real.dry_run) == (True, False)


def test_more_than_500_items_are_refused_whole(admin, discovery):
    with pytest.raises(ValidationFailed, match="at most 500 items"):
        run(admin, discovery, *[server(f"k{n}", f"s{n}") for n in range(501)])
    assert not ConfigurationItem.objects.exists()


def test_a_rejected_item_names_the_field_and_leaves_the_others_applied(admin, discovery):
    report = run(
        admin,
        discovery,
        server("ok-1", "one"),
        {"class": "spaceship", "name": "x", "owner": "integrator"},
        server("k3", "typed", cpu_cores="many"),
        server("k4", "orphan", owner="nobody"),
        {**server("k5", "lost"), "relationships": [{"type": "runs_on", "target": {"native_key": "nowhere"}}]},
        server("ok-2", "two"),
    )
    assert outcomes(report) == ["created", "rejected", "rejected", "rejected", "rejected", "created"]
    assert [list(item.problems) for item in report.items[1:5]] == [
        ["class"],
        ["attributes.cpu_cores"],
        ["owner"],
        ["relationships[0].target"],
    ]
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"one", "two"}
    assert report.totals() == {"items": 6, "created": 2, "updated": 0, "unchanged": 0, "rejected": 4, "conflicts": 0}


def test_an_item_matching_two_cis_is_a_conflict_and_nothing_is_written(admin, estate, discovery):
    a = ci_create(actor=admin, ci_class="server", name="a", owner=estate.integrator, attributes={"serial": "S1"})
    ci_create(actor=admin, ci_class="server", name="b", owner=estate.integrator, attributes={"fqdn": "b.force"})
    item = run(admin, discovery, server("d1", "ab", serial="S1", fqdn="b.force", os="x")).items[0]
    assert (item.outcome, [c.reason for c in item.conflicts]) == ("rejected", ["ambiguous"])
    assert str(a.pk) in item.conflicts[0].detail
    assert not SourceKey.objects.exists()
    assert not ConfigurationItem.objects.filter(attributes__has_key="os").exists()


def test_a_supplier_may_not_change_another_organisations_cis_or_use_its_sources(estate, discovery):
    admin = actor_of(estate.authority_admin)
    theirs = ci_create(actor=admin, ci_class="server", name="apps-host", owner=estate.applications,
                       attributes={"serial": "Z1"})  # fmt: skip
    network = actor_of(estate.network_admin)
    own_source = DataSourceFactory(code="net-scan", organisation=estate.network)
    report = run(
        network,
        own_source,
        server("n1", "x", owner="network", serial="Z1", os="hacked"),
        server("n2", "mine", owner="network"),
    )
    assert outcomes(report) == ["rejected", "created"]
    assert "may not change" in report.items[0].problems["ci"][0]
    assert report.items[0].conflicts == []  # nothing of the CI's values is shown either
    theirs.refresh_from_db()
    assert "os" not in theirs.attributes
    with pytest.raises(Forbidden):
        run(network, discovery, server("n3", "y", owner="network"))


def test_a_conflict_does_not_show_a_supplier_the_costs_it_may_not_see(estate, dcim):
    admin = actor_of(estate.authority_admin)
    supported = {"owner": estate.authority, "support_team": estate.applications_team}
    ci_create(
        actor=admin, ci_class="application", name="ERP", attributes={"licence_cost": 120000}, source="dcim", **supported
    )
    register = DataSourceFactory(code="apps-register", organisation=estate.applications, priority=50)
    item = {"class": "application", "native_key": "erp", "name": "ERP", "owner": "authority",
            "attributes": {"licence_cost": 1, "vendor": "Acme"}}  # fmt: skip
    report = run(actor_of(estate.applications_admin), register, item)
    [conflict] = report.items[0].conflicts
    assert (report.items[0].outcome, conflict.attribute, conflict.reason) == (
        "updated",
        "licence_cost",
        "higher_priority",
    )
    assert conflict.current_value is None
    assert run(admin, dcim, {**item, "attributes": {"licence_cost": 2}}).items[0].outcome == "updated"


def test_items_in_a_cycle_are_all_applied_and_linked(admin, discovery):
    def app(key, other):
        return {"class": "application", "native_key": key, "name": key, "owner": "apps",
                "relationships": [{"type": "depends_on", "target": {"native_key": other}}]}  # fmt: skip

    report = run(admin, discovery, app("a", "b"), app("b", "a"))
    assert outcomes(report) == ["created", "created"]
    assert Relationship.objects.count() == 2


def test_reimporting_unchanged_items_costs_about_one_query_each(admin, discovery, django_assert_max_num_queries):
    items = [server(f"k{n}", f"srv-{n}", serial=f"S{n}", fqdn=f"s{n}.force") for n in range(30)]
    run(admin, discovery, *items)
    with django_assert_max_num_queries(15 + 30):
        report = run(admin, discovery, *items)
    assert outcomes(report) == ["unchanged"] * 30


# The pure parts


NOW = datetime(2026, 3, 1, tzinfo=UTC)


def stamp(source, days_ago):
    return {"source": source, "at": (NOW - timedelta(days=days_ago)).isoformat()}


@pytest.mark.parametrize(
    ("source", "priority", "current", "rules", "allowed", "reason"),
    [
        ("b", 20, stamp("a", 1), [], False, "higher_priority"),  # defaults: a (10) outranks b (20)
        ("a", 10, stamp("b", 1), [], True, ""),
        ("b", 20, stamp("b", 900), [], True, ""),  # a source may always change its own value
        ("b", 20, None, [Authority("a", 1)], False, "not_authoritative"),
        ("b", 20, stamp("a", 1), [Authority("a", 1, timedelta(days=7)), Authority("b", 2)], False, "higher_priority"),
        ("b", 20, stamp("a", 8), [Authority("a", 1, timedelta(days=7)), Authority("b", 2)], True, ""),
        ("b", 20, stamp("a", 900), [Authority("a", 1), Authority("b", 2)], False, "higher_priority"),  # never stale
        ("a", 10, stamp("b", 0), [Authority("a", 1), Authority("b", 2)], True, ""),
        ("b", 20, stamp("gone", 0), [Authority("b", 2)], True, ""),  # a holder the rules dropped has no standing
        ("b", 20, None, [], True, ""),  # typed in by a person
    ],
)
def test_judge(source, priority, current, rules, allowed, reason):
    verdict = judge(
        source=source, priority=priority, stamp=current, rules=rules, priorities={"a": 10, "b": 20}, now=NOW
    )
    assert (verdict.allowed, verdict.reason) == (allowed, reason)


def test_dependency_levels_put_targets_first_and_cycles_last():
    assert dependency_levels([{1}, set(), {0}, {4}, {3}]) == [[1], [0], [2], [3, 4]]


def test_csv_rows_become_items_with_attributes_and_relationships():
    text = (
        "class,native_key,name,owner,criticality,attr.serial,rel.runs_on\n"
        "server,h1,srv-1,integrator,2,S1,\n"
        "database,d1,CRIMEDB,apps,,,h1; server:fqdn=srv-1.force ;VC:vm=1\n"
    )
    server_row, database_row = items_from_csv(text)
    assert server_row == {"line": 2, "class": "server", "native_key": "h1", "name": "srv-1", "owner": "integrator",
                          "criticality": "2", "attributes": {"serial": "S1"}, "relationships": []}  # fmt: skip
    assert database_row["line"] == 3 and database_row["attributes"] == {}
    assert database_row["relationships"] == [
        {"type": "runs_on", "target": {"native_key": "h1"}},
        {"type": "runs_on", "target": {"class": "server", "attributes": {"fqdn": "srv-1.force"}}},
        {"type": "runs_on", "target": {"native_key": "VC:vm=1"}},
    ]


def test_a_csv_header_with_unknown_columns_is_refused_naming_them():
    with pytest.raises(ValueError, match="unknown column"):
        items_from_csv("class,name,colour\nserver,x,red\n")
