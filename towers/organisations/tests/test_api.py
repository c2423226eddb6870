import json
from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.organisations.models import ApiToken, Membership, Person, Team
from towers.organisations.tests.factories import (
    ApiTokenFactory,
    MembershipFactory,
    PersonFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def bearer(person, organisation, scope=ApiToken.Scope.WRITE, **kwargs):
    secret = f"twr_{person.username}-{organisation.code}-{scope}-0123456789abcdefghij"
    ApiTokenFactory(secret=secret, person=person, organisation=organisation, scope=scope, **kwargs)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_request_without_credentials_gets_401_in_the_error_envelope(client):
    response = client.get("/api/v1/teams")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_lists_are_paginated_with_a_total(client, estate):
    for n in range(7):
        TeamFactory(organisation=estate.network, code=f"net-{n}", name=f"Net {n}")
    auth = bearer(estate.network_admin, estate.network)
    body = client.get("/api/v1/teams?limit=5&offset=5", **auth).json()
    # Its own 8 teams and the integrator's service desk, which it hands work back to.
    assert body["count"] == 9 and body["limit"] == 5 and body["offset"] == 5
    assert len(body["items"]) == 4


def test_a_supplier_lists_only_what_it_may_see(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    codes = {t["code"] for t in client.get("/api/v1/teams", **auth).json()["items"]}
    assert codes == {"net-ops", "service-desk"}
    organisations = {o["code"] for o in client.get("/api/v1/organisations", **auth).json()["items"]}
    assert organisations == {"network", "integrator", "authority"}


def test_invalid_input_names_each_field(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    response = client.post(
        "/api/v1/teams",
        data={"organisation": str(estate.network.id), "code": "has spaces", "name": ""},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"code", "name"}


def test_a_duplicate_is_reported_on_the_field_by_the_service(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    response = client.post(
        "/api/v1/teams",
        data={"organisation": str(estate.network.id), "code": "net-ops", "name": "Another"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert "code" in response.json()["error"]["fields"]


def test_create_is_attributed_to_the_token_and_audited(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    response = client.post(
        "/api/v1/teams",
        data={"organisation": str(estate.network.id), "code": "net-field", "name": "Field engineers"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(action="team.created")
    token = ApiToken.objects.get(person=estate.network_admin)
    assert (entry.person_id, entry.token_id, entry.channel) == (estate.network_admin.id, token.id, "api")
    assert entry.organisation_id == estate.network.id
    assert entry.after["name"] == "Field engineers"


def test_reads_carry_an_etag_and_a_stale_if_match_is_refused_with_412(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    url = f"/api/v1/teams/{estate.network_team.id}"
    etag = client.get(url, **auth)["ETag"]
    first = client.patch(url, data={"name": "NOC"}, content_type="application/json", HTTP_IF_MATCH=etag, **auth)
    assert first.status_code == 200 and first["ETag"] != etag
    stale = client.patch(url, data={"name": "Lost"}, content_type="application/json", HTTP_IF_MATCH=etag, **auth)
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "precondition_failed"
    assert Team.objects.get(pk=estate.network_team.pk).name == "NOC"


def test_an_unconditional_update_still_works_and_bumps_the_version(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    url = f"/api/v1/teams/{estate.network_team.id}"
    body = client.patch(url, data={"email": "noc@example.org"}, content_type="application/json", **auth).json()
    assert body["email"] == "noc@example.org" and body["version"] == 2


def test_a_read_token_cannot_write(client, estate):
    auth = bearer(estate.network_admin, estate.network, scope=ApiToken.Scope.READ)
    assert client.get("/api/v1/teams", **auth).status_code == 200
    response = client.patch(
        f"/api/v1/teams/{estate.network_team.id}", data={"name": "x"}, content_type="application/json", **auth
    )
    assert response.status_code == 403
    assert "read scope" in response.json()["error"]["message"]


def test_expired_and_revoked_tokens_are_refused(client, estate):
    expired = bearer(estate.network_admin, estate.network, expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/teams", **expired).status_code == 401
    revoked = bearer(estate.network_resolver, estate.network, revoked_at=timezone.now())
    assert client.get("/api/v1/teams", **revoked).status_code == 401


def test_tokens_are_created_shown_once_stored_hashed_and_revocable(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    created = client.post(
        "/api/v1/tokens", data={"name": "ITSM bridge", "scope": "read"}, content_type="application/json", **auth
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    token = ApiToken.objects.get(name="ITSM bridge")
    assert secret not in {token.digest, token.prefix} and secret.startswith(token.prefix)
    new_auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert client.get("/api/v1/me", **new_auth).json()["username"] == "net.admin"
    assert "secret" not in client.get("/api/v1/tokens", **auth).json()["items"][0]
    assert client.delete(f"/api/v1/tokens/{token.id}", **auth).status_code == 204
    assert client.get("/api/v1/me", **new_auth).status_code == 401


def test_an_auditor_reads_everything_and_writes_nothing(client, estate):
    auth = bearer(estate.auditor, estate.authority)
    assert client.get(f"/api/v1/teams/{estate.applications_team.id}", **auth).status_code == 200
    response = client.patch(
        f"/api/v1/teams/{estate.applications_team.id}", data={"name": "x"}, content_type="application/json", **auth
    )
    assert response.status_code == 403
    assert client.get("/api/v1/audit-entries", **auth).status_code == 200


def test_history_lists_the_objects_audit_entries(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    url = f"/api/v1/teams/{estate.network_team.id}"
    client.patch(url, data={"name": "NOC"}, content_type="application/json", **auth)
    history = client.get(f"{url}/history", **auth).json()["items"]
    assert [(h["action"], h["before"], h["after"]) for h in history] == [
        ("team.updated", {"name": "Network operations"}, {"name": "NOC"})
    ]


def test_people_and_roles_are_managed_through_the_api(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    created = client.post(
        "/api/v1/people",
        data={"organisation": str(estate.network.id), "username": "new.engineer", "roles": ["resolver"]},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    person = Person.objects.get(username="new.engineer")
    assert [m["role"] for m in created.json()["memberships"]] == ["resolver"]
    granted = client.post(
        "/api/v1/memberships",
        data={"person": str(person.id), "organisation": str(estate.network.id), "role": "team_lead"},
        content_type="application/json",
        **auth,
    )
    assert granted.status_code == 201
    membership = Membership.objects.get(person=person, role=Role.TEAM_LEAD)
    assert client.delete(f"/api/v1/memberships/{membership.id}", **auth).status_code == 204
    assert set(person.memberships.values_list("role", flat=True)) == {"resolver"}


def test_a_role_of_the_authority_cannot_be_given_in_a_supplier(client, estate):
    auth = bearer(estate.network_admin, estate.network)
    response = client.post(
        "/api/v1/memberships",
        data={"person": str(estate.network_resolver.id), "organisation": str(estate.network.id), "role": "auditor"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422 and "role" in response.json()["error"]["fields"]


def test_the_people_list_costs_the_same_few_queries_for_a_page_of_50(client, estate, django_assert_max_num_queries):
    for n in range(60):
        person = PersonFactory(username=f"bulk{n}")
        MembershipFactory(person=person, organisation=estate.network, role=Role.RESOLVER)
        MembershipFactory(person=person, organisation=estate.network, role=Role.AGENT)
    auth = bearer(estate.network_admin, estate.network)
    with django_assert_max_num_queries(14):
        body = client.get("/api/v1/people?limit=50", **auth).json()
    assert len(body["items"]) == 50
    assert all(len(p["memberships"]) >= 1 for p in body["items"])


def test_the_team_list_costs_a_fixed_number_of_queries(client, estate, django_assert_max_num_queries):
    for n in range(60):
        TeamFactory(organisation=estate.network, code=f"bulk-{n}", name=f"Bulk {n}")
    auth = bearer(estate.network_admin, estate.network)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/teams?limit=50", **auth).json()["items"]) == 50


def test_the_openapi_document_describes_every_route(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/teams/{id}" in schema["paths"]
    assert "BearerAuth" in json.dumps(schema["components"]) or "TokenAuth" in json.dumps(schema["components"])


def test_the_api_docs_page_loads_its_assets_locally_not_from_a_cdn(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_the_audit_log_is_for_auditors_and_administrators_only(client, estate):
    requester = PersonFactory(username="officer")
    MembershipFactory(person=requester, organisation=estate.authority, role=Role.REQUESTER)
    response = client.get("/api/v1/audit-entries", **bearer(requester, estate.authority))
    assert response.status_code == 403
    assert client.get("/api/v1/audit-entries", **bearer(estate.network_admin, estate.network)).status_code == 200


def test_the_authority_grants_and_revokes_the_integrator_a_view_of_a_suppliers_commercials(client, estate):
    from towers.organisations.selectors import scope_for

    payload = {"grantee": str(estate.integrator.id), "supplier": str(estate.applications.id), "reason": "Review"}
    refused = client.post(
        "/api/v1/commercial-grants",
        data=payload,
        content_type="application/json",
        **bearer(estate.integrator_admin, estate.integrator),
    )
    assert refused.status_code in {403, 404}
    authority = bearer(estate.authority_admin, estate.authority)
    created = client.post("/api/v1/commercial-grants", data=payload, content_type="application/json", **authority)
    assert created.status_code == 201, created.content
    assert estate.applications.id in scope_for(estate.integrator).commercial
    assert client.delete(f"/api/v1/commercial-grants/{created.json()['id']}", **authority).status_code == 204
    assert estate.applications.id not in scope_for(estate.integrator).commercial
    assert [e.action for e in AuditEntry.objects.order_by("seq")] == [
        "commercial_grant.created",
        "commercial_grant.revoked",
    ]
