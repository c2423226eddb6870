"""Sigma correlation rules on the live stream, shared by every detection worker and evaluated exactly once.

Each base-rule hit a correlation refers to becomes a CorrelationMatch row, written in the transaction that records
the event as evaluated (`events_evaluate`), so a redelivered event adds nothing and a worker that dies loses
nothing. The window of one correlation and group-by value set is read back from those rows under a lock per
(correlation, group), tested with the same `fires` as the offline `correlate`, and cleared when it fires.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from django.db import connection, transaction
from django.utils import timezone
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError

from towers.core.actor import Actor
from towers.soc.models import DetectionRule
from towers.soc.models.alerts import RuleKind
from towers.soc.models.correlations import CorrelationMatch
from towers.soc.observables import event_time
from towers.soc.services.alerts import MAX_EVENTS, alert_raise
from towers.soc.services.intake import HitHandler
from towers.soc.sigma.compiler import CompiledRule
from towers.soc.sigma.correlation import (
    Correlation,
    Match,
    firing_window,
    from_pysigma,
    group_of,
    lowered_keys,
    value_of,
)
from towers.soc.stream import StreamEvent

logger = logging.getLogger(__name__)

# An event claiming to be from further ahead than this is timed by its receipt instead: one bad clock must not
# push a group's window forward and discard every match in it.
FUTURE_SKEW = timedelta(minutes=5)


class CorrelationUnreadable(ValueError):
    """The rule's YAML does not hold the correlation it names; the message says why."""


_parsed: dict[tuple[UUID, int, int], Correlation] = {}


def correlation_of(rule: DetectionRule) -> Correlation:
    """The correlation a CORRELATION rule runs, from its custom text or its file (parsed once per version of the
    row, and again when the file changes)."""
    key = (rule.pk, rule.version, _modified(rule))
    found = _parsed.get(key)
    if found is None:
        found = _parsed[key] = _parse(rule)
    return found


def _modified(rule: DetectionRule) -> int:
    if rule.custom_text:
        return 0
    try:
        return Path(rule.source_path).stat().st_mtime_ns
    except OSError:
        return -1  # unreadable: _parse says so


def _parse(rule: DetectionRule) -> Correlation:
    try:
        text = rule.custom_text or Path(rule.source_path).read_text(encoding="utf-8")
        # The base rules usually live in other files: references are matched by id or name at run time instead.
        collection = SigmaCollection.from_yaml(text, resolve_references=False)
        found = [r for r in collection.rules if isinstance(r, SigmaCorrelationRule)]
        wanted = rule.rule_id.lower()
        named = [r for r in found if wanted in (str(r.id or "").lower(), (r.name or "").lower())]
        if named or len(found) == 1:
            return from_pysigma((named or found)[0])
    # pySigma passes YAML errors and malformed documents through as they come
    except (OSError, SigmaError, ValueError, yaml.YAMLError, AttributeError, TypeError) as error:
        raise CorrelationUnreadable(f"{rule.rule_id}: {error}") from error
    raise CorrelationUnreadable(f"{rule.rule_id}: {len(found)} correlation rules, none with this id or name")


@dataclass(frozen=True)
class _Running:
    rule: DetectionRule
    correlation: Correlation


def _running(correlations: Iterable[DetectionRule]) -> list[_Running]:
    """The enabled correlation rules that parse; one that does not is logged and skipped, not fatal to detection."""
    running = []
    for rule in correlations:
        if rule.kind != RuleKind.CORRELATION or not rule.enabled:
            continue
        try:
            running.append(_Running(rule, correlation_of(rule)))
        except CorrelationUnreadable as error:
            logger.warning("correlation rule skipped: %s", error)
    return running


def _names(compiled: CompiledRule) -> tuple[str, ...]:
    return tuple(n for n in (compiled.id, compiled.name) if n)


def correlation_hits(actor: Actor, correlations: list[DetectionRule]) -> HitHandler:
    """Feed each hit of a rule that a correlation of the event's SOC refers to into that correlation's window,
    raising the correlation's alert when the window fires. Call it inside `events_evaluate` (its transaction is
    what makes the state exactly-once)."""
    watching: dict[UUID, dict[str, list[_Running]]] = {}  # organisation → referenced rule → correlations
    for running in _running(correlations):
        for ref in running.correlation.rules:
            watching.setdefault(running.rule.organisation_id, {}).setdefault(ref, []).append(running)

    def handle(item: StreamEvent, rules: list[CompiledRule]) -> None:
        refs = watching.get(item.organisation_id)
        if not refs:
            return
        for compiled in rules:
            done: set[UUID] = set()  # a correlation listing a rule by both id and name counts its hit once
            for ref in _names(compiled):
                for running in refs.get(ref, ()):
                    if running.rule.pk not in done:
                        done.add(running.rule.pk)
                        _match(actor, running, (ref, *_names(compiled)), item)

    return handle


def detection_hits(actor: Actor, *, alerts: HitHandler, correlations: list[DetectionRule]) -> HitHandler:
    """Stand-alone alerts (`alerts`, e.g. `alert_hits(actor)`) plus the correlations' windows, for `on_hits`.

    Per the Sigma correlation specification (`generate`, default false), a rule a correlation refers to is a
    building block, not a detection: its hits raise no alert of their own unless a correlation of the same SOC
    that refers to it says `generate: true`.
    """
    correlated = correlation_hits(actor, correlations)
    quiet: dict[UUID, set[str]] = {}
    loud: dict[UUID, set[str]] = {}
    for running in _running(correlations):
        side = loud if running.correlation.generate else quiet
        side.setdefault(running.rule.organisation_id, set()).update(running.correlation.rules)

    def standalone(organisation: UUID, compiled: CompiledRule) -> bool:
        names = set(_names(compiled))
        return not names & quiet.get(organisation, set()) or bool(names & loud.get(organisation, set()))

    def handle(item: StreamEvent, rules: list[CompiledRule]) -> None:
        own = [compiled for compiled in rules if standalone(item.organisation_id, compiled)]
        if own:
            alerts(item, own)
        correlated(item, rules)

    return handle


def _match(actor: Actor, running: _Running, names: tuple[str, ...], item: StreamEvent) -> None:
    """Record one hit in its window, then fire and clear the window or drop what has aged out of it."""
    correlation, rule = running.correlation, running.rule
    span = timedelta(seconds=correlation.timespan)
    fields = item.event.fields
    lowered = lowered_keys(fields)
    group = group_of(correlation, lowered, *names)
    value = value_of(correlation, lowered, *names)
    at = _time_of(item)
    key = _group_key(group)
    with transaction.atomic(savepoint=False):
        _serialise_group(rule.pk, key)
        row = CorrelationMatch.objects.create(
            organisation_id=item.organisation_id,
            correlation=rule,
            group_key=key,
            group_values=_jsonable(list(group)),
            rule_ref=names[0],
            value="" if value is None else str(value)[:500],
            at=at,
            event_id=item.event_id,
            event=_jsonable(fields),
        )
        rows = list(
            CorrelationMatch.objects.filter(correlation=rule, group_key=key, at__gte=at - span, at__lte=at + span)
            .order_by("at", "id")
            .values_list("id", "at", "rule_ref", "value")
        )
        window: list[Match] = [(when.timestamp(), ref, counted or None) for _id, when, ref, counted in rows]
        fired = firing_window(correlation, window, [r[0] for r in rows].index(row.pk))
        if fired is not None:
            contributing = [r[0] for r in rows[fired[0] : fired[1]]]
            events = (
                CorrelationMatch.objects.filter(pk__in=contributing[:MAX_EVENTS])
                .order_by("at", "id")
                .values_list("event", flat=True)
            )
            alert_raise(actor=actor, rule=rule, events=list(events))
            CorrelationMatch.objects.filter(pk__in=contributing).delete()
        newest = rows[-1][1]
        CorrelationMatch.objects.filter(correlation=rule, group_key=key, at__lt=newest - span).delete()


def _time_of(item: StreamEvent) -> datetime:
    received = item.event.received_at
    own = event_time(item.event.fields)
    return own if own is not None and own <= received + FUTURE_SKEW else received


def _group_key(group: tuple[Any, ...]) -> str:
    return hashlib.sha256(json.dumps(list(group), default=str).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    """Event values as JSON keeps them (a parsed time becomes its text)."""
    return json.loads(json.dumps(value, default=str))


def _serialise_group(correlation_pk: UUID, key: str) -> None:
    """Two workers adding to one window at once would each miss the other's match: on PostgreSQL a
    transaction-scoped advisory lock per (correlation, group) orders them. SQLite runs one writer at a time, and
    the insert above the window's read takes that write lock first."""
    if connection.vendor == "postgresql":
        digest = hashlib.sha256(f"correlation:{correlation_pk}:{key}".encode()).digest()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


def correlation_matches_prune(*, now: datetime | None = None) -> int:
    """Delete matches older than their correlation's timespan (one DELETE per correlation); how many went.

    Housekeeping of transient detection state, so not audited. Matches of a correlation that no longer parses are
    of no use and all go.
    """
    now = now or timezone.now()
    deleted = 0
    for rule in DetectionRule.objects.filter(pk__in=CorrelationMatch.objects.values("correlation")):
        matches = CorrelationMatch.objects.filter(correlation=rule)
        with contextlib.suppress(CorrelationUnreadable):
            matches = matches.filter(at__lt=now - timedelta(seconds=correlation_of(rule).timespan))
        deleted += matches.delete()[0]
    return deleted
