"""REST routes for knowledge articles and full-text search (thin): /articles, /search."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from towers.contracts.selectors import service_get
from towers.core.api import Page, expected_version, set_etag
from towers.core.permissions import get_visible
from towers.organisations.schemas import Ref
from towers.servicedesk import search
from towers.servicedesk.models import Article, Ticket, TicketKind
from towers.servicedesk.selectors import tickets_visible
from towers.servicedesk.services import knowledge

router = Router(tags=["Knowledge and search"])
Audience = Literal["everyone", "internal"]
ArticleStatus = Literal["draft", "published", "retired"]


class ArticleSummaryOut(Schema):
    id: UUID
    number: str
    title: str
    status: str
    audience: str
    organisation: Ref
    service: UUID | None = Field(None, alias="service_id")
    published_at: datetime | None
    updated_at: datetime


class ArticleOut(ArticleSummaryOut):
    body: str
    problem: UUID | None = Field(None, alias="problem_id")
    author: str
    version: int


class ArticleIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    body: str = Field(..., min_length=1)
    audience: Audience = "everyone"
    service: UUID | None = None
    problem: UUID | None = Field(None, description="The problem ticket the article explains (its id).")


class ArticlePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, min_length=1)
    audience: Audience | None = None
    service: UUID | None = None
    problem: UUID | None = None


class TicketHitOut(Schema):
    id: UUID
    reference: str
    kind: str
    title: str
    state: str
    priority: str
    opened_at: datetime


class SearchOut(Schema):
    tickets: list[TicketHitOut]
    articles: list[ArticleSummaryOut]


def _actor(request: HttpRequest) -> Any:
    return request.actor  # type: ignore[attr-defined]


def _links(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in the body as the objects they name, each only if the actor may see it (404 otherwise)."""
    if data.get("service") is not None:
        data["service"] = service_get(actor=actor, id=data["service"])
    if data.get("problem") is not None:
        problems = tickets_visible(actor).filter(kind=TicketKind.PROBLEM)
        data["problem"] = get_visible(actor, problems, pk=data["problem"])
    return data


@router.get(
    "/articles",
    response=list[ArticleSummaryOut],
    description="The articles you may read, by title; with `q`, those matching it, best first (retired ones are "
    "left out of searches).",
)
@paginate(Page)
def article_list(request: HttpRequest, q: str = "", status: ArticleStatus | None = None) -> Any:
    actor = _actor(request)
    if q.strip():
        return search.article_hits(actor=actor, query=q, status=status)
    articles = search.articles_readable(actor=actor)
    return (articles.filter(status=status) if status else articles).order_by("title", "number")


@router.get("/articles/{id}", response=ArticleOut)
def article_get(request: HttpRequest, response: HttpResponse, id: UUID) -> Article:
    article = search.article_get(actor=_actor(request), id=id)
    set_etag(response, article)
    return article


@router.post("/articles", response={201: ArticleOut}, summary="Draft an article for your organisation")
def article_create(request: HttpRequest, body: ArticleIn) -> Any:
    actor = _actor(request)
    return Status(201, knowledge.article_create(actor=actor, **_links(actor, body.dict())))


@router.patch("/articles/{id}", response=ArticleOut)
def article_update(request: HttpRequest, response: HttpResponse, id: UUID, body: ArticlePatch) -> Article:
    actor = _actor(request)
    article = search.article_get(actor=actor, id=id)
    changes = _links(actor, body.dict(exclude_unset=True))
    article = knowledge.article_update(
        actor=actor, article=article, changes=changes, expected_version=expected_version(request)
    )
    set_etag(response, article)
    return article


@router.post("/articles/{id}/publish", response=ArticleOut)
def article_publish(request: HttpRequest, response: HttpResponse, id: UUID) -> Article:
    actor = _actor(request)
    article = search.article_get(actor=actor, id=id)
    article = knowledge.article_publish(actor=actor, article=article, expected_version=expected_version(request))
    set_etag(response, article)
    return article


@router.post("/articles/{id}/retire", response=ArticleOut)
def article_retire(request: HttpRequest, response: HttpResponse, id: UUID) -> Article:
    actor = _actor(request)
    article = search.article_get(actor=actor, id=id)
    article = knowledge.article_retire(actor=actor, article=article, expected_version=expected_version(request))
    set_etag(response, article)
    return article


@router.get("/search", response=SearchOut, summary="Tickets and articles matching `q`, best first")
def search_all(request: HttpRequest, q: str = "", limit: int = Query(10, ge=1, le=50)) -> Any:
    actor = _actor(request)
    tickets: list[Ticket] = search.ticket_search(actor=actor, query=q, limit=limit)
    return {"tickets": tickets, "articles": search.article_search(actor=actor, query=q, limit=limit)}
