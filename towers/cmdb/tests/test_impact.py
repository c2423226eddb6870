import random
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja import NinjaAPI
from ninja.testing import TestClient

from towers.cmdb.api_impact import impact_router
from towers.cmdb.impact import NOT_VISIBLE, impact_of
from towers.cmdb.models import AT_RISK_ONLY, IMPACT_DIRECTION, RelationshipType
from towers.cmdb.tests.factories import ConfigurationItemFactory, RelationshipFactory
from towers.contracts.tests.factories import ServiceFactory, ServiceLevelFactory, ServiceOfferingFactory
from towers.core.api import install_error_handlers
from towers.core.errors import ValidationFailed
from towers.organisations.auth import TokenAuth
from towers.organisations.models import ApiToken
from towers.organisations.tests.factories import ApiTokenFactory, actor_of

pytestmark = pytest.mark.django_db


def ci(name, ci_class="server", owner=None, **fields):
    return ConfigurationItemFactory(name=name, ci_class=ci_class, **({"owner": owner} if owner else {}), **fields)


def link(source, type, target):
    RelationshipFactory(source=source, type=type, target=target)


def depths(report):
    return {i.name: (i.depth, i.severity) for i in report.impacted}


def trail(impacted):
    return [(step.name, step.via) for step in impacted.path]


def test_a_data_centre_outage_reaches_business_services_through_the_stack_with_depths_and_paths(estate):
    dc, other_dc = ci("DC North", "data_centre"), ci("DC South", "data_centre")
    rack = ci("DC North rack 1", "rack")
    server, vm = ci("esx-n01"), ci("vm-crime-db", "virtual_machine")
    database, app = ci("CRIMEDB", "database"), ci("Crime records", "application")
    service = ci("Crime recording", "business_service")
    link(dc, "contains", rack)
    link(server, "hosted_in", rack)
    link(vm, "runs_on", server)
    link(database, "runs_on", vm)
    link(app, "depends_on", database)
    link(service, "depends_on", app)
    link(ci("esx-s01"), "hosted_in", other_dc)

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[dc])

    assert depths(report) == {
        "DC North": (0, "down"),
        "DC North rack 1": (1, "down"),
        "esx-n01": (2, "down"),
        "vm-crime-db": (3, "down"),
        "CRIMEDB": (4, "down"),
        "Crime records": (5, "down"),
        "Crime recording": (6, "down"),
    }
    assert trail(report.business_services[0]) == [
        ("DC North", ""),
        ("DC North rack 1", "contains"),
        ("esx-n01", "hosted_in"),
        ("vm-crime-db", "runs_on"),
        ("CRIMEDB", "runs_on"),
        ("Crime records", "depends_on"),
        ("Crime recording", "depends_on"),
    ]
    assert [d.name for d in report.databases] == ["CRIMEDB"]
    assert [a.name for a in report.applications] == ["Crime records"]
    assert report.counts["virtual_machine"] == 1
    assert not report.depth_limit_reached


def test_an_outage_travels_against_the_arrow_for_dependencies_and_with_it_for_contains(estate):
    admin = actor_of(estate.authority_admin)
    location, laptop = ci("Riverside police station", "location"), ci("LT-0001", "end_user_device")
    app, database = ci("Custody suite", "application"), ci("CUSTODYDB", "database")
    link(location, "contains", laptop)
    link(app, "depends_on", database)

    assert depths(impact_of(actor=admin, cis=[location])) == {
        "Riverside police station": (0, "down"),
        "LT-0001": (1, "down"),
    }
    assert depths(impact_of(actor=admin, cis=[laptop])) == {"LT-0001": (0, "down")}
    assert depths(impact_of(actor=admin, cis=[app])) == {"Custody suite": (0, "down")}


def test_losing_a_backup_target_leaves_what_it_backs_up_at_risk_and_at_risk_spreads_as_at_risk(estate):
    san = ci("DC South SAN", "storage")
    database, app = ci("CRIMEDB", "database"), ci("Crime records", "application")
    link(database, "backed_up_by", san)
    link(app, "depends_on", database)

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[san])

    assert depths(report) == {"DC South SAN": (0, "down"), "CRIMEDB": (1, "at_risk"), "Crime records": (2, "at_risk")}
    assert trail(report.applications[0])[1:] == [("CRIMEDB", "backed_up_by"), ("Crime records", "depends_on")]


def test_a_ci_at_risk_on_a_short_path_but_down_on_a_longer_one_is_down_and_explained_by_the_longer(estate):
    san, vm, database = ci("SAN", "storage"), ci("vm-db", "virtual_machine"), ci("CRIMEDB", "database")
    link(database, "backed_up_by", san)  # at risk after one step
    link(vm, "depends_on", san)
    link(database, "runs_on", vm)  # down after two

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[san])

    assert depths(report)["CRIMEDB"] == (2, "down")
    assert trail(report.databases[0]) == [("SAN", ""), ("vm-db", "depends_on"), ("CRIMEDB", "runs_on")]


def test_a_diamond_lists_each_ci_once_at_its_shortest_depth(estate):
    database = ci("ERPDB", "database")
    left, right = ci("ERP api", "application_service"), ci("ERP batch", "application_service")
    app, service = ci("ERP", "application"), ci("HR and payroll", "business_service")
    for middle in (left, right):
        link(middle, "depends_on", database)
        link(app, "depends_on", middle)
    link(app, "depends_on", database)  # and a short cut
    link(service, "depends_on", app)

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[database])

    assert [i.name for i in report.impacted].count("ERP") == 1
    assert depths(report) == {
        "ERPDB": (0, "down"),
        "ERP api": (1, "down"),
        "ERP batch": (1, "down"),
        "ERP": (1, "down"),
        "HR and payroll": (2, "down"),
    }
    assert trail(report.business_services[0]) == [
        ("ERPDB", ""),
        ("ERP", "depends_on"),
        ("HR and payroll", "depends_on"),
    ]


def test_a_cycle_of_dependencies_terminates_with_each_ci_once(estate):
    a, b, c = ci("a", "application"), ci("b", "application"), ci("c", "application")
    link(a, "depends_on", b)
    link(b, "depends_on", c)
    link(c, "depends_on", a)

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[a])

    assert depths(report) == {"a": (0, "down"), "c": (1, "down"), "b": (2, "down")}


def test_max_depth_stops_the_walk_and_says_so(estate):
    chain = [ci(f"app-{n}", "application") for n in range(7)]
    for upper, lower in zip(chain[1:], chain, strict=False):
        link(upper, "depends_on", lower)
    admin = actor_of(estate.authority_admin)

    short = impact_of(actor=admin, cis=[chain[0]], max_depth=3)
    full = impact_of(actor=admin, cis=[chain[0]])

    assert sorted(depths(short).values()) == [(n, "down") for n in range(4)]
    assert short.depth_limit_reached
    assert len(full.impacted) == 7 and not full.depth_limit_reached
    with pytest.raises(ValidationFailed):
        impact_of(actor=admin, cis=[chain[0]], max_depth=0)


def test_several_failed_cis_count_each_impacted_ci_once_from_the_nearest(estate):
    north, south = ci("core-sw-n", "network_device"), ci("core-sw-s", "network_device")
    wan = [ci(f"WAN {n}", "network_link") for n in range(3)]
    link(wan[0], "depends_on", north)
    link(wan[1], "depends_on", south)
    link(wan[2], "depends_on", north)
    link(wan[2], "connects_to", wan[1])
    san = ci("SAN", "storage")
    database = ci("DB", "database")
    link(database, "backed_up_by", san)

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[north, south], at_risk=[database])

    assert depths(report) == {
        "core-sw-n": (0, "down"),
        "core-sw-s": (0, "down"),
        "WAN 0": (1, "down"),
        "WAN 1": (1, "down"),
        "WAN 2": (1, "down"),
        "DB": (0, "at_risk"),
    }
    assert set(report.failed) == {north.id, south.id, database.id}


def test_service_levels_suppliers_people_and_locations_of_an_outage_are_reported(estate):
    service = ServiceFactory(owner=estate.integrator, name="Application support")
    offering = ServiceOfferingFactory(service=service, supplier=estate.applications, name="Crime systems")
    promised = ServiceLevelFactory(service=service, provider=estate.integrator, customer=estate.authority)
    ServiceLevelFactory(service=ServiceFactory(owner=estate.integrator), customer=estate.authority)  # unrelated
    ServiceLevelFactory(service=service, customer=estate.authority, is_active=False)
    database = ci("CRIMEDB", "database", owner=estate.applications)
    app = ci("Crime records", "application", owner=estate.applications)
    offering_ci = ci("Crime systems", "service_offering", estate.applications, offering=offering)
    offering_ci.attributes = {"users": 500}
    offering_ci.save()
    business = ci("Crime", "business_service", estate.authority, service=service, attributes={"users": 9000})
    link(app, "depends_on", database)
    link(offering_ci, "depends_on", app)
    link(business, "depends_on", offering_ci)
    switch, wan = ci("core-sw", "network_device", estate.network), ci("WAN 1", "network_link", estate.network)
    station = ci("Harbour police station", "location", estate.authority, attributes={"staff": 150})
    link(wan, "depends_on", switch)
    link(station, "connects_to", wan)

    report = impact_of(actor=actor_of(estate.authority_admin), cis=[database, switch])

    assert [sl.id for sl in report.service_levels] == [promised.id]
    assert {s.code: s.accountable_as for s in report.suppliers} == {
        "integrator": ("service owner",),
        "apps": ("CI owner", "offering supplier"),
        "network": ("CI owner",),
    }
    assert report.people_served == 9500
    assert (report.locations, report.staff) == (1, 150)
    assert [s.name for s in report.business_services] == ["Crime"]
    assert [s.name for s in report.service_offerings] == ["Crime systems"]
    # The network supplier sees its own CIs of the same outage, and none of the others' promises or figures.
    network = impact_of(actor=actor_of(estate.network_admin), cis=[switch])
    assert network.service_levels == () and [s.code for s in network.suppliers] == ["network"]
    assert (network.people_served, network.locations, network.hidden) == (0, 0, 1)


def _station_behind_a_wan_link(estate):
    """A network-owned WAN link; the authority's station on it contains a network-owned switch and a laptop."""
    wan = ci("WAN Harbour", "network_link", estate.network)
    station = ci("Harbour police station", "location", estate.authority)
    switch = ci("Harbour access switch", "network_device", estate.network)
    link(station, "connects_to", wan)
    link(station, "contains", switch)
    link(station, "contains", ci("LT-0042", "end_user_device", estate.integrator))
    return wan, switch


def test_a_supplier_sees_only_the_cis_it_may_and_not_visible_stands_in_inside_paths(estate):
    wan, _switch = _station_behind_a_wan_link(estate)

    supplier = impact_of(actor=actor_of(estate.network_admin), cis=[wan])
    authority = impact_of(actor=actor_of(estate.authority_admin), cis=[wan])

    assert [i.name for i in supplier.impacted] == ["WAN Harbour", "Harbour access switch"]
    assert supplier.hidden == 2 and supplier.locations == 0
    assert trail(supplier.impacted[1]) == [
        ("WAN Harbour", ""),
        (NOT_VISIBLE, "connects_to"),
        ("Harbour access switch", "contains"),
    ]
    assert supplier.impacted[1].path[1].id is None and supplier.impacted[1].path[1].ci_class == ""
    assert NOT_VISIBLE not in str(supplier.suppliers)
    assert authority.hidden == 0 and authority.total == 4 and authority.locations == 1


def _estate_of(size, owner):
    """`size` applications in layers of three times as many, each depending on two CIs of the layer below."""
    database = ci(f"DB-{size}", "database", owner)
    layer, left = [database], size
    while left > 0:
        upper = [ci(f"app-{size}-{left - n}", "application", owner) for n in range(min(left, 3 * len(layer)))]
        for n, app in enumerate(upper):
            link(app, "depends_on", layer[n % len(layer)])
            link(app, "backed_up_by", layer[(n + 1) % len(layer)])
        left -= len(upper)
        layer = upper
    return database


@pytest.mark.parametrize("actor_name", ["authority_admin", "network_admin"])
def test_the_impact_costs_the_same_few_queries_whatever_the_size_of_the_graph(estate, actor_name):
    actor = actor_of(getattr(estate, actor_name))
    small, large = _estate_of(3, estate.network), _estate_of(120, estate.network)

    with CaptureQueriesContext(connection) as few:
        few_report = impact_of(actor=actor, cis=[small])
    with CaptureQueriesContext(connection) as many:
        many_report = impact_of(actor=actor, cis=[large])

    assert (few_report.total, many_report.total) == (4, 121)
    # The walk (on PostgreSQL with its work_mem setting, in a savepoint here), the service levels, the suppliers.
    assert len(few) == len(many) <= 6, [q["sql"][:60] for q in many.captured_queries]


def _reference_walk(edges, roots, max_depth):
    """Breadth-first over (CI, at risk) states in Python: what the SQL must agree with."""
    following = defaultdict(list)
    for source, target, type in edges:
        if IMPACT_DIRECTION[type] == "up":
            following[target].append((source, type))
        else:
            following[source].append((target, type))
    seen = {(root, 0): 0 for root in roots}
    frontier = list(seen)
    for depth in range(1, max_depth + 1):
        reached = []
        for ci_id, risk in frontier:
            for nxt, type in following[ci_id]:
                state = (nxt, int(risk or type in AT_RISK_ONLY))
                if state not in seen:
                    seen[state] = depth
                    reached.append(state)
        frontier = reached
    result = {}
    for (ci_id, risk), depth in seen.items():
        if risk == 0 or (ci_id, 0) not in seen:
            result[ci_id] = (depth, "at_risk" if risk else "down")
    return result, following


@pytest.mark.parametrize("seed", range(4))
def test_the_sql_walk_agrees_with_a_breadth_first_walk_on_random_graphs(estate, seed):
    rng = random.Random(seed)
    nodes = [ci(f"n{seed}-{n:02d}", "application") for n in range(30)]
    edges = set()
    while len(edges) < 70:
        source, target = rng.sample(nodes, 2)
        edges.add((source.id, target.id, rng.choice(list(RelationshipType))))
    by_id = {node.id: node for node in nodes}
    for source, target, type in edges:
        link(by_id[source], type, by_id[target])
    roots, max_depth = rng.sample(nodes, 2), rng.choice([2, 4, 15])

    report = impact_of(actor=actor_of(estate.authority_admin), cis=roots, max_depth=max_depth)
    expected, following = _reference_walk(edges, [r.id for r in roots], max_depth)

    assert {i.id: (i.depth, i.severity) for i in report.impacted} == expected
    for impacted in report.impacted:  # each path is a real chain of impact that explains the severity
        assert impacted.path[0].id in {r.id for r in roots} and impacted.path[-1].id == impacted.id
        assert len(impacted.path) == impacted.depth + 1
        for before, after in zip(impacted.path, impacted.path[1:], strict=False):
            assert (after.id, after.via) in following[before.id]
        assert (impacted.severity == "at_risk") == any(step.via in AT_RISK_ONLY for step in impacted.path)


@pytest.fixture
def api_client():
    api = NinjaAPI(auth=[TokenAuth()], urls_namespace="impact-test")
    install_error_handlers(api)
    api.add_router("", impact_router)
    return TestClient(api)


def _bearer(person, organisation):
    secret = f"twr_impact-{person.username}-abcdefghijklmnopqrstuvwxyz0123456789"
    ApiTokenFactory(secret=secret, person=person, organisation=organisation, scope=ApiToken.Scope.WRITE)
    return {"AUTHORIZATION": f"Bearer {secret}"}


def test_the_impact_route_reports_what_the_caller_may_see(estate, api_client):
    wan, _switch = _station_behind_a_wan_link(estate)
    headers = _bearer(estate.network_admin, estate.network)

    response = api_client.post("/cmdb/impact", json={"cis": [str(wan.id)], "limit": 1}, headers=headers)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["hidden"], len(body["impacted"])) == (2, 2, 1)
    assert body["impacted"][0]["path"] == [
        {"id": str(wan.id), "name": "WAN Harbour", "ci_class": "network_link", "via": ""}
    ]
    assert body["counts"] == {"network_link": 1, "network_device": 1}


def test_the_impact_route_gives_404_for_a_ci_the_caller_may_not_see(estate, api_client):
    hidden = ci("apps-only", "application", estate.applications)
    headers = _bearer(estate.network_admin, estate.network)

    response = api_client.post("/cmdb/impact", json={"cis": [str(hidden.id)]}, headers=headers)

    assert response.status_code == 404
    assert "apps-only" not in response.content.decode()
    owner = _bearer(estate.applications_admin, estate.applications)
    assert api_client.post("/cmdb/impact", json={"cis": [str(hidden.id)]}, headers=owner).status_code == 200
