import pytest
from django.urls import path
from ninja import NinjaAPI

from towers.core.actor import Actor
from towers.core.api import install_error_handlers
from towers.core.errors import Forbidden, StaleVersion, ValidationFailed
from towers.core.models import AuditEntry, OutboxEvent
from towers.organisations.auth import SessionActorAuth, TokenAuth
from towers.organisations.tests.test_api import bearer
from towers.servicedesk.api_knowledge import router
from towers.servicedesk.models import Article, TicketKind
from towers.servicedesk.services.knowledge import article_create, article_publish, article_retire, article_update
from towers.servicedesk.services.tickets import ticket_create

# The router mounted on its own API, authenticated and with errors handled as /api/v1 does, so these tests
# hold whether or not towers/api.py has mounted it yet.
api = NinjaAPI(auth=[TokenAuth(), SessionActorAuth()], urls_namespace="knowledge-test")
install_error_handlers(api)
api.add_router("", router)
urlpatterns = [path("api/v1/", api.urls)]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_articles_are_numbered_in_order_audited_and_evented(desk):
    agent = desk.actor(desk.agent)
    first = article_create(actor=agent, title="  Reset a password ", body="Use the portal")
    second = article_create(actor=agent, title="Unlock an account", body="Ask the desk")
    assert (first.number, second.number) == ("KB0000001", "KB0000002")
    assert first.title == "Reset a password" and first.status == Article.Status.DRAFT
    assert first.organisation_id == desk.estate.integrator.id and first.author == desk.agent.username
    entry = AuditEntry.objects.get(action="article.created", object_id=str(first.id))
    assert entry.after["number"] == "KB0000001"
    assert OutboxEvent.objects.filter(name="servicedesk.article.created", key=str(first.id)).exists()


def test_publishing_and_retiring_move_the_status_and_stamp_the_time(desk):
    agent = desk.actor(desk.agent)
    article = article_create(actor=agent, title="Reset a password", body="Use the portal")
    article_publish(actor=agent, article=article)
    assert article.status == Article.Status.PUBLISHED and article.published_at is not None and article.version == 2
    with pytest.raises(ValidationFailed, match="already published"):
        article_publish(actor=agent, article=article)
    article_retire(actor=agent, article=article)
    with pytest.raises(ValidationFailed, match="retired"):
        article_update(actor=agent, article=article, changes={"body": "New text"})
    article.refresh_from_db()
    assert article.status == Article.Status.RETIRED
    actions = AuditEntry.objects.filter(object_id=str(article.id)).values_list("action", flat=True)
    assert list(actions) == ["article.created", "article.published", "article.retired"]


def test_only_workers_of_the_authoring_organisation_write_its_articles(desk):
    article = article_create(actor=desk.actor(desk.agent), title="Reset a password", body="Use the portal")
    with pytest.raises(Forbidden):
        article_create(actor=desk.actor(desk.requester), title="My tip", body="Reboot")
    with pytest.raises(Forbidden):
        article_update(actor=desk.actor(desk.apps_resolver), article=article, changes={"body": "Ours now"})
    with pytest.raises(Forbidden):
        article_publish(actor=desk.actor(desk.apps_resolver), article=article)
    with pytest.raises(Forbidden):
        article_create(actor=desk.actor(desk.estate.auditor), title="Audit note", body="Read only")


def test_an_update_changes_only_what_differs_and_refuses_a_stale_copy(desk):
    agent = desk.actor(desk.agent)
    article = article_create(actor=agent, title="Reset a password", body="Use the portal")
    article_update(actor=agent, article=article, changes={"title": "Reset a password", "body": "Use the new portal"})
    entry = AuditEntry.objects.get(action="article.updated")
    assert entry.before == {"body": "Use the portal"} and entry.after == {"body": "Use the new portal"}
    with pytest.raises(StaleVersion):
        article_update(actor=agent, article=article, changes={"body": "x"}, expected_version=1)
    with pytest.raises(ValidationFailed) as failed:
        article_update(actor=agent, article=article, changes={"status": "published", "title": " "})
    assert set(failed.value.fields) == {"status"}
    with pytest.raises(ValidationFailed) as failed:
        article_update(actor=agent, article=article, changes={"title": " "})
    assert set(failed.value.fields) == {"title"}


def test_an_article_explains_a_problem_not_an_incident(desk):
    agent = desk.actor(desk.agent)
    incident = desk.raise_incident()
    with pytest.raises(ValidationFailed) as failed:
        article_create(actor=agent, title="Slow crime system", body="Clear the cache", problem=incident)
    assert set(failed.value.fields) == {"problem"}
    problem = ticket_create(actor=agent, kind=TicketKind.PROBLEM, title="Crime system slow at 9am")
    assert article_create(actor=agent, title="Slow", body="Cache", problem=problem).problem == problem


def test_a_system_job_names_the_organisation_it_writes_for(desk):
    with pytest.raises(ValidationFailed):
        article_create(actor=Actor.system("import"), title="Imported", body="From the old tool")
    article = article_create(
        actor=Actor.system("import"), title="Imported", body="From the old tool", organisation=desk.estate.integrator
    )
    assert article.organisation == desk.estate.integrator and article.author == "system:import"


# The REST API.


@pytest.fixture
def agent_auth(desk):
    return bearer(desk.agent, desk.estate.integrator)


def _post(client, url, auth, data=None, **headers):
    return client.post(url, data=data or {}, content_type="application/json", **auth, **headers)


def test_an_article_is_drafted_patched_with_if_match_and_published_over_the_api(client, desk, agent_auth):
    created = _post(client, "/api/v1/articles", agent_auth, {"title": "VPN token expired", "body": "Re-enrol it"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == "KB0000001" and body["status"] == "draft" and body["organisation"]["name"] == "Integrator"
    url = f"/api/v1/articles/{body['id']}"
    etag = client.get(url, **agent_auth)["ETag"]
    patched = client.patch(
        url, data={"audience": "internal"}, content_type="application/json", HTTP_IF_MATCH=etag, **agent_auth
    )
    assert patched.status_code == 200 and patched.json()["audience"] == "internal"
    stale = client.patch(url, data={"body": "x"}, content_type="application/json", HTTP_IF_MATCH=etag, **agent_auth)
    assert stale.status_code == 412
    published = _post(client, f"{url}/publish", agent_auth)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert _post(client, f"{url}/publish", agent_auth).status_code == 422
    assert _post(client, f"{url}/retire", agent_auth).json()["status"] == "retired"


def test_bad_article_input_names_the_field(client, desk, agent_auth):
    blank = _post(client, "/api/v1/articles", agent_auth, {"title": "", "body": "x"})
    assert blank.status_code == 422 and "title" in blank.json()["error"]["fields"]
    audience = _post(client, "/api/v1/articles", agent_auth, {"title": "t", "body": "b", "audience": "public"})
    assert audience.status_code == 422 and "audience" in audience.json()["error"]["fields"]
    incident = desk.raise_incident()
    wrong = _post(client, "/api/v1/articles", agent_auth, {"title": "t", "body": "b", "problem": str(incident.id)})
    assert wrong.status_code == 404  # not a problem: no such problem to link


def test_a_requester_lists_and_opens_only_published_articles_for_everyone(client, desk, agent_auth):
    agent = desk.actor(desk.agent)
    public = article_publish(actor=agent, article=article_create(actor=agent, title="Password reset", body="Portal"))
    internal = article_create(actor=agent, title="Password vault", body="Agents", audience=Article.Audience.INTERNAL)
    article_publish(actor=agent, article=internal)
    draft = article_create(actor=agent, title="Password policy", body="Not yet")
    requester = bearer(desk.requester, desk.estate.authority)
    listed = client.get("/api/v1/articles", **requester).json()
    assert [a["id"] for a in listed["items"]] == [str(public.id)] and listed["count"] == 1
    found = client.get("/api/v1/articles?q=password", **requester).json()
    assert [a["number"] for a in found["items"]] == [public.number] and found["count"] == 1
    for hidden in (internal, draft):
        assert client.get(f"/api/v1/articles/{hidden.id}", **requester).status_code == 404
    assert _post(client, "/api/v1/articles", requester, {"title": "t", "body": "b"}).status_code == 403
    assert client.get("/api/v1/articles?q=password", **agent_auth).json()["count"] == 3
    drafts = client.get("/api/v1/articles?status=draft", **agent_auth).json()
    assert [a["id"] for a in drafts["items"]] == [str(draft.id)]
    assert client.get("/api/v1/articles?status=draft", **requester).json()["count"] == 0


def test_search_pages_are_counted(client, desk, agent_auth):
    agent = desk.actor(desk.agent)
    for n in range(7):
        article_publish(actor=agent, article=article_create(actor=agent, title=f"Printer tip {n}", body="Printers"))
    page = client.get("/api/v1/articles?q=printer&limit=5&offset=5", **agent_auth).json()
    assert page["count"] == 7 and len(page["items"]) == 2


def test_search_finds_tickets_and_articles_the_caller_may_see(client, desk, agent_auth):
    agent = desk.actor(desk.agent)
    ticket = desk.raise_incident(title="Crime system timeout on login")
    article = article_publish(
        actor=agent, article=article_create(actor=agent, title="Crime system timeouts", body="Retry")
    )
    body = client.get("/api/v1/search?q=crime timeout", **agent_auth).json()
    assert [t["reference"] for t in body["tickets"]] == [ticket.reference]
    assert [a["number"] for a in body["articles"]] == [article.number]
    network = client.get("/api/v1/search?q=crime", **bearer(desk.estate.network_resolver, desk.estate.network))
    assert network.json()["tickets"] == [] and len(network.json()["articles"]) == 1
    assert client.get("/api/v1/search?q=x&limit=500", **agent_auth).status_code == 422
