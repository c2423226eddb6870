"""A ticket's page through Django's test client: timeline, clocks, actions, attachments; and logging a ticket."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from towers.cmdb.tests.factories import ConfigurationItemFactory
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import sign_in
from towers.servicedesk.models import Attachment, HandOff, State, Ticket
from towers.servicedesk.services.attachments import attachment_add
from towers.servicedesk.services.tickets import ticket_comment
from towers.servicedesk.tests.test_views_workspace import handed_to_apps

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


# The ticket page


def test_the_ticket_page_shows_one_timeline_clocks_and_hand_offs(client, desk):
    ticket = handed_to_apps(desk)
    agent = desk.actor(desk.agent)
    ticket_comment(actor=agent, ticket=ticket, body="Called the officer back", public=True)
    ticket_comment(actor=agent, ticket=ticket, body="Looks like last night's release", public=False)
    sign_in(client, desk.agent)
    response = client.get(reverse("ticket_detail", args=[ticket.reference]))
    html = response.content.decode()
    kinds = [event.kind for event in response.context["timeline"]]
    assert kinds[:1] == ["created"] and {"handed_off", "comment"} <= set(kinds)
    assert "Called the officer back" in html and "Looks like last night&#x27;s release" in html
    assert "Internal" in html and "Public" in html
    sla, ola = response.context["sla_clocks"], response.context["ola_clocks"]
    assert {row.clock.metric for row in sla} == {"response", "resolution"}
    assert [row.clock.service_level_id for row in ola] == [desk.ola_apps.id]
    assert "Apps Supplier" in html and "Application support" in html  # the holder and the OLA's organisation
    assert 'id="hand-off-form"' in html and 'id="assign-form"' in html


def test_the_clock_panel_shows_the_time_each_organisation_held_the_ticket(client, desk):
    ticket = handed_to_apps(desk)
    sign_in(client, desk.agent)
    response = client.get(reverse("ticket_detail", args=[ticket.reference]))
    resolution = next(row for row in response.context["sla_clocks"] if row.clock.metric == "resolution")
    assert {name for name, _ in resolution.held} <= {"Integrator", "Apps Supplier"} and resolution.held
    assert resolution.target == "8h 00m"  # P3


def test_pending_without_a_reason_is_refused_on_the_page(client, desk):
    ticket = desk.raise_incident()
    sign_in(client, desk.agent)
    response = client.post(reverse("ticket_move", args=[ticket.reference]), {"state": "pending"})
    assert response.status_code == 200 and "pending_reason" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.ASSIGNED


def test_resolving_from_the_page_records_the_code(client, desk):
    ticket = desk.raise_incident()
    sign_in(client, desk.agent)
    response = client.post(
        reverse("ticket_move", args=[ticket.reference]),
        {"state": "resolved", "resolution_code": "fixed", "resolution_notes": "Restarted the service"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED and ticket.resolution_code == "fixed"


def test_handing_off_and_assigning_from_the_page(client, desk):
    ticket = desk.raise_incident()
    sign_in(client, desk.agent)
    client.post(
        reverse("ticket_assign", args=[ticket.reference]),
        {"team": desk.second_desk_team.pk, "assignee": ""},
    )
    ticket.refresh_from_db()
    assert ticket.team == desk.second_desk_team
    client.post(reverse("ticket_hand_off", args=[ticket.reference]), {"team": desk.apps_team.pk, "reason": "App"})
    ticket.refresh_from_db()
    assert ticket.team == desk.apps_team and ticket.handoffs.get().status == HandOff.Status.PENDING


def test_the_receiving_resolver_decides_on_the_ticket_page(client, desk):
    ticket = handed_to_apps(desk)
    sign_in(client, desk.apps_resolver)
    html = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert "take it on?" in html and reverse("handoff_accept", args=[ticket.handoffs.get().pk]) in html


def test_an_attachment_over_the_limit_is_refused_with_the_limit(client, desk):
    desk.settings.attachment_max_bytes = 1024 * 1024
    desk.settings.save()
    ticket = desk.raise_incident()
    sign_in(client, desk.agent)
    big = SimpleUploadedFile("dump.txt", b"x" * (1024 * 1024 + 1), content_type="text/plain")
    response = client.post(reverse("ticket_attach", args=[ticket.reference]), {"file": big, "public": "on"})
    assert response.status_code == 200 and "the limit is 1 MB" in response.content.decode()
    assert not Attachment.objects.filter(ticket=ticket).exists()
    small = SimpleUploadedFile("log.txt", b"hello", content_type="text/plain")
    client.post(reverse("ticket_attach", args=[ticket.reference]), {"file": small})
    attachment = Attachment.objects.get(ticket=ticket)
    assert not attachment.public
    download = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"hello"
    assert "attachment" in download["Content-Disposition"]


def test_a_requester_cannot_download_an_internal_attachment_of_their_own_ticket(client, desk):
    ticket = desk.raise_incident()
    internal = attachment_add(
        actor=desk.actor(desk.agent),
        ticket=ticket,
        filename="notes.txt",
        content_type="text/plain",
        data=b"x",
        public=False,
    )
    sign_in(client, desk.requester)
    assert client.get(reverse("attachment_download", args=[internal.pk])).status_code == 404


def test_another_supplier_cannot_reach_the_ticket_or_change_it(client, desk):
    ticket = desk.raise_incident()
    sign_in(client, desk.estate.network_resolver)
    audit_before = AuditEntry.objects.count()
    assert client.get(reverse("ticket_detail", args=[ticket.reference])).status_code == 404
    assert client.post(reverse("ticket_move", args=[ticket.reference]), {"state": "cancelled"}).status_code == 404
    assert AuditEntry.objects.count() == audit_before


# Logging a ticket


def test_an_agent_logs_a_ticket_with_cis_and_a_requester_and_sees_its_priority(client, desk):
    ci = ConfigurationItemFactory(owner=desk.estate.integrator, name="crime-db-01")
    sign_in(client, desk.agent)
    page = client.get(reverse("ticket_new"))
    assert page.status_code == 200 and 'id="priority-preview"' in page.content.decode()
    preview = client.get(reverse("ticket_priority_preview"), {"impact": "1", "urgency": "2"})
    assert "P2" in preview.content.decode()
    response = client.post(
        reverse("ticket_new"),
        {
            "kind": "incident",
            "title": "Crime DB unreachable",
            "impact": "1",
            "urgency": "1",
            "service": desk.service.pk,
            "cis": "CRIME-DB-01",
            "requester": "officer",
            "channel": "phone",
        },
    )
    ticket = Ticket.objects.get(title="Crime DB unreachable")
    assert response.status_code == 302 and response.url == reverse("ticket_detail", args=[ticket.reference])
    assert ticket.priority == "P1" and ticket.requester == desk.requester and list(ticket.cis.all()) == [ci]
    assert ticket.channel == "phone"


def test_logging_with_an_unknown_ci_names_it(client, desk):
    sign_in(client, desk.agent)
    response = client.post(
        reverse("ticket_new"),
        {"kind": "incident", "title": "x", "impact": "3", "urgency": "3", "cis": "nope-01", "channel": "phone"},
    )
    assert "No configuration item you may see is called nope-01" in response.content.decode()
    assert not Ticket.objects.filter(title="x").exists()


def test_the_page_suggests_known_errors_and_articles_from_the_tickets_words(client, desk):
    problems = pytest.importorskip("towers.servicedesk.services.problems")
    pytest.importorskip("towers.servicedesk.search")
    from towers.servicedesk.models import Article

    agent = desk.actor(desk.agent)
    problem = problems.problem_create(actor=agent, title="Crime records time out", service=desk.service)
    problems.problem_mark_known_error(
        actor=agent, problem=problem, workaround="Open records from the search page", symptoms="records time out"
    )
    article = Article.objects.create(
        number="KB0000001",
        title="Crime records time out",
        body="Try the search page.",
        organisation=desk.estate.integrator,
        status=Article.Status.PUBLISHED,
        author="agent",
    )
    ticket = desk.raise_incident(title="Crime records time out when opened")
    sign_in(client, desk.agent)
    response = client.get(reverse("ticket_detail", args=[ticket.reference]))
    html = response.content.decode()
    assert [row.reference for row in response.context["suggestions"]["known_errors"]] == [problem.reference]
    assert "Open records from the search page" in html
    assert [s.id for s in response.context["suggestions"]["articles"]] == [article.pk]
    assert reverse("portal_article", args=[article.pk]) in html
