"""The organisations screens, driven through Django's test client as the people of the estate."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.organisations.models import ApiToken, Membership, Organisation, Person, Team, TeamMembership
from towers.organisations.services.organisations import team_update
from towers.organisations.services.tokens import token_digest
from towers.organisations.tests.factories import (
    ApiTokenFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    TeamMembershipFactory,
    actor_of,
    sign_in,
)
from towers.organisations.views.imports import PENDING_KEY

pytestmark = pytest.mark.django_db


def listed(response):
    return list(response.context["page"].object_list)


# Lists


def test_lists_show_only_what_the_user_may_see(client, estate):
    sign_in(client, estate.applications_admin)
    organisations = {o.code for o in listed(client.get("/organisations/"))}
    # Its own organisation and its counterparties; never the network third party of another tower.
    assert organisations == {"apps", "authority", "integrator"}
    teams = client.get("/teams/")
    assert {t.code for t in listed(teams)} == {"app-support", "service-desk"}
    assert "Network operations" not in teams.content.decode()
    people = client.get("/people/")
    usernames = {p.username for p in listed(people)}
    assert "apps.admin" in usernames and "int.agent" in usernames
    assert not {"net.admin", "net.resolver"} & usernames
    assert "net.resolver" not in people.content.decode()


def test_the_authority_lists_every_organisation(client, estate):
    sign_in(client, estate.auditor)
    organisations = {o.code for o in listed(client.get("/organisations/"))}
    assert organisations == {"authority", "integrator", "apps", "network"}


def test_search_and_filters_narrow_the_lists(client, estate):
    sign_in(client, estate.integrator_admin)
    assert [t.code for t in listed(client.get("/teams/?search=support"))] == ["app-support"]
    assert [t.code for t in listed(client.get(f"/teams/?organisation={estate.network.id}"))] == ["net-ops"]
    assert [o.code for o in listed(client.get("/organisations/?kind=third_party"))] == ["network"]
    resolvers = listed(client.get(f"/people/?role={Role.RESOLVER}"))
    assert [p.username for p in resolvers] == ["net.resolver"]


def test_lists_page_by_fifty(client, estate):
    for n in range(55):
        TeamFactory(organisation=estate.integrator, code=f"int-{n:02d}", name=f"Integrator team {n:02d}")
    sign_in(client, estate.integrator_admin)
    first = client.get("/teams/")
    assert len(listed(first)) == 50
    assert 'rel="next"' in first.content.decode()
    # 55 new teams, the service desk, the apps and network teams.
    assert len(listed(client.get("/teams/?page=2"))) == 58 - 50


@pytest.mark.parametrize(
    ("path", "build"),
    [
        ("/teams/", lambda e, n: TeamFactory(organisation=e.integrator, code=f"bulk-{n}", name=f"Bulk {n}")),
        ("/people/", lambda e, n: MembershipFactory(organisation=e.integrator, role=Role.RESOLVER)),
        ("/organisations/", lambda e, n: OrganisationFactory(code=f"bulk-{n}", name=f"Bulk {n}")),
    ],
)
def test_a_list_page_of_fifty_costs_a_fixed_number_of_queries(
    client, estate, django_assert_max_num_queries, path, build
):
    for n in range(60):
        build(estate, n)
    sign_in(client, estate.authority_admin)
    # Session, person, actor (organisation, memberships, scope), switcher, count, page, prefetches.
    with django_assert_max_num_queries(16):
        response = client.get(path)
    assert response.status_code == 200
    assert len(listed(response)) == 50


# Create and edit through the forms


def test_an_administrator_creates_a_team_through_the_form_and_it_is_audited(client, estate):
    sign_in(client, estate.integrator_admin)
    form = client.get(reverse("team_create"))
    assert form.status_code == 200
    response = client.post(
        reverse("team_create"),
        {"organisation": estate.integrator.id, "code": "int-noc", "name": "Network operations centre"},
    )
    team = Team.objects.get(code="int-noc")
    assert response.status_code == 302 and response.url == reverse("team_detail", args=[team.pk])
    entry = AuditEntry.objects.get(action="team.created", object_id=str(team.pk))
    assert entry.channel == "web" and entry.person_id == estate.integrator_admin.id
    assert entry.organisation_name == "Integrator"


def test_the_services_refusals_are_shown_on_the_form_fields(client, estate):
    sign_in(client, estate.integrator_admin)
    response = client.post(
        reverse("team_create"), {"organisation": estate.integrator.id, "code": "service-desk", "name": "Copy"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["code"] and "already exists" in errors["code"][0]
    assert 'class="field has-error' in response.content.decode()
    bad = client.post(reverse("team_create"), {"organisation": estate.integrator.id, "code": "has spaces"})
    assert set(bad.context["form"].errors) == {"code", "name"}
    assert Team.objects.filter(organisation=estate.integrator).count() == 1


def test_a_team_can_be_created_only_in_an_organisation_the_administrator_manages(client, estate):
    sign_in(client, estate.integrator_admin)
    response = client.post(
        reverse("team_create"), {"organisation": estate.network.id, "code": "sneaky", "name": "Sneaky"}
    )
    assert "organisation" in response.context["form"].errors
    assert not Team.objects.filter(code="sneaky").exists()


def test_the_authority_registers_and_edits_an_organisation(client, estate):
    sign_in(client, estate.authority_admin)
    response = client.post(
        reverse("organisation_create"),
        {"code": "dc-co", "name": "Data Centre Co", "kind": "third_party", "tower": estate.infrastructure_tower.id},
    )
    organisation = Organisation.objects.get(code="dc-co")
    assert response.status_code == 302
    assert organisation.tower == estate.infrastructure_tower
    edit = client.post(
        reverse("organisation_edit", args=[organisation.pk]),
        {"name": "Data Centre Company", "kind": "third_party", "tower": "", "email": "", "version": 1},
    )
    assert edit.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "Data Centre Company" and organisation.tower is None and organisation.version == 2


def test_a_supplier_may_edit_its_organisation_but_not_its_kind_or_tower(client, estate):
    sign_in(client, estate.applications_admin)
    url = reverse("organisation_edit", args=[estate.applications.pk])
    form = client.get(url).context["form"]
    assert form.fields["kind"].disabled and form.fields["tower"].disabled
    response = client.post(
        url,
        {"name": "Apps Ltd", "kind": "third_party", "tower": "", "email": "", "is_active": "on", "version": 1},
    )
    assert response.status_code == 302
    estate.applications.refresh_from_db()
    assert estate.applications.name == "Apps Ltd"
    assert estate.applications.kind == "supplier" and estate.applications.tower == estate.applications_tower
    assert client.get(reverse("organisation_create")).status_code == 403


def test_an_edit_made_from_a_stale_copy_is_refused(client, estate):
    team = estate.integrator_team
    sign_in(client, estate.integrator_admin)
    url = reverse("team_edit", args=[team.pk])
    assert client.get(url).context["form"]["version"].value() == 1
    team_update(actor=actor_of(estate.authority_admin), team=team, changes={"name": "Service desk (24x7)"})
    response = client.post(url, {"name": "Helpdesk", "is_active": "on", "version": 1})
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Service desk (24x7)"


def test_people_are_added_edited_and_given_roles_through_the_forms(client, estate):
    sign_in(client, estate.network_admin)
    response = client.post(
        reverse("person_create"),
        {
            "organisation": estate.network.id,
            "username": "j.smith",
            "first_name": "Jane",
            "last_name": "Smith",
            "email": "jane@network.example",
            "roles": [Role.RESOLVER, Role.TEAM_LEAD],
        },
    )
    person = Person.objects.get(username="j.smith")
    assert response.status_code == 302
    assert set(person.memberships.values_list("role", flat=True)) == {Role.RESOLVER, Role.TEAM_LEAD}
    assert not person.has_usable_password()
    edit = client.post(
        reverse("person_edit", args=[person.pk]),
        {"first_name": "Janet", "last_name": "Smith", "email": "bad-email", "is_active": "on", "version": 1},
    )
    assert set(edit.context["form"].errors) == {"email"}
    client.post(
        reverse("person_edit", args=[person.pk]),
        {"first_name": "Janet", "last_name": "Smith", "is_active": "on", "version": 1},
    )
    person.refresh_from_db()
    assert person.first_name == "Janet" and person.version == 2
    client.post(
        reverse("membership_grant", args=[person.pk]), {"organisation": estate.network.id, "role": Role.ADMINISTRATOR}
    )
    assert person.memberships.filter(role=Role.ADMINISTRATOR).exists()
    auditor_role = client.post(
        reverse("membership_grant", args=[person.pk]), {"organisation": estate.network.id, "role": Role.AUDITOR}
    )
    assert "role" in auditor_role.context["form"].errors
    membership = person.memberships.get(role=Role.TEAM_LEAD)
    assert client.post(reverse("membership_revoke", args=[membership.pk])).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="membership.revoked", object_id=str(membership.pk)).exists()


def test_revoking_ones_own_administrator_role_is_refused_with_a_message(client, estate):
    sign_in(client, estate.network_admin)
    membership = estate.network_admin.memberships.get()
    response = client.post(reverse("membership_revoke", args=[membership.pk]), follow=True)
    assert "cannot remove your own administrator role" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_team_members_are_added_and_removed(client, estate):
    newcomer = PersonFactory(username="net.newcomer")
    MembershipFactory(person=newcomer, organisation=estate.network, role=Role.RESOLVER)
    sign_in(client, estate.network_admin)
    team = estate.network_team
    page = client.get(reverse("team_detail", args=[team.pk])).content.decode()
    assert '<option value="net.newcomer">' in page
    assert client.post(reverse("team_member_add", args=[team.pk]), {"username": "net.newcomer"}).status_code == 302
    member = TeamMembership.objects.get(team=team, person=newcomer)
    outsider = client.post(reverse("team_member_add", args=[team.pk]), {"username": "apps.admin"})
    assert "username" in outsider.context["member_form"].errors
    remove = reverse("team_member_remove", args=[team.pk, member.pk])
    assert client.post(remove).status_code == 302
    assert not TeamMembership.objects.filter(pk=member.pk).exists()
    actions = list(AuditEntry.objects.filter(object_id=str(team.pk)).values_list("action", flat=True))
    assert actions == ["team.member_added", "team.member_removed"]


# Who may do what


def test_an_auditor_sees_no_edit_buttons_and_cannot_post_edits(client, estate):
    team = estate.integrator_team
    sign_in(client, estate.auditor)
    page = client.get(reverse("team_detail", args=[team.pk])).content.decode()
    assert reverse("team_edit", args=[team.pk]) not in page
    assert reverse("team_member_add", args=[team.pk]) not in page
    assert reverse("team_create") not in client.get(reverse("team_list")).content.decode()
    person_page = client.get(reverse("person_detail", args=[estate.integrator_agent.pk])).content.decode()
    assert "Revoke" not in person_page and reverse("person_edit", args=[estate.integrator_agent.pk]) not in person_page
    audit_before = AuditEntry.objects.count()
    assert client.post(reverse("team_edit", args=[team.pk]), {"name": "Hacked", "version": 1}).status_code == 403
    assert client.get(reverse("team_create")).status_code == 403
    membership = estate.integrator_agent.memberships.get()
    assert client.post(reverse("membership_revoke", args=[membership.pk])).status_code == 403
    assert client.get(reverse("organisation_edit", args=[estate.authority.pk])).status_code == 403
    team.refresh_from_db()
    assert team.name == "Service desk" and AuditEntry.objects.count() == audit_before
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_another_suppliers_pages_are_not_found_and_posts_change_nothing(client, estate):
    sign_in(client, estate.applications_admin)
    network, team, person = estate.network, estate.network_team, estate.network_resolver
    member = TeamMembership.objects.get(team=team, person=person)
    pages = [
        reverse("organisation_detail", args=[network.pk]),
        reverse("organisation_edit", args=[network.pk]),
        reverse("organisation_history", args=[network.pk]),
        reverse("team_detail", args=[team.pk]),
        reverse("team_edit", args=[team.pk]),
        reverse("team_history", args=[team.pk]),
        reverse("person_detail", args=[person.pk]),
        reverse("person_edit", args=[person.pk]),
        reverse("person_history", args=[person.pk]),
        reverse("membership_grant", args=[person.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 404, url
    audit_before = AuditEntry.objects.count()
    posts = {
        reverse("team_edit", args=[team.pk]): {"name": "Mine now", "version": 1},
        reverse("organisation_edit", args=[network.pk]): {"name": "Mine now", "kind": "supplier", "version": 1},
        reverse("person_edit", args=[person.pk]): {"first_name": "Mine", "version": 1},
        reverse("membership_grant", args=[person.pk]): {"organisation": estate.applications.id, "role": "resolver"},
        reverse("team_member_add", args=[team.pk]): {"username": "apps.admin"},
        reverse("team_member_remove", args=[team.pk, member.pk]): {},
        reverse("membership_revoke", args=[person.memberships.get().pk]): {},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    assert AuditEntry.objects.count() == audit_before
    team.refresh_from_db()
    network.refresh_from_db()
    assert team.name == "Network operations" and network.name == "Network Co"
    assert TeamMembership.objects.filter(pk=member.pk).exists()


def test_a_not_found_page_looks_like_the_rest_of_towers(client, estate):
    sign_in(client, estate.applications_admin)
    response = client.get(reverse("team_detail", args=[estate.network_team.pk]))
    assert response.status_code == 404
    assert "Not found" in response.content.decode() and "Log out" in response.content.decode()


# History


def test_the_history_fragment_lists_entries_with_before_and_after(client, estate):
    team = estate.integrator_team
    team_update(actor=actor_of(estate.integrator_admin), team=team, changes={"name": "Service desk 24x7"})
    sign_in(client, estate.integrator_agent)
    detail = client.get(reverse("team_detail", args=[team.pk])).content.decode()
    history_url = reverse("team_history", args=[team.pk])
    assert f'hx-get="{history_url}"' in detail
    fragment = client.get(history_url).content.decode()
    assert "<html" not in fragment
    assert "team.updated" in fragment and "int.admin" in fragment and "Integrator" in fragment
    assert re.search(r'class="before">Service desk</td>.*class="after">Service desk 24x7</td>', fragment, re.S)


def test_the_history_pages_with_load_more(client, estate):
    team = estate.network_team
    actor = actor_of(estate.network_admin)
    for n in range(25):
        team_update(actor=actor, team=team, changes={"description": f"revision {n}"})
    sign_in(client, estate.network_admin)
    first = client.get(reverse("team_history", args=[team.pk]))
    assert len(first.context["entries"]) == 20
    more_url = first.context["more_url"]
    assert more_url and f'hx-get="{more_url}"' in first.content.decode()
    rest = client.get(more_url)
    assert [e.after["description"] for e in rest.context["entries"]] == [f"revision {n}" for n in range(4, -1, -1)]
    assert not rest.context["more_url"]


def test_a_person_history_shows_their_creation(client, estate):
    sign_in(client, estate.network_admin)
    client.post(
        reverse("person_create"), {"organisation": estate.network.id, "username": "n.new", "roles": ["requester"]}
    )
    person = Person.objects.get(username="n.new")
    fragment = client.get(reverse("person_history", args=[person.pk])).content.decode()
    assert "person.created" in fragment and "n.new" in fragment


# Imports

PEOPLE_CSV = (
    "username,organisation,first_name,last_name,roles,teams\n"
    "k.jones,network,Kim,Jones,resolver,net-ops\n"
    "l.brown,nowhere,Lee,Brown,resolver,\n"
)


def _upload(client, text, kind="people"):
    return client.post(
        reverse("import_check"), {"kind": kind, "file": SimpleUploadedFile("people.csv", text.encode(), "text/csv")}
    )


def test_an_import_dry_run_changes_nothing_and_reports_each_rows_problems(client, estate):
    sign_in(client, estate.network_admin)
    people_before, audit_before = Person.objects.count(), AuditEntry.objects.count()
    response = _upload(client, PEOPLE_CSV)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.dry_run, report.created, report.rejected) == (True, 1, 1)
    page = response.content.decode()
    assert "nothing has changed yet" in page
    assert re.search(r'<td class="number">3</td><td><code>organisation</code></td><td>[^<]*nowhere', page)
    assert Person.objects.count() == people_before and AuditEntry.objects.count() == audit_before


def test_applying_a_checked_import_creates_the_people_through_the_import_channel(client, estate):
    sign_in(client, estate.network_admin)
    digest = _upload(client, PEOPLE_CSV).context["apply_form"]["digest"].value()
    assert client.session[PENDING_KEY]["text"] == PEOPLE_CSV
    response = client.post(reverse("import_apply"), {"digest": digest})
    report = response.context["report"]
    assert (report.dry_run, report.created, report.rejected) == (False, 1, 1)
    person = Person.objects.get(username="k.jones")
    assert TeamMembership.objects.filter(person=person, team=estate.network_team).exists()
    entry = AuditEntry.objects.get(action="person.created", object_id=str(person.pk))
    assert entry.channel == "import" and entry.person_id == estate.network_admin.id
    assert PENDING_KEY not in client.session
    again = client.post(reverse("import_apply"), {"digest": digest}, follow=True)
    assert "no longer waiting" in again.content.decode()
    assert Person.objects.filter(username="k.jones").count() == 1


def test_an_import_with_wrong_columns_is_refused_on_the_file_field(client, estate):
    sign_in(client, estate.network_admin)
    response = _upload(client, "name,colour\nx,y\n", kind="teams")
    errors = response.context["form"].errors["file"]
    assert any("missing required column(s): organisation, code" in e for e in errors)
    assert "report" not in response.context


def test_teams_import_shows_columns_and_applies(client, estate):
    sign_in(client, estate.network_admin)
    page = client.get(reverse("import_start")).content.decode()
    assert "<code>organisation</code>, <code>code</code>, <code>name</code>" in page
    digest = (
        _upload(client, "organisation,code,name\nnetwork,net-field,Field engineers\n", "teams")
        .context["apply_form"]["digest"]
        .value()
    )
    client.post(reverse("import_apply"), {"digest": digest})
    assert Team.objects.get(code="net-field").organisation == estate.network


def test_only_administrators_may_import(client, estate):
    sign_in(client, estate.network_resolver)
    assert client.get(reverse("import_start")).status_code == 403
    assert _upload(client, PEOPLE_CSV).status_code == 403
    sign_in(client, estate.auditor)
    assert client.get(reverse("import_start")).status_code == 403


# API tokens


def test_a_new_tokens_secret_is_shown_once_and_revoking_it_works(client, estate):
    sign_in(client, estate.integrator_agent)
    response = client.post(reverse("token_list"), {"name": "monitoring bridge", "scope": "read"})
    secret = response.context["secret"]
    assert secret.startswith("twr_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(digest=token_digest(secret))
    assert token.person == estate.integrator_agent and token.organisation == estate.integrator
    listing = client.get(reverse("token_list")).content.decode()
    assert "monitoring bridge" in listing and secret not in listing
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in client.get(reverse("token_list")).content.decode()


def test_token_form_errors_and_other_peoples_tokens(client, estate):
    sign_in(client, estate.auditor)
    refused = client.post(reverse("token_list"), {"name": "writer", "scope": "write"})
    assert refused.status_code == 403 and "read-only tokens only" in refused.content.decode()
    past = client.post(reverse("token_list"), {"name": "old", "scope": "read", "expires_on": "2000-01-01"})
    assert past.context["form"].errors["expires_on"] == ["must be in the future"]
    colleague_token = ApiTokenFactory(person=estate.authority_admin, organisation=estate.authority)
    assert client.post(reverse("token_revoke", args=[colleague_token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=colleague_token.pk).revoked_at is None
    assert colleague_token.name not in client.get(reverse("token_list")).content.decode()


# Audit log


def test_the_audit_page_filters_and_is_for_auditors_and_administrators(client, estate):
    team_update(actor=actor_of(estate.network_admin), team=estate.network_team, changes={"name": "NetOps"})
    team_update(actor=actor_of(estate.integrator_admin), team=estate.integrator_team, changes={"name": "Desk"})
    sign_in(client, estate.auditor)
    everything = listed(client.get(reverse("audit_list")))
    assert {e.action for e in everything} == {"team.updated"} and len(everything) == 2
    assert listed(client.get(reverse("audit_list") + "?action=team.created")) == []
    assert len(listed(client.get(reverse("audit_list") + "?object_type=organisations.team"))) == 2
    sign_in(client, estate.network_admin)
    own = listed(client.get(reverse("audit_list")))
    assert [e.object_repr for e in own] == ["NetOps"]
    sign_in(client, estate.network_resolver)
    assert client.get(reverse("audit_list")).status_code == 403


def test_the_authority_verifies_the_audit_chain(client, estate):
    team_update(actor=actor_of(estate.network_admin), team=estate.network_team, changes={"name": "NetOps"})
    sign_in(client, estate.auditor)
    assert "Verify chain" in client.get(reverse("audit_list")).content.decode()
    fragment = client.post(reverse("audit_verify"), HTTP_HX_REQUEST="true").content.decode()
    assert "intact: 1 entry checked" in fragment
    AuditEntry.objects.filter(seq=1).update(object_repr="Tampered")
    page = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert "broken at entry 1" in page
    sign_in(client, estate.network_admin)
    assert "Verify chain" not in client.get(reverse("audit_list")).content.decode()
    assert client.post(reverse("audit_verify")).status_code == 403


def test_detail_pages_show_create_buttons_by_permission(client, estate):
    sign_in(client, estate.network_admin)
    own = client.get(reverse("organisation_detail", args=[estate.network.pk])).content.decode()
    assert reverse("organisation_edit", args=[estate.network.pk]) in own
    assert f"{reverse('team_create')}?organisation={estate.network.pk}" in own
    counterparty = client.get(reverse("organisation_detail", args=[estate.integrator.pk])).content.decode()
    assert reverse("organisation_edit", args=[estate.integrator.pk]) not in counterparty
    assert reverse("team_create") not in counterparty


def test_a_team_lead_manages_members_but_not_the_organisation(client, estate):
    lead = PersonFactory(username="net.lead")
    MembershipFactory(person=lead, organisation=estate.network, role=Role.TEAM_LEAD)
    TeamMembershipFactory(team=estate.network_team, person=lead)
    sign_in(client, lead)
    page = client.get(reverse("team_detail", args=[estate.network_team.pk])).content.decode()
    assert reverse("team_member_add", args=[estate.network_team.pk]) in page
    assert client.get(reverse("team_create")).status_code == 403
    assert client.get(reverse("organisation_edit", args=[estate.network.pk])).status_code == 403
