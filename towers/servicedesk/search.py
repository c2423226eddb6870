"""Full-text search over tickets, knowledge articles and known errors; suggestions from a ticket's own text.

PostgreSQL ranks with its 'english' text search over GIN expression indexes built from the very
expressions the queries use, so the planner always matches them. SQLite ranks with FTS5 tables that
SQL triggers keep in step with the source tables: queryset .update() and bulk writes bypass model
signals, but not triggers. Both read one parsed query in which every user word is a quoted term, so
no text a user types can reach either query language as syntax.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import F, Q, QuerySet

from towers.core.actor import Actor
from towers.core.permissions import get_visible, visible_to
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.models import Article, ProblemDetail, State, Ticket, TicketKind
from towers.servicedesk.selectors import tickets_visible

M = TypeVar("M", bound=models.Model)
CONFIG = "english"
MAX_TERMS = 16
SUGGESTION_TERMS = 32
MAX_TERM_LENGTH = 64
# Letters and digits only: every separator, quote, operator and bracket a user types is dropped.
_WORD = re.compile(r"[^\W_]+")
# Words too common to say what a ticket is about (PostgreSQL's 'english' dictionary drops most of them itself).
# fmt: off
STOP_WORDS = frozenset([
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "please", "she", "so", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "up", "us", "was", "we", "were",
    "what", "when", "where", "which", "who", "will", "with", "would", "you", "your"
])
# fmt: on
SAME_SERVICE_BOOST = 2.0
SAME_PROBLEM_BOOST = 2.0


@dataclass(frozen=True)
class ParsedQuery:
    """User text as plain word terms: all must match (a search box) or any may (suggestions)."""

    terms: tuple[str, ...]
    match_all: bool = True
    prefix: bool = False  # the last term is a word still being typed

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fts5(self) -> str:
        """An FTS5 MATCH expression: each term a quoted string, so FTS5 operators typed by users are inert."""
        quoted = [f'"{term}"' for term in self.terms]
        if self.prefix and quoted:
            quoted[-1] += "*"
        return (" " if self.match_all else " OR ").join(quoted)

    def tsquery(self) -> str:
        """A PostgreSQL to_tsquery expression: each term a quoted lexeme, joined by & or |."""
        quoted = [f"'{term}'" for term in self.terms]
        if self.prefix and quoted:
            quoted[-1] += ":*"
        return (" & " if self.match_all else " | ").join(quoted)


def parse_query(text: str, *, match_all: bool = True, max_terms: int = MAX_TERMS) -> ParsedQuery:
    """Turn free text into terms; when searching, a last word not yet followed by a space matches as a prefix."""
    normalised = unicodedata.normalize("NFKC", text).lower()
    found = [word[:MAX_TERM_LENGTH] for word in _WORD.findall(normalised)]
    words = list(dict.fromkeys(found))
    # Search-as-you-type: the last word is a prefix unless a space or punctuation says it is finished.
    last = found[-1] if match_all and found and normalised.endswith(found[-1]) else None
    kept = [w for w in words if w not in STOP_WORDS and w != last]
    if match_all and not kept and last is None:
        kept = words  # "the who" should still search for something
    kept = kept[: max_terms - 1 if last else max_terms] + ([last] if last else [])
    return ParsedQuery(tuple(kept), match_all=match_all, prefix=last is not None)


@dataclass(frozen=True)
class SearchIndex:
    """What one model's search covers: its columns (field name = column) with PostgreSQL weights A–D."""

    model: str
    fts: str  # the SQLite FTS5 table; `<fts>_key` maps its integer rowids to the records' UUIDs
    pg_index: str
    columns: tuple[tuple[str, str], ...]

    def vector(self) -> Any:
        """The tsvector expression: the GIN index is built from it and every query filters on it."""
        parts = [SearchVector(column, config=CONFIG, weight=weight) for column, weight in self.columns]
        combined: Any = parts[0]
        for part in parts[1:]:
            combined = combined + part
        return combined

    def bm25_weights(self) -> str:
        # bm25's column weights in the ratio of PostgreSQL's default A=1.0, B=0.4, C=0.2, D=0.1.
        return ", ".join({"A": "10.0", "B": "4.0", "C": "2.0", "D": "1.0"}[w] for _, w in self.columns)


TICKETS = SearchIndex(
    "servicedesk.Ticket",
    "ticket_fts",
    "ticket_search",
    (("reference", "A"), ("title", "A"), ("description", "B"), ("resolution_notes", "C")),
)
ARTICLES = SearchIndex("servicedesk.Article", "article_fts", "article_search", (("title", "A"), ("body", "B")))
KNOWN_ERRORS = SearchIndex("servicedesk.ProblemDetail", "problem_fts", "known_error_search", (("symptoms", "A"),))
INDEXES = (TICKETS, ARTICLES, KNOWN_ERRORS)
MIGRATION = "0002_search"  # the migration that first builds them


class Hits(Generic[M]):
    """The records of `queryset` matching a query, best first; sliced and counted lazily, as API pages need."""

    def __init__(self, queryset: QuerySet[M], index: SearchIndex, query: ParsedQuery) -> None:
        self.queryset, self.index, self.query = queryset, index, query
        self.postgres = connections[queryset.db].vendor == "postgresql"

    def _postgres(self, *, ranked: bool = True) -> QuerySet[M]:
        vector = self.index.vector()
        tsquery = SearchQuery(self.query.tsquery(), search_type="raw", config=CONFIG)
        matching: QuerySet[Any] = self.queryset.alias(search_document=vector).filter(search_document=tsquery)
        if ranked:  # counting needs no rank, and ts_rank re-reads every matching row's text
            matching = matching.annotate(search_rank=SearchRank(vector, tsquery)).order_by("-search_rank", "pk")
        return cast("QuerySet[M]", matching)  # the stubs lose the model through alias(); Django keeps it

    def _sqlite(self, select: str, tail: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        # Identifiers are constants and the visibility subquery is Django's own SQL with its parameters.
        # Joined (not IN) so SQLite drives from the FTS matches and checks each against the visibility
        # filters by primary key, instead of first listing every record the actor may see.
        visible, visible_params = self.queryset.order_by().values(search_key=F("pk")).query.sql_with_params()
        fts = self.index.fts
        sql = (
            f"SELECT {select} FROM {fts} JOIN {fts}_key k ON k.id = {fts}.rowid "  # noqa: S608  (see above)
            f"JOIN ({visible}) v ON v.search_key = k.record_id WHERE {fts} MATCH %s {tail}"
        )
        with connections[self.queryset.db].cursor() as cursor:
            cursor.execute(sql, [*visible_params, self.query.fts5(), *params])
            return list(cursor.fetchall())

    def ranked(self, window: slice) -> list[tuple[M, float]]:
        """Each hit with its relevance (higher is better; the scale differs between the backends)."""
        start, stop = window.start or 0, window.stop
        if not self.query or (stop is not None and stop <= start):
            return []
        if self.postgres:
            return [(obj, float(obj.search_rank)) for obj in self._postgres()[start:stop]]  # type: ignore[attr-defined]
        rank = f"bm25({self.index.fts}, {self.index.bm25_weights()})"
        rows = self._sqlite(
            f"k.record_id, {rank}",
            f"ORDER BY {rank}, k.record_id LIMIT %s OFFSET %s",
            [-1 if stop is None else stop - start, start],
        )
        found = self.queryset.in_bulk([uuid.UUID(record_id) for record_id, _ in rows])
        hits = []
        for record_id, score in rows:
            obj = found.get(uuid.UUID(record_id))
            if obj is not None:
                obj.search_rank = -score  # type: ignore[attr-defined]  # bm25 is lower-is-better
                hits.append((obj, -score))
        return hits

    def __getitem__(self, window: slice) -> list[M]:
        return [obj for obj, _ in self.ranked(window)]

    def count(self) -> int:
        if not self.query:
            return 0
        if self.postgres:
            return self._postgres(ranked=False).count()
        return int(self._sqlite("count(*)", "")[0][0])


def ticket_hits(*, actor: Actor, query: str) -> Hits[Ticket]:
    return Hits(tickets_visible(actor).select_related("team", "organisation", "service"), TICKETS, parse_query(query))


def ticket_search(*, actor: Actor, query: str, limit: int = 50) -> list[Ticket]:
    """The tickets the actor may see that match `query`, best first."""
    return ticket_hits(actor=actor, query=query)[:limit]


def articles_readable(*, actor: Actor) -> QuerySet[Article]:
    """Articles the actor may open: requesters the published ones for everyone; workers internal and
    retired ones too; drafts only their authoring organisation."""
    qs = visible_to(actor, Article.objects).select_related("organisation", "service")
    if is_requester_only(actor):
        return qs.filter(status=Article.Status.PUBLISHED, audience=Article.Audience.EVERYONE)
    if actor.is_system:
        return qs
    return qs.filter(~Q(status=Article.Status.DRAFT) | Q(organisation_id=actor.organisation_id))


def article_get(*, actor: Actor, id: uuid.UUID | str) -> Article:
    return get_visible(actor, articles_readable(actor=actor), pk=id)


def article_hits(*, actor: Actor, query: str, status: str | None = None) -> Hits[Article]:
    """Unless asked for by status, retired articles are left out: readable by link, they answer no questions."""
    readable = articles_readable(actor=actor)
    searchable = readable.filter(status=status) if status else readable.exclude(status=Article.Status.RETIRED)
    return Hits(searchable, ARTICLES, parse_query(query))


def article_search(*, actor: Actor, query: str, limit: int = 20) -> list[Article]:
    return article_hits(actor=actor, query=query)[:limit]


@dataclass(frozen=True)
class Suggestion:
    """An article or a known error that may answer a ticket."""

    kind: Literal["article", "known_error"]
    id: uuid.UUID  # the article's, or the problem ticket's
    number: str  # KB0000012 or PRB0000034
    title: str
    score: float  # relevance, boosted for the ticket's service and problem; only compare within one list
    same_service: bool
    workaround: str = ""  # a known error's, for those who work tickets


def articles_suggested(*, actor: Actor, ticket: Ticket, limit: int = 5) -> list[Suggestion]:
    """Known errors whose symptoms match the ticket's text, then published articles that do (up to `limit` each).

    The caller has already checked the actor may see `ticket`. Matching is any-word, so ranking does the
    work; the ticket's service and problem lift matches that share them.
    """
    query = parse_query(f"{ticket.title}\n{ticket.description}", match_all=False, max_terms=SUGGESTION_TERMS)
    if not query:
        return []
    worker = not is_requester_only(actor)
    problems = tickets_visible(actor).filter(kind=TicketKind.PROBLEM).exclude(pk=ticket.pk)
    known = ProblemDetail.objects.filter(
        known_error=True, ticket__in=problems.exclude(state__in=[State.CLOSED, State.CANCELLED])
    ).select_related("ticket")
    errors = [
        Suggestion(
            kind="known_error",
            id=detail.ticket.pk,
            number=detail.ticket.reference,
            title=detail.ticket.title,
            score=score * _boost(ticket, detail.ticket.service_id, detail.ticket_id),
            same_service=_same_service(ticket, detail.ticket.service_id),
            workaround=detail.workaround if worker else "",
        )
        for detail, score in Hits(known, KNOWN_ERRORS, query).ranked(slice(0, limit * 4))
    ]
    published = articles_readable(actor=actor).filter(status=Article.Status.PUBLISHED)
    articles = [
        Suggestion(
            kind="article",
            id=article.pk,
            number=article.number,
            title=article.title,
            score=score * _boost(ticket, article.service_id, article.problem_id),
            same_service=_same_service(ticket, article.service_id),
        )
        for article, score in Hits(published, ARTICLES, query).ranked(slice(0, limit * 4))
    ]
    return sorted(errors, key=lambda s: -s.score)[:limit] + sorted(articles, key=lambda s: -s.score)[:limit]


def _same_service(ticket: Ticket, service_id: uuid.UUID | None) -> bool:
    return service_id is not None and service_id == ticket.service_id


def _boost(ticket: Ticket, service_id: uuid.UUID | None, problem_id: uuid.UUID | None) -> float:
    boost = SAME_SERVICE_BOOST if _same_service(ticket, service_id) else 1.0
    if problem_id is not None and problem_id == ticket.problem_id:
        boost *= SAME_PROBLEM_BOOST
    return boost


# Building the indexes: called by migration 0002 and, after every migrate, by ensure_search_indexes,
# because SQLite drops a table's triggers whenever a migration remakes that table.


# One statement per paragraph. Identifiers come from the SearchIndex constants and model metadata, never
# from input. The FTS rowid comes from a key table, not the source table's own rowid, which VACUUM and
# Django's table remakes renumber.
_SQLITE_DDL = """
CREATE TABLE IF NOT EXISTS {fts}_key (id INTEGER PRIMARY KEY, record_id char(32) NOT NULL UNIQUE)

CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({columns}, tokenize = 'porter unicode61 remove_diacritics 2')

CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN
  INSERT INTO {fts}_key (record_id) VALUES (new.{key});
  INSERT INTO {fts} (rowid, {columns}) VALUES ((SELECT id FROM {fts}_key WHERE record_id = new.{key}), {new_values});
END

CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF {columns} ON {table} BEGIN
  UPDATE {fts} SET {assignments} WHERE rowid = (SELECT id FROM {fts}_key WHERE record_id = new.{key});
END

CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN
  DELETE FROM {fts} WHERE rowid = (SELECT id FROM {fts}_key WHERE record_id = old.{key});
  DELETE FROM {fts}_key WHERE record_id = old.{key};
END

DELETE FROM {fts}

DELETE FROM {fts}_key

INSERT INTO {fts}_key (record_id) SELECT {key} FROM {table}

INSERT INTO {fts} (rowid, {columns}) SELECT k.id, {columns} FROM {table} JOIN {fts}_key k ON k.record_id = {table}.{key}
"""


def _sqlite_ddl(index: SearchIndex, table: str, key: str) -> list[str]:
    """The FTS table, its key table and triggers, then a full re-index (any rows already there are stale)."""
    columns = [column for column, _ in index.columns]
    script = _SQLITE_DDL.format(
        fts=index.fts,
        table=table,
        key=key,
        columns=", ".join(columns),
        new_values=", ".join(f"new.{c}" for c in columns),
        assignments=", ".join(f"{c} = new.{c}" for c in columns),
    )
    return [statement.strip() for statement in script.split("\n\n") if statement.strip()]


def _sqlite_objects(index: SearchIndex) -> set[str]:
    fts = index.fts
    return {fts, f"{fts}_key", f"{fts}_insert", f"{fts}_update", f"{fts}_delete"}


def install_search_indexes(connection: BaseDatabaseWrapper, apps: Apps = global_apps) -> None:
    """Create whatever is missing; on SQLite, re-index a table whose triggers had gone (it may have changed)."""
    for index in INDEXES:
        model = apps.get_model(index.model)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [index.pg_index])
                if cursor.fetchone() is None:
                    gin = GinIndex(index.vector(), name=index.pg_index)
                    cursor.execute(str(gin.create_sql(model, connection.schema_editor())))
            elif connection.vendor == "sqlite":
                cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
                if _sqlite_objects(index) <= {name for (name,) in cursor.fetchall()}:
                    continue
                for statement in _sqlite_ddl(index, model._meta.db_table, model._meta.pk.column):
                    cursor.execute(statement)


def remove_search_indexes(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for index in INDEXES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP INDEX IF EXISTS {index.pg_index}")
            elif connection.vendor == "sqlite":
                for suffix in ("_insert", "_update", "_delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {index.fts}{suffix}")
                cursor.execute(f"DROP TABLE IF EXISTS {index.fts}")
                cursor.execute(f"DROP TABLE IF EXISTS {index.fts}_key")


def ensure_search_indexes(*, using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """A post_migrate receiver: put back what a later migration that remade a table took with it."""
    connection = connections[using]
    if ("servicedesk", MIGRATION) in MigrationRecorder(connection).applied_migrations():
        install_search_indexes(connection)
