"""The CMDB screens, driven through Django's test client: list, generated forms, CI page, history, impact."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem, Relationship
from towers.cmdb.services.items import ci_create, ci_update, relationship_create
from towers.cmdb.tests.factories import ConfigurationItemFactory, RelationshipFactory
from towers.cmdb.views.impact import GRAPH_NODES
from towers.contracts.tests.factories import ServiceFactory, ServiceLevelFactory
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of, sign_in

pytestmark = pytest.mark.django_db


def listed(response):
    return [ci.name for ci in response.context["page"].object_list]


def form_data(**overrides):
    """What the generated form posts for a CI with nothing but its common fields filled in."""
    return {"criticality": "3", "environment": "production", "lifecycle": "live"} | overrides


# The list


def test_the_list_filters_by_class_with_its_subclasses_and_by_any_attribute(client, estate):
    admin = actor_of(estate.authority_admin)
    ci_create(actor=admin, ci_class="server", name="srv-a", owner=estate.integrator, attributes={"cpu_cores": 8})
    ci_create(
        actor=admin, ci_class="virtual_machine", name="vm-b", owner=estate.integrator, attributes={"cpu_cores": 8}
    )
    ci_create(actor=admin, ci_class="server", name="srv-c", owner=estate.integrator, attributes={"cpu_cores": 4})
    ci_create(actor=admin, ci_class="application", name="Crime", owner=estate.applications, lifecycle="build")
    sign_in(client, estate.authority_admin)
    url = reverse("ci_list")
    assert listed(client.get(url, {"ci_class": "server"})) == ["srv-a", "srv-c", "vm-b"]
    assert listed(client.get(url, {"ci_class": "server", "attr.cpu_cores": "8"})) == ["srv-a", "vm-b"]
    assert listed(client.get(url, {"lifecycle": "build"})) == ["Crime"]
    assert listed(client.get(url, {"owner": estate.applications.id})) == ["Crime"]
    assert listed(client.get(url, {"search": "SRV"})) == ["srv-a", "srv-c"]
    # An attribute no class has is not a filter (it would become a JSON lookup), not an empty list.
    assert len(listed(client.get(url, {"attr.cpu_cores__gt": "1"}))) == 4
    page = client.get(url, {"ci_class": "virtual_machine"}).content.decode()
    assert 'name="attr_name"' in page and '<option value="hypervisor">' in page
    assert 'hx-get="/configuration-items/"' in page and 'id="results"' in page


def test_adding_an_attribute_filter_leads_to_the_list_filtered_by_it(client, estate):
    sign_in(client, estate.authority_admin)
    query = {"ci_class": "server", "attr_name": "fqdn", "attr_value": " a.example "}
    added = client.get(reverse("ci_list"), query)
    assert added.status_code == 302 and added.url == "/configuration-items/?ci_class=server&attr.fqdn=a.example"
    # From HTMX, the whole page goes there: the form must show the new filter, not only the results.
    refreshed = client.get(reverse("ci_list"), query, HTTP_HX_REQUEST="true")
    assert refreshed.status_code == 200 and refreshed["HX-Redirect"] == added.url
    # Every refresh of the filters sends the pair; left empty it is no filter and no redirect.
    untouched = client.get(reverse("ci_list"), {"ci_class": "server", "attr_name": "", "attr_value": ""})
    assert untouched.status_code == 200
    filtered = client.get(added.url).content.decode()
    assert 'name="attr.fqdn" value="a.example"' in filtered


def test_the_list_costs_the_same_queries_for_ten_cis_as_for_sixty(client, estate, django_assert_max_num_queries):
    def make(count):
        for _ in range(count):
            ConfigurationItemFactory(owner=estate.applications, support_team=estate.applications_team)

    sign_in(client, estate.applications_admin)
    make(10)
    with CaptureQueriesContext(connection) as ten:
        assert len(listed(client.get(reverse("ci_list"), {"ci_class": "ci"}))) == 10
    make(50)
    with django_assert_max_num_queries(len(ten)), CaptureQueriesContext(connection) as sixty:
        page = client.get(reverse("ci_list"), {"ci_class": "ci"})
    assert len(listed(page)) == 50 and page.context["page"].paginator.count == 60
    assert len(sixty) == len(ten)
    assert "Application support" in page.content.decode()


def test_a_filter_on_a_commercial_attribute_finds_nothing_the_actor_may_not_see_the_cost_of(client, estate):
    admin = actor_of(estate.authority_admin)
    for name, owner in (("ERP", estate.applications), ("Desk", estate.integrator)):
        ci_create(actor=admin, ci_class="application", name=name, owner=owner, attributes={"licence_cost": 5})
    query = {"ci_class": "application", "attr.licence_cost": "5"}
    sign_in(client, estate.integrator_admin)  # sees every application operationally, its own costs only
    assert listed(client.get(reverse("ci_list"), {"ci_class": "application"})) == ["Desk", "ERP"]
    assert listed(client.get(reverse("ci_list"), query)) == ["Desk"]
    sign_in(client, estate.authority_admin)
    assert listed(client.get(reverse("ci_list"), query)) == ["Desk", "ERP"]


# The generated forms


def test_a_server_is_recorded_through_its_generated_form_with_typed_attributes_and_audited(client, estate):
    sign_in(client, estate.network_admin)
    choose = client.get(reverse("ci_create")).content.decode()
    assert "?class=virtual_machine" in choose and "Network device" in choose
    form = client.get(reverse("ci_create"), {"class": "server"}).context["form"]
    assert {"name", "owner", "support_team", "attributes.fqdn", "attributes.cpu_cores", "attributes.asset_tag"} <= set(
        form.fields
    )
    assert "service" not in form.fields and list(form.fields["owner"].objects.values()) == [estate.network]
    response = client.post(
        reverse("ci_create") + "?class=server",
        form_data(
            name="core-srv-01",
            owner=estate.network.id,
            support_team=estate.network_team.id,
            criticality="1",
            **{"attributes.cpu_cores": "16", "attributes.ram_gb": "64.5", "attributes.fqdn": "core-srv-01.example"},
        ),
    )
    ci = ConfigurationItem.objects.get(name="core-srv-01")
    assert response.status_code == 302 and response.url == reverse("ci_detail", args=[ci.pk])
    assert ci.attributes == {"cpu_cores": 16, "ram_gb": 64.5, "fqdn": "core-srv-01.example"}
    assert (ci.ci_class, ci.criticality, ci.support_team) == ("server", 1, estate.network_team)
    entry = AuditEntry.objects.get(object_id=str(ci.pk))
    assert (entry.action, entry.channel, entry.person_id) == ("ci.created", "web", estate.network_admin.id)
    assert entry.after["attributes"]["cpu_cores"] == 16


def test_a_business_service_is_recorded_and_edited_through_its_form_with_its_catalogue_service(client, estate):
    service = ServiceFactory(owner=estate.applications, name="Crime recording")
    sign_in(client, estate.authority_admin)
    created = client.post(
        reverse("ci_create") + "?class=business_service",
        form_data(name="Crime", owner=estate.authority.id, service=service.id, **{"attributes.users": "12000"}),
    )
    assert created.status_code == 302
    ci = ConfigurationItem.objects.get(name="Crime")
    assert (ci.service, ci.attributes) == (service, {"users": 12000})
    edit_url = reverse("ci_edit", args=[ci.pk])
    form = client.get(edit_url).context["form"]
    assert form.initial["attributes.users"] == 12000 and form.initial["version"] == 1
    edited = client.post(
        edit_url,
        form_data(
            name="Crime recording",
            owner=estate.authority.id,
            lifecycle="maintenance",
            version="1",
            **{"attributes.users": "", "attributes.service_owner": "Head of crime"},
        ),
    )
    assert edited.status_code == 302
    ci.refresh_from_db()
    assert (ci.name, ci.lifecycle, ci.service, ci.version) == ("Crime recording", "maintenance", None, 2)
    assert ci.attributes == {"service_owner": "Head of crime"}  # emptied: removed
    update = AuditEntry.objects.filter(object_id=str(ci.pk)).latest("seq")
    assert update.action == "ci.updated" and update.before["lifecycle"] == "live"


def test_mistyped_attributes_are_shown_on_their_fields_and_nothing_is_written(client, estate):
    sign_in(client, estate.network_admin)
    response = client.post(
        reverse("ci_create") + "?class=server",
        form_data(name="bad", owner=estate.network.id, **{"attributes.cpu_cores": "many", "attributes.ram_gb": "x"}),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"attributes.cpu_cores", "attributes.ram_gb"}
    assert 'id="field-attributes.cpu_cores"' in response.content.decode()
    assert not ConfigurationItem.objects.exists()


def test_what_the_service_refuses_lands_on_the_form(client, estate):
    admin = actor_of(estate.network_admin)
    ci_create(actor=admin, ci_class="server", name="first", owner=estate.network, attributes={"serial": "SN1"})
    sign_in(client, estate.network_admin)
    response = client.post(
        reverse("ci_create") + "?class=server",
        form_data(name="second", owner=estate.network.id, **{"attributes.serial": "sn1"}),
    )
    assert response.status_code == 200
    assert "serial=sn1 is already first" in str(response.context["form"].non_field_errors())
    assert ConfigurationItem.objects.count() == 1


def test_an_edit_from_a_stale_copy_is_refused(client, estate):
    admin = actor_of(estate.network_admin)
    ci = ci_create(actor=admin, ci_class="server", name="srv", owner=estate.network)
    ci_update(actor=admin, ci=ci, changes={"lifecycle": "maintenance"})  # someone else, since the form was opened
    sign_in(client, estate.network_admin)
    response = client.post(
        reverse("ci_edit", args=[ci.pk]), form_data(name="mine", owner=estate.network.id, version="1")
    )
    assert response.status_code == 409
    assert "changed by someone else" in str(response.context["form"].non_field_errors())
    ci.refresh_from_db()
    assert (ci.name, ci.version) == ("srv", 2)


def test_an_edit_keeps_a_support_team_the_editor_could_not_otherwise_choose(client, estate):
    server = ConfigurationItemFactory(owner=estate.network, support_team=estate.applications_team)
    sign_in(client, estate.network_admin)
    form = client.get(reverse("ci_edit", args=[server.pk])).context["form"]
    assert list(form.fields["support_team"].objects.values())[-1] == estate.applications_team
    saved = client.post(
        reverse("ci_edit", args=[server.pk]),
        form_data(name="renamed", owner=estate.network.id, support_team=estate.applications_team.id, version="1"),
    )
    assert saved.status_code == 302
    server.refresh_from_db()
    assert (server.name, server.support_team) == ("renamed", estate.applications_team)


def test_commercial_attributes_are_neither_shown_nor_editable_without_commercial_sight(client, estate):
    admin = actor_of(estate.authority_admin)
    app = ci_create(
        actor=admin,
        ci_class="application",
        name="ERP",
        owner=estate.applications,
        support_team=estate.integrator_team,  # so the integrator may change it, but not see its cost
        attributes={"vendor": "Acme", "licence_cost": 120000},
    )
    sign_in(client, estate.integrator_admin)
    page = client.get(reverse("ci_detail", args=[app.pk])).content.decode()
    assert "Acme" in page and "120000" not in page and "Licence cost" not in page
    form = client.get(reverse("ci_edit", args=[app.pk])).context["form"]
    assert "attributes.vendor" in form.fields and "attributes.licence_cost" not in form.fields
    history = client.get(reverse("ci_history", args=[app.pk])).content.decode()
    assert "ci.created" in history and "120000" not in history and "licence_cost" not in history
    client.post(
        reverse("ci_edit", args=[app.pk]),
        form_data(name="ERP", owner=estate.applications.id, version="1", **{"attributes.licence_cost": "1"}),
    )
    app.refresh_from_db()
    assert app.attributes["licence_cost"] == 120000
    sign_in(client, estate.applications_admin)
    own = client.get(reverse("ci_detail", args=[app.pk])).content.decode()
    assert "120000" in own and "Licence cost" in own


# The CI page


def test_the_ci_page_shows_attributes_with_provenance_identifiers_service_levels_and_the_way_to_impact(client, estate):
    admin = actor_of(estate.authority_admin)
    service = ServiceFactory(owner=estate.applications, name="Crime recording")
    ServiceLevelFactory(service=service, name="Crime P1 resolution", customer=estate.authority)
    business = ci_create(
        actor=admin, ci_class="business_service", name="Crime", owner=estate.authority, service=service
    )
    server = ci_create(
        actor=admin, ci_class="server", name="srv-01", owner=estate.integrator, attributes={"os": "RHEL"}
    )
    ci_update(actor=admin, ci=server, changes={}, attributes={"serial": "SN-9"}, source="discovery")
    sign_in(client, estate.authority_admin)
    page = client.get(reverse("ci_detail", args=[server.pk])).content.decode()
    assert "RHEL" in page and "Entered by hand" in page and "discovery" in page
    assert "serial=sn-9" in page
    assert f"{reverse('ci_impact')}?ci={server.pk}" in page and "What breaks if this goes down?" in page
    assert "Open tickets" in page and "service desk" in page
    assert reverse("ci_history", args=[server.pk]) in page and reverse("ci_as_of", args=[server.pk]) in page
    service_page = client.get(reverse("ci_detail", args=[business.pk])).content.decode()
    assert reverse("service_detail", args=[service.pk]) in service_page and "Crime P1 resolution" in service_page


def test_relationships_are_added_by_name_search_and_removed_from_either_end(client, estate):
    admin = actor_of(estate.authority_admin)
    app = ci_create(actor=admin, ci_class="application", name="Crime", owner=estate.applications)
    server = ci_create(actor=admin, ci_class="server", name="srv-crime-01", owner=estate.applications)
    ci_create(actor=admin, ci_class="server", name="srv-hidden", owner=estate.network)
    sign_in(client, estate.applications_admin)
    targets = client.get(reverse("ci_relationship_targets", args=[app.pk]), {"target_search": "srv"}).content.decode()
    assert "srv-crime-01" in targets and "srv-hidden" not in targets
    added = client.post(reverse("ci_relationship_add", args=[app.pk]), {"type": "runs_on", "target": server.pk})
    assert added.status_code == 302
    relationship = Relationship.objects.get()
    assert (relationship.source, relationship.type, relationship.target) == (app, "runs_on", server)
    app_page = client.get(reverse("ci_detail", args=[app.pk])).content.decode()
    server_page = client.get(reverse("ci_detail", args=[server.pk])).content.decode()
    assert "runs on" in app_page and "srv-crime-01" in app_page
    assert "runs" in server_page and "Crime" in server_page
    assert server_page.count(reverse("relationship_delete", args=[relationship.pk])) == 1
    again = client.post(reverse("ci_relationship_add", args=[app.pk]), {"type": "runs_on", "target": server.pk})
    assert again.status_code == 200 and again.context["relationship_form"].non_field_errors()
    removed = client.post(reverse("relationship_delete", args=[relationship.pk]), {"from": server.pk})
    assert removed.status_code == 302 and removed.url == reverse("ci_detail", args=[server.pk]) + "#relationships"
    assert not Relationship.objects.exists()
    actions = list(AuditEntry.objects.filter(object_id=str(app.pk)).values_list("action", flat=True))
    assert actions == ["ci.created", "ci.related", "ci.unrelated"]


def test_a_relationship_to_a_ci_the_actor_may_not_see_is_refused(client, estate):
    admin = actor_of(estate.authority_admin)
    app = ci_create(actor=admin, ci_class="application", name="Crime", owner=estate.applications)
    hidden = ci_create(actor=admin, ci_class="server", name="srv-hidden", owner=estate.network)
    sign_in(client, estate.applications_admin)
    response = client.post(reverse("ci_relationship_add", args=[app.pk]), {"type": "runs_on", "target": hidden.pk})
    assert response.status_code == 200 and "target" in response.context["relationship_form"].errors
    assert not Relationship.objects.exists()


def test_another_supplier_gets_404_on_every_page_and_post_of_a_ci(client, estate):
    app = ConfigurationItemFactory(ci_class="application", owner=estate.applications)
    relationship = RelationshipFactory(source=app, target=ConfigurationItemFactory(owner=estate.applications))
    sign_in(client, estate.network_admin)
    assert listed(client.get(reverse("ci_list"))) == []
    for name in ("ci_detail", "ci_edit", "ci_history", "ci_as_of", "ci_relationship_targets"):
        assert client.get(reverse(name, args=[app.pk])).status_code == 404, name
    assert client.get(reverse("ci_impact"), {"ci": app.pk}).status_code == 404
    audit_before = AuditEntry.objects.count()
    assert client.post(reverse("ci_edit", args=[app.pk]), form_data(name="x", version="1")).status_code == 404
    assert client.post(reverse("ci_relationship_add", args=[app.pk]), {"type": "runs_on"}).status_code == 404
    assert client.post(reverse("relationship_delete", args=[relationship.pk])).status_code == 404
    assert AuditEntry.objects.count() == audit_before and Relationship.objects.exists()


def test_a_supplier_sees_a_ci_it_depends_on_without_the_right_to_change_it(client, estate):
    app = ConfigurationItemFactory(ci_class="application", owner=estate.applications)
    server = ConfigurationItemFactory(owner=estate.integrator)
    RelationshipFactory(source=app, target=server)
    sign_in(client, estate.applications_admin)
    page = client.get(reverse("ci_detail", args=[server.pk])).content.decode()
    assert server.name in page and reverse("ci_edit", args=[server.pk]) not in page
    assert client.get(reverse("ci_edit", args=[server.pk])).status_code == 403
    assert client.post(reverse("ci_relationship_add", args=[server.pk]), {"type": "runs_on"}).status_code == 403


# History and the past


def test_the_as_of_page_shows_the_ci_as_it_was_at_the_end_of_that_day(client, estate):
    admin = actor_of(estate.authority_admin)
    server = ci_create(actor=admin, ci_class="server", name="srv", owner=estate.integrator, attributes={"os": "RHEL 8"})
    dc = ci_create(actor=admin, ci_class="data_centre", name="DC North", owner=estate.integrator)
    relationship_create(actor=admin, source=server, target=dc, type="hosted_in")
    yesterday = timezone.localdate() - timedelta(days=1)
    AuditEntry.objects.filter(object_id__in=[str(server.pk), str(dc.pk)]).update(at=timezone.now() - timedelta(days=1))
    ci_update(actor=admin, ci=server, changes={"lifecycle": "maintenance"}, attributes={"os": "RHEL 9"})
    sign_in(client, estate.authority_admin)
    then = client.get(reverse("ci_as_of", args=[server.pk]), {"date": yesterday.isoformat()})
    page = then.content.decode()
    assert then.status_code == 200 and "RHEL 8" in page and "RHEL 9" not in page
    assert ("Lifecycle", "Live", "In maintenance") in then.context["rows"]
    assert ("Owner", "Integrator", "Integrator") in then.context["rows"]
    assert "hosted in" in page and reverse("ci_detail", args=[dc.pk]) in page
    before = client.get(reverse("ci_as_of", args=[server.pk]), {"date": (yesterday - timedelta(days=1)).isoformat()})
    assert "was not recorded yet" in before.content.decode()
    assert client.get(reverse("ci_as_of", args=[server.pk]), {"date": "not-a-date"}).context["form"].errors


def test_the_history_fragment_shows_each_changed_attribute_on_its_own_row(client, estate):
    admin = actor_of(estate.authority_admin)
    server = ci_create(actor=admin, ci_class="server", name="srv", owner=estate.integrator, attributes={"os": "RHEL 8"})
    ci_update(actor=admin, ci=server, changes={}, attributes={"os": "RHEL 9"})
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("ci_history", args=[server.pk]))
    entries = response.context["entries"]
    assert [e.action for e in entries] == ["ci.updated", "ci.created"]
    assert [(c.field, c.before, c.after) for c in entries[0].changes] == [("attributes.os", "RHEL 8", "RHEL 9")]


# Impact


def test_the_impact_page_lists_and_draws_what_goes_down(client, estate):
    admin = actor_of(estate.authority_admin)
    service = ServiceFactory(owner=estate.applications, name="Crime recording")
    ServiceLevelFactory(service=service, name="Crime P1 resolution", customer=estate.authority)
    server = ci_create(actor=admin, ci_class="server", name="srv-01", owner=estate.integrator)
    app = ci_create(actor=admin, ci_class="application", name="Crime app", owner=estate.applications)
    business = ci_create(
        actor=admin,
        ci_class="business_service",
        name="Crime",
        owner=estate.authority,
        service=service,
        attributes={"users": 9000},
    )
    relationship_create(actor=admin, source=app, target=server, type="runs_on")
    relationship_create(actor=admin, source=business, target=app, type="depends_on")
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("ci_impact"), {"ci": str(server.pk)})
    page = response.content.decode()
    assert response.status_code == 200
    assert [(ci.name, ci.depth) for ci in response.context["report"].impacted] == [
        ("srv-01", 0),
        ("Crime app", 1),
        ("Crime", 2),
    ]
    assert "Crime P1 resolution" in page and "Apps Supplier" in page and "9,000" in page
    assert 'srv-01 <span class="muted">runs</span> Crime app' in page
    assert "<svg" in page and page.count('class="node ') == 3 and page.count('class="edge"') == 2
    assert "http://www.w3.org/2000/svg" in page and "<script" not in page.split("<main")[1]


def test_the_impact_graph_draws_the_nearest_cis_only_when_there_are_too_many(client, estate):
    server = ConfigurationItemFactory(name="esx-01", owner=estate.integrator)
    for _ in range(GRAPH_NODES + 5):
        RelationshipFactory(
            source=ConfigurationItemFactory(ci_class="virtual_machine", owner=estate.integrator), target=server
        )
    sign_in(client, estate.authority_admin)
    response = client.get(reverse("ci_impact"), {"ci": server.pk})
    page = response.content.decode()
    assert response.context["report"].total == GRAPH_NODES + 6
    assert page.count('class="node ') == GRAPH_NODES and page.count('class="edge"') == GRAPH_NODES - 1
    assert f"The graph shows the {GRAPH_NODES} CIs nearest to the failure of the {GRAPH_NODES + 6} impacted" in page


def test_the_impact_page_finds_cis_to_add_by_name(client, estate):
    ConfigurationItemFactory(name="srv-find-me", owner=estate.applications)
    sign_in(client, estate.applications_admin)
    response = client.get(reverse("ci_impact"), {"search": "find"})
    assert response.status_code == 200 and response.context["report"] is None
    assert [ci.name for ci in response.context["candidates"]] == ["srv-find-me"]
