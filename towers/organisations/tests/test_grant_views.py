import pytest

from towers.core.models import AuditEntry
from towers.organisations.models import CommercialGrant
from towers.organisations.tests.factories import CommercialGrantFactory, sign_in

pytestmark = pytest.mark.django_db


def test_the_authority_grants_commercial_access_through_the_form(client, estate):
    sign_in(client, estate.authority_admin)
    response = client.post(
        "/commercial-grants/",
        {"grantee": estate.integrator.pk, "supplier": estate.applications.pk, "reason": "Annual review"},
    )
    assert response.status_code == 302
    grant = CommercialGrant.objects.get()
    assert (grant.grantee, grant.supplier) == (estate.integrator, estate.applications)
    assert AuditEntry.objects.get(action="commercial_grant.created").person_id == estate.authority_admin.id
    assert "Annual review" in client.get("/commercial-grants/").content.decode()


def test_the_integrator_sees_its_own_grant_but_cannot_grant_or_revoke(client, estate):
    grant = CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications, reason="Review")
    sign_in(client, estate.integrator_admin)
    page = client.get("/commercial-grants/").content.decode()
    assert "Review" in page and "Grant access" not in page
    response = client.post(
        "/commercial-grants/", {"grantee": estate.integrator.pk, "supplier": estate.network.pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert client.post(f"/commercial-grants/{grant.pk}/revoke/").status_code == 403
    assert CommercialGrant.objects.count() == 1


def test_a_supplier_does_not_see_grants_about_others(client, estate):
    CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications, reason="Secret review")
    sign_in(client, estate.network_admin)
    assert "Secret review" not in client.get("/commercial-grants/").content.decode()
