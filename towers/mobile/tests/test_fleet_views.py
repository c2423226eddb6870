"""The fleet's pages: the filterable list, a device's detail, compliance; segregation and query counts."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from towers.mobile.models import Compliance, ComplianceRule, DeviceStatus
from towers.mobile.tests.factories import Fleet
from towers.organisations.tests.factories import sign_in


def test_the_list_filters_by_status_and_compliance_and_searches(client, fleet: Fleet) -> None:
    fleet.device(name="PC1234-PHONE", status=DeviceStatus.ISSUED, compliance=Compliance.NON_COMPLIANT)
    fleet.device(name="SPARE-0001", status=DeviceStatus.IN_STOCK, compliance=Compliance.COMPLIANT)
    sign_in(client, fleet.estate.authority_admin)
    page = client.get("/mobile/devices/", {"status": "issued"}).content.decode()
    assert "PC1234-PHONE" in page and "SPARE-0001" not in page and "Non-compliant" in page
    page = client.get("/mobile/devices/", {"compliance": "compliant"}).content.decode()
    assert "SPARE-0001" in page and "PC1234-PHONE" not in page
    assert "SPARE-0001" in client.get("/mobile/devices/", {"q": "spare"}).content.decode()


def test_the_detail_shows_reasons_sims_history_and_links_the_ci(client, fleet: Fleet) -> None:
    from towers.cmdb.tests.factories import ConfigurationItemFactory

    ci = ConfigurationItemFactory(ci_class="mobile_device", owner=fleet.owner)
    device = fleet.device(ci=ci, compliance=Compliance.NON_COMPLIANT, compliance_reasons=["not encrypted"])
    fleet.sim(device=device, msisdn="+447700900321")
    sign_in(client, fleet.estate.authority_admin)
    page = client.get(f"/mobile/devices/{device.id}/").content.decode()
    assert "not encrypted" in page and "+447700900321" in page and f"/configuration-items/{ci.id}/" in page


def test_the_compliance_page_lists_rules_and_non_compliant_devices_with_reasons(client, fleet: Fleet) -> None:
    fleet.rule(name="iOS floor", kind=ComplianceRule.Kind.OS_FLOOR, platform="ios", value="17.4")
    fleet.device(
        name="OLD-PHONE", compliance=Compliance.NON_COMPLIANT, compliance_reasons=["iOS 16.7 is below the floor 17.4"]
    )
    fleet.device(name="GOOD-PHONE", compliance=Compliance.COMPLIANT)
    sign_in(client, fleet.estate.authority_admin)
    page = client.get("/mobile/compliance/").content.decode()
    assert "iOS floor" in page and "OLD-PHONE" in page and "below the floor 17.4" in page and "GOOD-PHONE" not in page


def test_the_network_operators_people_see_none_of_the_authoritys_fleet(client, fleet: Fleet) -> None:
    device = fleet.device(name="PC1234-PHONE", compliance=Compliance.NON_COMPLIANT)
    fleet.rule(name="Encryption required")
    sign_in(client, fleet.estate.network_admin)
    assert "PC1234-PHONE" not in client.get("/mobile/devices/").content.decode()
    page = client.get("/mobile/compliance/").content.decode()
    assert "PC1234-PHONE" not in page and "Encryption required" not in page
    assert client.get(f"/mobile/devices/{device.id}/").status_code == 404


def test_the_list_page_takes_the_same_queries_for_3_or_23_devices(client, fleet: Fleet) -> None:
    sign_in(client, fleet.estate.authority_admin)
    for _ in range(3):
        fleet.device(person=fleet.officer, team=fleet.team)
    client.get("/mobile/devices/")
    with CaptureQueriesContext(connection) as three:
        client.get("/mobile/devices/")
    for _ in range(20):
        fleet.device(person=fleet.officer, team=fleet.team)
    with CaptureQueriesContext(connection) as many:
        client.get("/mobile/devices/")
    assert len(many) == len(three)


def test_the_compliance_page_takes_the_same_queries_for_3_or_23_failing_devices(client, fleet: Fleet) -> None:
    sign_in(client, fleet.estate.authority_admin)
    fleet.rule(raises_ticket=True, ticket_team=fleet.team)

    def failing(n: int) -> None:
        for _ in range(n):
            fleet.device(person=fleet.officer, team=fleet.team, compliance=Compliance.NON_COMPLIANT)

    failing(3)
    client.get("/mobile/compliance/")
    with CaptureQueriesContext(connection) as three:
        client.get("/mobile/compliance/")
    failing(20)
    with CaptureQueriesContext(connection) as many:
        client.get("/mobile/compliance/")
    assert len(many) == len(three)
