"""Writing knowledge articles: draft, edit, publish and retire; each attributed, audited and evented."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from towers.contracts.models import Service
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import Organisation
from towers.servicedesk.models import Article, Ticket, TicketKind
from towers.servicedesk.services.references import next_reference

ARTICLE_FIELDS = ["number", "title", "status", "audience", "service", "organisation", "problem", "published_at"]
EDITABLE = {"title", "body", "audience", "service", "problem"}
PREFIX = "KB"


def _check_problem(problem: Ticket | None) -> None:
    if problem is not None and problem.kind != TicketKind.PROBLEM:
        raise ValidationFailed.one("problem", f"{problem.reference} is not a problem")


def _check_text(title: str, body: str) -> None:
    problems = {name: ["may not be blank"] for name, value in (("title", title), ("body", body)) if not value.strip()}
    if problems:
        raise ValidationFailed(problems, "; ".join(f"{name}: may not be blank" for name in problems))


def _emit(name: str, article: Article) -> None:
    events.emit(f"servicedesk.article.{name}", key=str(article.id), article_id=str(article.id), number=article.number)


def article_create(
    *,
    actor: Actor,
    title: str,
    body: str,
    audience: str = Article.Audience.EVERYONE,
    service: Service | None = None,
    problem: Ticket | None = None,
    organisation: Organisation | None = None,
) -> Article:
    """Draft an article for the actor's organisation (a system job names the organisation)."""
    organisation_id = organisation.pk if organisation is not None else actor.organisation_id
    if organisation_id is None:
        raise ValidationFailed.one("organisation", "an article belongs to an organisation")
    _check_text(title, body)
    _check_problem(problem)
    article = Article(
        number="PENDING",
        title=title.strip(),
        body=body,
        audience=audience,
        service=service,
        problem=problem,
        organisation_id=organisation_id,
        author=actor.label,
    )
    ensure_can(actor, "article.write", article)
    validate(article, exclude=["number"])
    with transaction.atomic():
        # The counter row stays locked until commit, so concurrent drafts get consecutive numbers.
        article.number = next_reference(PREFIX)
        article.save(force_insert=True)
        audit.record(actor, "article.created", article, after=audit.snapshot(article, ARTICLE_FIELDS))
        _emit("created", article)
    return article


def article_update(
    *, actor: Actor, article: Article, changes: dict[str, Any], expected_version: int | None = None
) -> Article:
    """Edit a draft or a published article (a published one stays published); retired ones are frozen."""
    ensure_can(actor, "article.write", article)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    if article.status == Article.Status.RETIRED:
        raise ValidationFailed.one("status", "a retired article cannot be edited; publish it again first")
    if "title" in changes:
        changes["title"] = str(changes["title"]).strip()
    _check_text(changes.get("title", article.title), changes.get("body", article.body))
    _check_problem(changes.get("problem"))
    if "audience" in changes and changes["audience"] not in Article.Audience.values:
        raise ValidationFailed.one("audience", f"{changes['audience']!r} is not one of {Article.Audience.values}")
    with transaction.atomic():
        before, after = apply_changes(article, changes, expected_version=expected_version)
        if after:
            audit.record(actor, "article.updated", article, before=before, after=after)
            _emit("updated", article)
    return article


def _move(actor: Actor, article: Article, status: str, action: str, expected_version: int | None) -> Article:
    ensure_can(actor, "article.write", article)
    if article.status == status:
        raise ValidationFailed.one("status", f"the article is already {article.get_status_display().lower()}")
    changes: dict[str, Any] = {"status": status}
    if status == Article.Status.PUBLISHED:
        changes["published_at"] = timezone.now()
    with transaction.atomic():
        before, after = apply_changes(article, changes, expected_version=expected_version)
        audit.record(actor, f"article.{action}", article, before=before, after=after)
        _emit(action, article)
    return article


def article_publish(*, actor: Actor, article: Article, expected_version: int | None = None) -> Article:
    """Publish a draft (or bring back a retired article): its audience can now read and find it."""
    return _move(actor, article, Article.Status.PUBLISHED, "published", expected_version)


def article_retire(*, actor: Actor, article: Article, expected_version: int | None = None) -> Article:
    """Withdraw an article from search and suggestions; it stays readable by link for those who work tickets."""
    return _move(actor, article, Article.Status.RETIRED, "retired", expected_version)
