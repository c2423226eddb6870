from datetime import timedelta

import pytest
from django.utils import timezone

from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.organisations.tests.factories import person_with_roles, sign_in
from towers.servicedesk.tests.factories import build_desk
from towers.transition.models import Transition
from towers.transition.tests.factories import (
    crime_transition,
    desk_for_transition,
    incoming_supplier,
    onboarding_plan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(estate):
    desk = desk_for_transition(estate)
    incoming = incoming_supplier(estate)
    return crime_transition(desk, incoming, timezone.now() - timedelta(minutes=1))


def test_the_integrator_dry_runs_and_applies_through_the_api(client, estate, planned):
    sign_in(client, estate.integrator_admin)
    url = f"/api/v1/transitions/{planned.pk}"
    assert client.post(f"{url}/apply").status_code == 422  # no dry run yet
    report = client.post(f"{url}/dry-run").json()
    assert report["dry_run"] and report["problems"] == []
    assert client.get(url).json()["dry_run_current"] is True
    applied = client.post(f"{url}/apply")
    assert applied.status_code == 200, applied.content
    assert client.get(url).json()["status"] == "applied"
    assert client.get(f"{url}/steps").json()["count"] >= 1
    assert client.post(f"{url}/apply").status_code == 422


def test_the_api_creates_a_transition_and_onboards_a_supplier(client, estate):
    desk = build_desk(estate)
    sign_in(client, estate.authority_admin)
    dry = client.post("/api/v1/transitions/onboard", {"plan": onboarding_plan()}, content_type="application/json")
    assert dry.status_code == 200 and dry.json()["dry_run"] and dry.json()["ok"]
    body = {"plan": onboarding_plan(), "dry_run": False}
    assert client.post("/api/v1/transitions/onboard", body, content_type="application/json").json()["ok"]
    organisation = {"code": "apps-third", "name": "Third Apps", "tower": "applications"}
    bad = {"plan": onboarding_plan(organisation=organisation, teams=[{"name": "No code"}]), "dry_run": False}
    refused = client.post("/api/v1/transitions/onboard", bad, content_type="application/json")
    assert refused.status_code == 422 and "teams[0].code" in refused.json()["error"]["fields"]
    incoming = Transition._meta.get_field("incoming").related_model.objects.get(code="apps-next")
    created = client.post(
        "/api/v1/transitions",
        {
            "name": "Crime to Next",
            "outgoing": str(estate.applications.id),
            "incoming": str(incoming.id),
            "effective_at": timezone.now().isoformat(),
            "services": [str(desk.service.id)],
            "team_mapping": {"app-support": "next-support"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "planned"


def test_another_supplier_can_neither_see_nor_run_it_and_nothing_changes(client, estate, planned):
    sign_in(client, estate.network_admin)
    audited = AuditEntry.objects.count()
    url = f"/api/v1/transitions/{planned.pk}"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/dry-run").status_code == 404
    assert client.post(f"{url}/apply").status_code == 404
    assert str(planned.pk) not in client.get("/api/v1/transitions").content.decode()
    assert client.get(f"/transitions/{planned.pk}/").status_code == 404
    assert client.post(f"/transitions/{planned.pk}/apply/", {"confirm": "yes"}).status_code == 404
    assert AuditEntry.objects.count() == audited
    assert Transition.objects.get(pk=planned.pk).status == "planned"


def test_the_outgoing_and_incoming_suppliers_read_it_but_may_not_run_it(client, estate, planned):
    incoming_admin = person_with_roles(planned.incoming, Role.ADMINISTRATOR, username="next.admin")
    for person in (estate.applications_admin, incoming_admin):
        client.logout()
        sign_in(client, person)
        assert client.get(f"/api/v1/transitions/{planned.pk}").status_code == 200
        assert client.get(f"/transitions/{planned.pk}/").status_code == 200
        assert client.post(f"/api/v1/transitions/{planned.pk}/dry-run").status_code == 403
    assert Transition.objects.get(pk=planned.pk).status == "planned"


def test_the_page_shows_the_report_and_applies_on_confirmation(client, estate, planned):
    sign_in(client, estate.integrator_admin)
    page = f"/transitions/{planned.pk}/"
    assert "No dry run yet" in client.get(page).content.decode()
    client.post(f"/transitions/{planned.pk}/dry-run/")
    shown = client.get(page).content.decode()
    assert "Open tickets handed to the incoming team" in shown and 'name="confirm"' in shown
    client.post(f"/transitions/{planned.pk}/apply/")  # not confirmed: nothing happens
    assert Transition.objects.get(pk=planned.pk).status == "dry_run"
    client.post(f"/transitions/{planned.pk}/apply/", {"confirm": "yes"})
    assert Transition.objects.get(pk=planned.pk).status == "applied"
    assert "What apply did" in client.get(page).content.decode()
    assert planned.name in client.get("/transitions/").content.decode()


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(client, estate, planned, django_assert_max_num_queries):
    for n in range(5):
        crime = planned.services.get()
        extra = Transition.objects.create(
            name=f"Extra {n}", outgoing=planned.outgoing, incoming=planned.incoming, effective_at=timezone.now()
        )
        extra.services.add(crime)
    sign_in(client, estate.integrator_admin)
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/transitions")
    assert response.json()["count"] == 6
