"""The shell: logging in and out, the home page's figures, switching organisation, navigation by role."""

import re
import uuid

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from towers.core import events
from towers.core.roles import Role
from towers.organisations.auth import SESSION_ORGANISATION_KEY
from towers.organisations.tests.factories import PASSWORD, MembershipFactory, PersonFactory, person_with_roles, sign_in

pytestmark = pytest.mark.django_db


def _ui_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(("api/", "tmf-api/")):  # the APIs test their own segregation
                yield from _ui_routes(entry, route)
        elif isinstance(entry, URLPattern) and route not in {"login/", "health"}:
            yield "/" + route


def test_every_page_but_log_in_asks_an_anonymous_visitor_to_log_in(client):
    routes = list(_ui_routes())
    assert len(routes) > 20
    for route in routes:
        url = re.sub(r"<uuid:\w+>", lambda _m: str(uuid.uuid4()), route)
        url = re.sub(r"<(str|slug):\w+>", "INC0000001", url)
        url = re.sub(r"<int:\w+>", "1", url)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code == 405:
                continue  # refused before anything is read or done
            assert response.status_code == 302, f"{method.upper()} {route} gave {response.status_code}"
            assert response.url.startswith(reverse("login")), route


def test_an_htmx_request_after_the_session_ended_sends_the_whole_page_to_log_in(client, estate):
    response = client.get(
        reverse("team_history", args=[estate.network_team.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/teams/{estate.network_team.pk}/",
    )
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith(reverse("login") + "?next=")


def test_logging_in_chooses_the_first_organisation_and_logging_out_ends_the_session(client, estate):
    person = PersonFactory(username="two.hats")
    MembershipFactory(person=person, organisation=estate.network, role=Role.RESOLVER)
    MembershipFactory(person=person, organisation=estate.integrator, role=Role.AGENT)
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "Log in to Towers" in page.content.decode()
    response = client.post(reverse("login"), {"username": "two.hats", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    # Organisations come in name order: Integrator before Network Co.
    assert client.session[SESSION_ORGANISATION_KEY] == str(estate.integrator.id)
    home = client.get(reverse("home")).content.decode()
    assert "Integrator" in home and "Service desk agent" in home
    assert client.get(reverse("logout")).status_code == 200  # asks to confirm
    out = client.post(reverse("logout"), follow=True)
    assert out.redirect_chain[-1][0] == reverse("login")
    assert "You have signed out." in out.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused(client, estate):
    response = client.post(reverse("login"), {"username": "net.admin", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert SESSION_ORGANISATION_KEY not in client.session


def test_the_home_page_counts_what_the_actor_may_see(client, estate):
    with transaction.atomic():
        events.emit("test.pending", key="x")
    sign_in(client, estate.authority_admin)
    authority = client.get(reverse("home")).context["figures"]
    sign_in(client, estate.applications_admin)
    supplier_page = client.get(reverse("home"))
    supplier = supplier_page.context["figures"]
    assert authority["organisation_total"] == 4
    assert dict(authority["organisations"]) == {"Authority": 1, "Tower suppliers": 2, "Third parties": 1}
    assert supplier["organisation_total"] == 3  # itself and its counterparties, not the network third party
    assert authority["teams"] == 3 and supplier["teams"] == 2
    assert authority["people"] > supplier["people"]
    assert authority["pending_events"] == 1 and supplier["pending_events"] is None
    assert 'id="pending-events"' not in supplier_page.content.decode()


def test_the_home_page_shows_own_teams_roles_and_recent_changes(client, estate, django_assert_max_num_queries):
    sign_in(client, estate.network_resolver)
    page = client.get(reverse("home"))
    assert [m.team.code for m in page.context["my_teams"]] == ["net-ops"]
    assert page.context["roles"] == ["Resolver"]
    assert page.context["recent"] is None  # the audit log is not a resolver's business
    client.post(reverse("logout"))
    sign_in(client, estate.network_admin)
    client.post(reverse("team_edit", args=[estate.network_team.pk]), {"name": "NetOps", "version": 1})
    with django_assert_max_num_queries(15):
        recent = client.get(reverse("home")).context["recent"]
    assert [e.action for e in recent] == ["team.updated"]


def test_switching_organisation_is_allowed_only_between_ones_own(client, estate):
    person = PersonFactory(username="two.hats")
    MembershipFactory(person=person, organisation=estate.network, role=Role.RESOLVER)
    MembershipFactory(person=person, organisation=estate.integrator, role=Role.AGENT)
    sign_in(client, person, estate.network)
    home = client.get(reverse("home")).content.decode()
    assert 'name="organisation"' in home and "Acting for" in home
    response = client.post(reverse("switch_organisation"), {"organisation": estate.integrator.id})
    assert response.status_code == 302
    assert client.session[SESSION_ORGANISATION_KEY] == str(estate.integrator.id)
    assert client.get(reverse("home")).context["acting"].organisation_id == estate.integrator.id
    for other in (estate.applications.id, "not-an-id"):
        assert client.post(reverse("switch_organisation"), {"organisation": other}).status_code == 403
    assert client.session[SESSION_ORGANISATION_KEY] == str(estate.integrator.id)


def test_people_of_one_organisation_get_no_switcher(client, estate):
    sign_in(client, estate.network_resolver)
    page = client.get(reverse("home")).content.decode()
    assert reverse("switch_organisation") not in page and "Network Co" in page


def _nav(client, person):
    sign_in(client, person)
    return {item.label for item in client.get(reverse("home")).context["nav"]}


def test_navigation_follows_roles(client, estate):
    everyone = {"Home", "Organisations", "Teams", "People", "Catalogue", "CMDB", "API tokens", "Request something"}
    everyone |= {"My devices"}
    commercial = {"Contracts", "Commercial access"}
    desk = {"Queues", "Hand-offs", "Major incidents", "Problems", "Changes", "Approvals"}
    integrator = desk | {"Crossed suppliers", "Received mail"}
    soc = {"Alerts", "ATT&CK", "Security cases", "Detection rules", "Threat intel"}
    mobile = {"Mobile"}
    reviews = {"Service reviews"}
    moves = {"Transitions"}
    assert (
        _nav(client, estate.auditor) == everyone | {"Audit"} | commercial | integrator | soc | mobile | reviews | moves
    )
    admin = {"Audit", "Imports", "Webhooks"}
    authority_admin = everyone | admin | commercial | integrator | soc | mobile | reviews | moves
    assert _nav(client, estate.authority_admin) == authority_admin
    assert _nav(client, estate.integrator_agent) == everyone | integrator | reviews
    assert _nav(client, estate.network_admin) == everyone | admin | commercial | desk | soc | mobile | reviews
    assert _nav(client, estate.network_resolver) == everyone | desk | mobile | reviews
    requester = person_with_roles(estate.authority, Role.REQUESTER)
    assert _nav(client, requester) == everyone | {"My tickets"}


def test_the_current_section_is_marked(client, estate):
    sign_in(client, estate.network_admin)
    page = client.get(reverse("team_list")).content.decode()
    assert f'<a href="{reverse("team_list")}" aria-current="page">Teams</a>' in page
    assert f'<a href="{reverse("home")}" aria-current="page">' not in page


def test_someone_with_no_organisation_sees_an_empty_home(client, estate):
    loner = PersonFactory(username="loner")
    sign_in(client, loner)
    page = client.get(reverse("home"))
    assert page.context["figures"]["organisation_total"] == 0
    assert "not a member of any organisation" in page.content.decode()
    assert {item.label for item in page.context["nav"]} == {"Home"}


def test_pages_load_only_local_assets_and_send_the_csrf_token_with_htmx(client, estate):
    sign_in(client, estate.network_admin)
    page = client.get(reverse("home")).content.decode()
    assert "/static/vendor/htmx.min.js" in page and "/static/web/towers.css" in page
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert "http://" not in page and "https://" not in page
