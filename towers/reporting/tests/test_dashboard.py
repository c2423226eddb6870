"""The review dashboard: each role's month per supplier, within its visibility, each figure opening its records."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from freezegun import freeze_time

from towers.contracts.tests.factories import ContractFactory
from towers.core.roles import Role
from towers.organisations.models import OrganisationKind, Team
from towers.organisations.tests.factories import (
    CommercialGrantFactory,
    OrganisationFactory,
    TeamFactory,
    TeamMembershipFactory,
    actor_of,
    person_with_roles,
    sign_in,
)
from towers.reporting.selectors_dashboard import Dashboard
from towers.reporting.selectors_pack import build_pack
from towers.reporting.tests.conftest import P3
from towers.reporting.tests.conftest import resolve as resolve_ticket
from towers.servicedesk.services.handoffs import handoff_accept, ticket_hand_off
from towers.sla.tests.factories import CreditRunFactory, DeliveryAssessmentFactory

URL = "/reviews/dashboard/"
MARCH = date(2026, 3, 1)
AFTER = "2026-04-02 09:00:00+00:00"
P2 = {"impact": 1, "urgency": 2}
THIRD_PARTY = OrganisationKind.THIRD_PARTY
NET_OPS = "Network operations"


def get(client, url=URL, **params):
    with freeze_time(AFTER):
        return client.get(url, {"month": "2026-03"} | params)


def commercials(estate) -> None:
    """March's credits for the applications supplier (two contracts) and the network, and one delivery score."""
    first = ContractFactory(supplier=estate.applications, reference="APP-1")
    CreditRunFactory(contract=first, total=Decimal("1000.00"))
    CreditRunFactory(contract=ContractFactory(supplier=estate.applications, reference="APP-2"), total=Decimal("234.50"))
    CreditRunFactory(contract=first, period=date(2026, 2, 1), total=Decimal("99.00"))  # superseded by March's
    DeliveryAssessmentFactory(contract=first, score=Decimal("87.5"))
    CreditRunFactory(contract=ContractFactory(supplier=estate.network, reference="NET-1"), total=Decimal("777.00"))


def two_urgent_for_the_network(desk) -> Team:
    """Two P2s waiting for two of the network's teams to accept them; returns the second team."""
    field = TeamFactory(organisation=desk.estate.network, code="net-field", name="Network field engineers")
    with freeze_time("2026-03-20 09:00:00+00:00"):
        for team in (desk.estate.network_team, field):
            urgent = desk.raise_incident(title="Custody suite offline", **P2)
            ticket_hand_off(actor=desk.actor(desk.agent), ticket=urgent, to_team=team, reason="Line down")
    return field


def rows(response) -> dict:
    dashboard: Dashboard = response.context["dashboard"]
    return {row.code: row for row in dashboard.rows}


def test_the_authority_sees_a_row_per_supplier_with_the_months_figures_and_commercials(client, march):
    desk = march.desk
    estate = desk.estate
    commercials(estate)
    field = two_urgent_for_the_network(desk)
    sign_in(client, estate.authority_admin)
    response = get(client)
    assert response.status_code == 200
    by_code = rows(response)
    assert list(by_code) == ["apps", "integrator", "network"]  # by name; the authority itself is no supplier
    apps, integrator, network = by_code["apps"], by_code["integrator"], by_code["network"]
    # T2: response met, resolution breached (an SLA the applications supplier provides); its OLA met.
    assert (apps.sla.value, apps.ola.value, apps.breaches.value) == (Decimal("50.0"), Decimal("100.0"), 1)
    assert (apps.backlog.total, apps.awaiting.total, apps.ping_pong.value) == (1, 1, 1)  # T3, sent back to it
    assert apps.backlog.link == f"/queues/?team={estate.applications_team.pk}"
    assert (integrator.backlog.total, integrator.breaches.value, integrator.sla.value) == (1, 1, None)  # T4; T2
    assert (network.backlog.total, network.by_priority["P2"].total, network.by_priority["P1"].total) == (2, 2, 0)
    split = network.by_priority["P2"]  # held by two teams: no one queue shows both, so each team's is linked
    assert split.link == "" and [(f.label, f.value) for f in split.teams] == [(field.name, 1), (NET_OPS, 1)]
    assert split.teams[0].link == f"/queues/?team={field.pk}&priority=P2"
    assert (network.breaches.value, network.ping_pong.value) == (0, 0)
    assert apps.credit.value == Decimal("1234.50") and apps.score.value == Decimal("87.5")
    assert network.credit.value == Decimal("777.00") and network.score is None and integrator.credit is None
    assert apps.pack_link == "/reviews/2026-03/apps/"
    assert apps.breaches.link == "/reviews/2026-03/clocks/?supplier=apps&breached=on"
    page = response.content.decode()
    assert "Authority dashboard: March 2026" in page and "Delivery score" in page and "£1234.50" in page
    crossed = next(f for f in response.context["dashboard"].estate if f.label == "Crossed suppliers")
    assert crossed.value == 5  # T2, T3, T5 and the two P2s
    assert (
        "crossed=on" in crossed.link
        and "opened_from=2026-03-01" in crossed.link
        and "opened_to=2026-03-31" in crossed.link
    )


def test_each_suppliers_figures_agree_with_its_service_review_pack(client, march):
    estate = march.desk.estate
    sign_in(client, estate.authority_admin)
    by_code = rows(get(client))
    for supplier in (estate.applications, estate.integrator, estate.network):
        with freeze_time(AFTER):
            pack = build_pack(actor=actor_of(estate.authority_admin), month=MARCH, supplier=supplier)
        row = by_code[supplier.code]
        assert row.breaches.value == len(pack.breaches), supplier.code
        slas = [a for a in pack.attainment if a.kind == "sla"]
        measured, met = sum(a.measured for a in slas), sum(a.met for a in slas)
        assert row.sla.value == (Decimal(met * 100 / measured).quantize(Decimal("0.1")) if measured else None)


def test_the_integrator_sees_its_towers_suppliers_and_no_commercials_unless_granted(client, march):
    estate = march.desk.estate
    commercials(estate)
    sign_in(client, estate.integrator_admin)
    response = get(client)
    assert response.context["dashboard"].role == "integrator"
    assert set(rows(response)) == {"apps", "integrator", "network"}
    page = response.content.decode()
    assert "Credits" not in page and "Delivery score" not in page and "1234.50" not in page and "777.00" not in page
    assert 'href="/crossed/"' in page and "Integrator dashboard" in page
    CommercialGrantFactory(grantee=estate.integrator, supplier=estate.applications)
    granted = rows(get(client))
    assert granted["apps"].credit.value == Decimal("1234.50") and granted["network"].credit is None
    assert "777.00" not in get(client).content.decode()


def test_the_applications_supplier_sees_only_its_own_figures(client, march):
    estate = march.desk.estate
    commercials(estate)
    sign_in(client, estate.applications_admin)
    response = get(client)
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert (dashboard.role, [row.code for row in dashboard.rows], dashboard.estate) == ("supplier", ["apps"], ())
    own = dashboard.rows[0]
    assert (own.breaches.value, own.awaiting.total, own.by_priority["P3"].total) == (1, 1, 1)
    assert own.by_priority["P3"].link == f"/queues/?team={estate.applications_team.pk}&priority=P3"
    page = response.content.decode()
    assert 'href="/handoffs/"' in page and 'href="/reviews/2026-03/apps/"' in page and "£1234.50" in page
    for foreign in ("Network Co", estate.network_team.name, march.t5.reference, "777.00", "/crossed/"):
        assert foreign not in page, foreign


def test_requesters_are_refused_and_a_bad_month_falls_back_to_this_month(client, march):
    sign_in(client, march.desk.requester)
    assert get(client).status_code == 403
    sign_in(client, march.desk.estate.network_admin)
    with freeze_time("2026-03-20 09:00:00+00:00"):
        page = client.get(URL, {"month": "March"})
        assert client.get(URL).context["dashboard"].month == MARCH
    assert page.status_code == 200 and page.context["dashboard"].month == MARCH
    assert "“March” is not a month" in page.content.decode() and "March 2026 to date" in page.content.decode()


def test_every_link_on_the_dashboard_opens_a_page_its_reader_may_open(client, march):
    estate = march.desk.estate
    commercials(estate)
    two_urgent_for_the_network(march.desk)
    for person in (estate.authority_admin, estate.integrator_admin, estate.applications_admin, estate.network_admin):
        sign_in(client, person)
        main = get(client).content.decode().split("<main", 1)[1].split("</main>", 1)[0]
        found = {html.unescape(href) for href in re.findall(r'href="([^"]+)"', main)}
        assert len(found) >= 6, (person.username, found)
        for url in sorted(found):
            resolve(urlsplit(url).path)  # an existing page (Resolver404 otherwise)
            with freeze_time(AFTER):
                assert client.get(url).status_code == 200, (person.username, url)


def test_the_review_index_links_the_dashboard(client, estate):
    sign_in(client, estate.authority_admin)
    assert 'href="/reviews/dashboard/"' in client.get("/reviews/").content.decode()


def _more_suppliers(desk, count: int) -> None:
    """`count` more third parties, each handed a ticket in March, one accepted and resolved, and credited."""
    agent = desk.actor(desk.agent)
    for n in range(count):
        tower = desk.estate.infrastructure_tower
        supplier = OrganisationFactory(code=f"third-{n}", name=f"Third {n}", kind=THIRD_PARTY, tower=tower)
        team = TeamFactory(organisation=supplier, code=f"third-{n}-ops", name=f"Third {n} operations")
        resolver = person_with_roles(supplier, Role.RESOLVER, username=f"third-{n}.resolver")
        TeamMembershipFactory(team=team, person=resolver)
        CreditRunFactory(contract=ContractFactory(supplier=supplier), total=Decimal(n))
        with freeze_time(f"2026-03-{10 + n} 09:00:00+00:00") as clock:
            for title in ("Waiting", "Fixed"):
                ticket = desk.raise_incident(title=f"{title} {n}", **P3)
                sent = ticket_hand_off(actor=agent, ticket=ticket, to_team=team, reason="Theirs")
                if title == "Fixed":
                    clock.tick(timedelta(minutes=10))
                    handoff_accept(actor=desk.actor(resolver), handoff=sent)
                    resolve_ticket(desk, ticket, resolver)


def test_the_query_count_does_not_grow_with_suppliers_or_tickets(client, march, django_assert_max_num_queries):
    desk = march.desk
    commercials(desk.estate)
    for person in (desk.estate.authority_admin, desk.estate.applications_admin):
        sign_in(client, person)
        get(client)  # warm the session and the actor's caches
    sign_in(client, desk.estate.authority_admin)
    with CaptureQueriesContext(connection) as three:
        assert len(rows(get(client))) == 3
    _more_suppliers(desk, 3)
    with django_assert_max_num_queries(len(three)):
        assert len(rows(get(client))) == 6
    assert len(three) <= 20
