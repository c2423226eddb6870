"""The requester portal through Django's test client: raise, follow, comment, attach, reopen, confirm, read."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from towers.core.roles import Role
from towers.organisations.tests.factories import person_with_roles, sign_in
from towers.servicedesk.models import Article, Attachment, State, Ticket, TicketKind
from towers.servicedesk.services.tickets import ticket_comment, ticket_create, ticket_transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def resolved(desk, ticket, *, days_ago=0):
    ticket_transition(
        actor=desk.actor(desk.agent),
        ticket=ticket,
        state=State.RESOLVED,
        resolution_code="fixed",
        resolution_notes="Cleared the cache",
    )
    if days_ago:
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
        ticket.refresh_from_db()
    return ticket


def test_a_requester_raises_an_incident_in_their_own_words(client, desk):
    sign_in(client, desk.requester)
    page = client.get(reverse("portal_new"))
    assert page.status_code == 200 and "/catalogue/" in page.content.decode()
    response = client.post(
        reverse("portal_new"),
        {
            "title": "Cannot open crime records",
            "description": "Error 500 since this morning",
            "service": desk.service.pk,
            "urgency": "1",  # I cannot work at all
            "impact": "2",  # my team
        },
    )
    ticket = Ticket.objects.get(title="Cannot open crime records")
    assert response.status_code == 302 and response.url == reverse("portal_ticket", args=[ticket.reference])
    assert ticket.kind == TicketKind.INCIDENT and ticket.channel == "portal" and ticket.requester == desk.requester
    assert (ticket.impact, ticket.urgency, ticket.priority) == (2, 1, "P2")
    assert ticket.team == desk.estate.integrator_team
    page = client.get(response.url).content.decode()
    assert ticket.reference in page and "Error 500 since this morning" in page


def test_a_raised_incident_needs_a_title(client, desk):
    sign_in(client, desk.requester)
    response = client.post(reverse("portal_new"), {"title": "", "urgency": "3", "impact": "3"})
    assert response.status_code == 200 and response.context["form"].errors["title"]
    assert not Ticket.objects.exists()


def test_my_tickets_lists_only_my_own(client, desk):
    mine = desk.raise_incident(title="My laptop")
    colleague = person_with_roles(desk.estate.authority, Role.REQUESTER, username="colleague")
    theirs = ticket_create(actor=desk.actor(colleague), title="Their phone")
    sign_in(client, desk.requester)
    response = client.get(reverse("portal_home"))
    assert [t.reference for t in response.context["page"]] == [mine.reference]
    assert client.get(reverse("portal_ticket", args=[theirs.reference])).status_code == 404


def test_the_portal_shows_the_public_timeline_only(client, desk):
    ticket = desk.raise_incident()
    agent = desk.actor(desk.agent)
    ticket_comment(actor=agent, ticket=ticket, body="We are looking at it", public=True)
    ticket_comment(actor=agent, ticket=ticket, body="Supplier says it is their release", public=False)
    sign_in(client, desk.requester)
    html = client.get(reverse("portal_ticket", args=[ticket.reference])).content.decode()
    assert "We are looking at it" in html and "Supplier says" not in html
    assert "Internal" not in html


def test_a_requester_comments_and_attaches_on_their_ticket(client, desk):
    ticket = desk.raise_incident()
    sign_in(client, desk.requester)
    url = reverse("portal_comment", args=[ticket.reference])
    assert client.post(url, {"body": "It happened again at 10:15"}).status_code == 302
    event = ticket.events.get(kind="comment")
    assert event.public and event.body == "It happened again at 10:15" and event.person == desk.requester
    shot = SimpleUploadedFile("screen.png", b"\x89PNG....", content_type="image/png")
    assert client.post(reverse("portal_attach", args=[ticket.reference]), {"file": shot}).status_code == 302
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.public and attachment.filename == "screen.png"
    page = client.get(reverse("portal_ticket", args=[ticket.reference])).content.decode()
    assert reverse("attachment_download", args=[attachment.pk]) in page
    assert client.get(reverse("attachment_download", args=[attachment.pk])).status_code == 200


def test_an_empty_comment_or_a_refused_file_is_explained(client, desk):
    desk.settings.attachment_types = ["image/*"]
    desk.settings.save()
    ticket = desk.raise_incident()
    sign_in(client, desk.requester)
    response = client.post(reverse("portal_comment", args=[ticket.reference]), {"body": ""})
    assert response.status_code == 200 and response.context["forms"]["comment"].errors
    exe = SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdownload")
    response = client.post(reverse("portal_attach", args=[ticket.reference]), {"file": exe})
    assert "files of type application/x-msdownload are not accepted" in response.content.decode()


def test_a_requester_reopens_a_resolved_ticket_within_the_window(client, desk):
    ticket = resolved(desk, desk.raise_incident())
    sign_in(client, desk.requester)
    page = client.get(reverse("portal_ticket", args=[ticket.reference])).content.decode()
    assert "We think this is fixed" in page and "Cleared the cache" in page and "No, reopen it" in page
    response = client.post(reverse("portal_reopen", args=[ticket.reference]), {"note": "Still broken"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.IN_PROGRESS and ticket.reopen_count == 1


def test_reopening_is_not_offered_after_the_window(client, desk):
    ticket = resolved(desk, desk.raise_incident(), days_ago=30)
    sign_in(client, desk.requester)
    page = client.get(reverse("portal_ticket", args=[ticket.reference])).content.decode()
    assert "No, reopen it" not in page
    response = client.post(reverse("portal_reopen", args=[ticket.reference]), {"note": "Still broken"})
    assert "the reopening window has passed" in response.content.decode()


def test_a_requester_confirms_the_resolution_and_the_ticket_closes(client, desk):
    ticket = resolved(desk, desk.raise_incident())
    sign_in(client, desk.requester)
    response = client.post(reverse("portal_confirm", args=[ticket.reference]))
    ticket.refresh_from_db()
    assert response.status_code == 302 and ticket.state == State.CLOSED


def test_nobody_else_confirms_or_comments_through_the_portal(client, desk):
    ticket = resolved(desk, desk.raise_incident())
    colleague = person_with_roles(desk.estate.authority, Role.REQUESTER, username="colleague")
    sign_in(client, colleague)
    assert client.post(reverse("portal_confirm", args=[ticket.reference])).status_code == 404
    assert client.post(reverse("portal_comment", args=[ticket.reference]), {"body": "hi"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == State.RESOLVED and not ticket.events.filter(kind="comment").exists()


def _article(desk, title, **kwargs):
    fields = {
        "number": f"KB{Article.objects.count() + 1:07d}",
        "title": title,
        "body": f"How to {title.lower()}.\n\nStep two.",
        "status": Article.Status.PUBLISHED,
        "audience": Article.Audience.EVERYONE,
        "organisation": desk.estate.integrator,
        "author": "agent",
    }
    return Article.objects.create(**(fields | kwargs))


def test_requesters_read_published_articles_for_everyone_only(client, desk):
    public = _article(desk, "Reset your password")
    internal = _article(desk, "Restart the crime app server", audience=Article.Audience.INTERNAL)
    draft = _article(desk, "Unlock a laptop", status=Article.Status.DRAFT)
    sign_in(client, desk.requester)
    listing = client.get(reverse("portal_articles"))
    assert [a.pk for a in listing.context["page"]] == [public.pk]
    page = client.get(reverse("portal_article", args=[public.pk]))
    assert page.status_code == 200 and "Step two." in page.content.decode()
    assert client.get(reverse("portal_article", args=[internal.pk])).status_code == 404
    assert client.get(reverse("portal_article", args=[draft.pk])).status_code == 404


def test_articles_are_searched_by_their_words(client, desk):
    password = _article(desk, "Reset your password")
    _article(desk, "Order a new phone")
    sign_in(client, desk.requester)
    found = client.get(reverse("portal_articles"), {"q": "password"})
    assert [a.pk for a in found.context["page"]] == [password.pk]
    assert "No article matches" in client.get(reverse("portal_articles"), {"q": "zebra"}).content.decode()
