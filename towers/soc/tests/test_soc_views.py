import pytest

from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.soc.models import Alert, AlertStatus, SecurityCase

pytestmark = pytest.mark.django_db


def test_the_queue_shows_open_alerts_coloured_by_severity(client, soc):
    soc.raise_alert(host="ws-critical")
    closed = soc.raise_alert(host="ws-closed")
    Alert.objects.filter(pk=closed.pk).update(status=AlertStatus.CLOSED)
    sign_in(client, soc.analyst, soc.organisation)
    page = client.get("/alerts/").content.decode()
    assert "ws-critical" in page and "ws-closed" not in page
    assert 'class="badge severity-high priority-p2"' in page
    assert "ws-closed" in client.get("/alerts/?status=closed").content.decode()


def test_bulk_actions_acknowledge_and_open_a_case_from_the_queue(client, soc):
    alerts = [soc.raise_alert(host=f"ws-{n}", user=f"u{n}") for n in range(3)]
    sign_in(client, soc.analyst, soc.organisation)
    response = client.post("/alerts/bulk/", {"alerts": [str(a.pk) for a in alerts[:2]], "action": "acknowledge"})
    assert response.status_code == 302
    assert list(Alert.objects.order_by("host").values_list("status", flat=True)) == ["acknowledged"] * 2 + ["new"]
    opened = client.post("/alerts/bulk/", {"alerts": [str(alerts[2].pk)], "action": "case", "title": "Lateral"})
    case = SecurityCase.objects.get()
    assert opened["Location"] == f"/security-cases/{case.pk}/" and case.title == "Lateral"
    assert AuditEntry.objects.filter(action="soc.case.opened", channel="web").exists()


def test_the_case_page_shows_timeline_observables_with_tlp_pap_metrics_and_the_incident(client, soc):
    case = soc.case()
    sign_in(client, soc.analyst, soc.organisation)
    url = f"/security-cases/{case.pk}/"
    client.post(f"{url}notes/", {"body": "Phishing origin"})
    client.post(f"{url}observables/", {"type": "domain", "value": "evil.example", "tlp": "red", "pap": "green"})
    assert client.post(f"{url}hand-off/", {"note": "Isolate"}).status_code == 302
    page = client.get(url).content.decode()
    case.refresh_from_db()
    assert "Phishing origin" in page and "evil.example" in page
    assert "TLP:RED" in page and "PAP:GREEN" in page
    assert case.incident.reference in page and case.incident.get_state_display() in page
    assert "Apps Supplier" in page and "MTTD" in page
    assert page.count("<time datetime=") == 5  # opened, alert attached, note, observable, handed off


def test_a_supplier_gets_404_for_the_case_page_and_its_steps(client, soc):
    case = soc.case()
    sign_in(client, soc.desk.apps_resolver, soc.desk.estate.applications)
    assert client.get(f"/security-cases/{case.pk}/").status_code == 404
    assert client.post(f"/security-cases/{case.pk}/notes/", {"body": "x"}).status_code == 404
    assert client.post("/alerts/bulk/", {"alerts": [str(case.alerts.get().pk)], "action": "close"}).status_code == 404
    assert "SEC0000001" not in client.get("/security-cases/").content.decode()


def test_a_refused_step_says_why_and_changes_nothing(client, soc):
    case = soc.case(host="nowhere", user="nobody")
    sign_in(client, soc.analyst, soc.organisation)
    response = client.post(f"/security-cases/{case.pk}/hand-off/", {}, follow=True)
    assert "choose a team" in response.content.decode()
    case.refresh_from_db()
    assert case.incident_id is None
