"""One consistent read for a whole pack: every part sees the database as it stood at one moment.

A pack is read in many queries, page by page; without this, a ticket written meanwhile could be in tickets.jsonl
while its attachments are not. PostgreSQL: one REPEATABLE READ, READ ONLY transaction (it holds back vacuum
for as long as the build runs, which is the price of one snapshot). SQLite: one deferred transaction, whose
first read fixes what it sees; deferred because the project's usual BEGIN IMMEDIATE would take the write lock
and stall every writer for the whole build, while in WAL mode a reader blocks nobody.

Inside a transaction the caller already opened (tests do) the snapshot is that transaction's: it cannot change
isolation half-way, so it says what it got.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

SQLITE_ISOLATION = "serializable: one SQLite transaction"
NESTED = ", inside a transaction the caller opened"


@dataclass(frozen=True)
class Snapshot:
    at: datetime  # when the database state the pack shows was fixed
    isolation: str


@contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[Snapshot]:
    """A read-only transaction in which every query sees the same committed state; nothing may be written in it."""
    connection = connections[using]
    nested = connection.in_atomic_block
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            yield _postgres_snapshot(connection, nested)
    elif connection.vendor == "sqlite":
        # query_only goes off after the transaction ends: a failed write inside leaves it unusable until then.
        with _deferred_begin(connection, nested), _query_only(connection), transaction.atomic(using=using):
            yield _sqlite_snapshot(connection, nested)
    else:  # not a database Towers runs on (DESIGN.md): one transaction, isolation as configured
        with transaction.atomic(using=using):
            yield Snapshot(timezone.now(), f"{connection.vendor}'s configured isolation: one transaction")


def _postgres_snapshot(connection: BaseDatabaseWrapper, nested: bool) -> Snapshot:
    with connection.cursor() as cursor:
        if not nested:  # must be the transaction's first statement
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # The first query takes the snapshot; its own timestamp is the moment the pack shows.
        cursor.execute(
            "SELECT statement_timestamp(), current_setting('transaction_isolation'),"
            " current_setting('transaction_read_only')"
        )
        at, isolation, read_only = cursor.fetchone()
    described = isolation + (", read only" if read_only == "on" else "")
    return Snapshot(at.astimezone(UTC), described + (NESTED if nested else ""))


def _sqlite_snapshot(connection: BaseDatabaseWrapper, nested: bool) -> Snapshot:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master")  # a deferred transaction's first read fixes its view
        cursor.fetchone()
    return Snapshot(timezone.now(), SQLITE_ISOLATION + (NESTED if nested else ""))


@contextmanager
def _deferred_begin(connection: BaseDatabaseWrapper, nested: bool) -> Iterator[None]:
    """Open the next transaction with a plain (deferred) BEGIN whatever the settings' transaction_mode says."""
    if nested:
        yield
        return
    connection.ensure_connection()  # connecting sets transaction_mode from the settings; override it after
    configured = getattr(connection, "transaction_mode", None)
    connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]  # the SQLite wrapper's own attribute
    try:
        yield
    finally:
        connection.transaction_mode = configured  # type: ignore[attr-defined]


@contextmanager
def _query_only(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """SQLite's READ ONLY: a write during the build fails loudly instead of taking the write lock."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
