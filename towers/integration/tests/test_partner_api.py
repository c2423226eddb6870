"""Managing supplier integrations through /api/v1, the pages and the CLI: who may read, who may manage."""

import io
import json
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from towers.core.models import AuditEntry
from towers.integration.models_partners import PartnerIntegration
from towers.integration.tests.factories_partners import PartnerMessageFactory
from towers.integration.tests.partner_fake import FakePartner
from towers.integration.tests.test_partner_outbound import handed_to_partner
from towers.organisations.models import ApiToken
from towers.organisations.tests.factories import ApiTokenFactory, sign_in

pytestmark = pytest.mark.django_db


def bearer(person, organisation):
    secret = f"twr_partners-{person.username}-{organisation.code}-abcdefghijklmnopqrstuvwxyz"
    ApiTokenFactory(secret=secret, person=person, organisation=organisation, scope=ApiToken.Scope.WRITE)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def post(client, url, body, auth):
    return client.post(url, data=json.dumps(body), content_type="application/json", **auth)


def create(client, estate, auth, **extra):
    body = {
        "organisation": str(estate.network.id),
        "name": "NetCo ServiceNow",
        "teams": [str(estate.network_team.id)],
        "base_url": "http://127.0.0.1:9/tmf-api/troubleTicket/v5",
        "auth_token": "twr_secret_at_partner",
    } | extra
    return post(client, "/api/v1/partner-integrations", body, auth)


def test_the_integrator_creates_an_integration_whose_token_never_comes_back(client, estate):
    response = create(client, estate, bearer(estate.integrator_admin, estate.integrator))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (
        data["has_auth_token"] and "auth_token" not in data and "twr_secret_at_partner" not in response.content.decode()
    )
    assert data["teams"] == [str(estate.network_team.id)] and not data["hub_registered"]
    entry = AuditEntry.objects.get(action="integration.partner.created", object_id=data["id"])
    assert "twr_secret_at_partner" not in json.dumps(entry.after)


def test_the_supplier_reads_its_own_integration_but_does_not_manage_it(client, estate):
    integration_id = create(client, estate, bearer(estate.integrator_admin, estate.integrator)).json()["id"]
    supplier = bearer(estate.network_admin, estate.network)
    assert client.get(f"/api/v1/partner-integrations/{integration_id}", **supplier).status_code == 200
    patch = client.patch(
        f"/api/v1/partner-integrations/{integration_id}",
        data={"name": "Mine"},
        content_type="application/json",
        **supplier,
    )
    assert patch.status_code == 403
    assert create(client, estate, supplier).status_code == 403
    assert (
        post(
            client,
            f"/api/v1/partner-integrations/{integration_id}/state-mappings",
            {"ours": "pending", "theirs": "held"},
            supplier,
        ).status_code
        == 403
    )


def test_another_supplier_sees_neither_the_integration_nor_its_message_log(client, estate):
    integration, ticket = handed_to_partner(estate)
    dead = PartnerMessageFactory(integration=integration, ticket=ticket, status="dead")
    other = bearer(estate.applications_admin, estate.applications)
    assert client.get(f"/api/v1/partner-integrations/{integration.id}", **other).status_code == 404
    assert client.get("/api/v1/partner-integrations", **other).json()["count"] == 0
    assert client.get(f"/api/v1/partner-messages?ticket={ticket.id}", **other).json()["count"] == 0
    assert client.get(f"/api/v1/partner-messages/{dead.id}", **other).status_code == 404
    audit_before = AuditEntry.objects.count()
    assert client.post(f"/api/v1/partner-messages/{dead.id}/replay", **other).status_code == 404
    assert client.post(f"/api/v1/partner-integrations/{integration.id}/register-hub", **other).status_code == 404
    assert AuditEntry.objects.count() == audit_before
    owner = bearer(estate.network_admin, estate.network)
    log = client.get(f"/api/v1/partner-messages?ticket={ticket.id}", **owner).json()
    assert {m["operation"] for m in log["items"]} == {"create", "update"}
    assert client.get("/api/v1/partner-messages?status=dead", **owner).json()["count"] == 1


def test_mapping_rows_are_added_and_removed_by_the_integrator_and_audited(client, estate):
    auth = bearer(estate.integrator_admin, estate.integrator)
    integration_id = create(client, estate, auth).json()["id"]
    url = f"/api/v1/partner-integrations/{integration_id}/field-mappings"
    added = post(client, url, {"ours": "impact", "theirs": "severity", "direction": "in"}, auth)
    assert added.status_code == 201
    assert post(client, url, {"ours": "impact", "theirs": "severity", "direction": "in"}, auth).status_code == 422
    assert [m["theirs"] for m in client.get(url, **auth).json()] == ["severity"]
    assert client.delete(f"{url}/{added.json()['id']}", **auth).status_code == 204
    assert client.get(url, **auth).json() == []
    actions = set(AuditEntry.objects.filter(object_id=integration_id).values_list("action", flat=True))
    assert {"integration.partner.field_mapping_added", "integration.partner.field_mapping_removed"} <= actions


@override_settings(TOWERS_PUBLIC_URL="http://towers.example:8000")
def test_register_hub_posts_our_listener_and_keeps_only_the_secrets_digest(client, estate):
    auth = bearer(estate.integrator_admin, estate.integrator)
    with FakePartner() as partner:
        integration_id = create(client, estate, auth, base_url=partner.base_url).json()["id"]
        response = client.post(f"/api/v1/partner-integrations/{integration_id}/register-hub", **auth)
        assert response.status_code == 200 and response.json()["hub_registered"]
        again = client.post(f"/api/v1/partner-integrations/{integration_id}/register-hub", **auth)
        assert again.status_code == 200
    first, delete, second = partner.calls
    assert (first.method, first.path, first.body["query"]) == ("POST", "/tmf-api/troubleTicket/v5/hub", "")
    assert first.headers["Authorization"] == "Bearer twr_secret_at_partner"
    assert (delete.method, delete.path) == ("DELETE", "/tmf-api/troubleTicket/v5/hub/hub-1")
    callback = urlsplit(second.body["callback"])
    assert callback.netloc == "towers.example:8000"
    assert callback.path.startswith(f"/api/partners/{integration_id}/listener/")
    integration = PartnerIntegration.objects.get(pk=integration_id)
    secret = callback.path.rsplit("/", 1)[1]
    assert integration.hub_subscription_id == "hub-3" and secret not in integration.listener_digest
    assert client.post(callback.path, data="{}", content_type="application/json").status_code == 422
    old = urlsplit(first.body["callback"]).path
    assert client.post(old, data="{}", content_type="application/json").status_code == 404
    assert AuditEntry.objects.filter(action="integration.partner.hub_registered", object_id=integration_id).count() == 2


def test_pages_show_the_integrator_its_integrations_and_hide_them_from_other_suppliers(client, estate):
    integration, ticket = handed_to_partner(estate)
    sign_in(client, estate.integrator_admin, estate.integrator)
    assert integration.name in client.get("/partner-integrations/").content.decode()
    assert client.get(f"/partner-integrations/{integration.id}/").status_code == 200
    page = client.get(f"/tickets/{ticket.reference}/partner-messages/").content.decode()
    assert "create" in page and str(ticket.bonds.get().correlation_id) in page
    sign_in(client, estate.applications_admin, estate.applications)
    assert integration.name not in client.get("/partner-integrations/").content.decode()
    assert client.get(f"/partner-integrations/{integration.id}/").status_code == 404
    assert client.get(f"/tickets/{ticket.reference}/partner-messages/").status_code == 404


def test_the_cli_lists_integrations_and_prints_a_tickets_log(estate):
    integration, ticket = handed_to_partner(estate)
    out = io.StringIO()
    call_command("partners", "list", stdout=out)
    assert integration.name in out.getvalue()
    out = io.StringIO()
    call_command("partners", "log", ticket.reference, stdout=out)
    assert "\tout\tcreate\tpending\t" in out.getvalue() and str(ticket.bonds.get().correlation_id) in out.getvalue()
