import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.demo import estate
from towers.demo.desk_stories import plan, tell
from towers.demo.largedesk import CopyWriter
from towers.demo.servicedesk import LOADED, HistoryResult, cast_of, history_writer, seed_history
from towers.servicedesk.models import DeskSettings, HandOff, Ticket, TicketClock, TicketEvent
from towers.servicedesk.models.tickets import OPEN_STATES
from towers.servicedesk.services.clocks import ticket_clocks_recompute
from towers.servicedesk.services.tickets import ticket_create

pytestmark = pytest.mark.django_db
CLOCK_FIELDS = (
    "service_level_id",
    "handoff_id",
    "name",
    "kind",
    "metric",
    "organisation_id",
    "state",
    "target_seconds",
    "elapsed_seconds",
    "percent",
    "due_at",
    "breached",
    "stopped_at",
    "warned",
    "by_organisation",
)


@pytest.fixture(scope="module")
def loaded_once(django_db_setup: None, django_db_blocker: Any) -> Iterator[HistoryResult]:
    """The estate and a reduced history, built once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        sizes = dict(estate.SIZES)
        estate.SIZES["small"] = 30  # officers: the history needs requesters, not two hundred
        try:
            estate.seed("small")
            yield seed_history("small", tickets=500, days=60, open_now=10)
        finally:
            estate.SIZES.update(sizes)
            transaction.set_rollback(True)


@pytest.fixture
def history(loaded_once: HistoryResult, db: None) -> HistoryResult:
    return loaded_once


def test_small_history_has_tickets_across_suppliers_with_hand_offs_rejections_breaches_and_open_queues(history):
    assert history.created and history.tickets == Ticket.objects.count() > 500
    received = set(HandOff.objects.values_list("to_organisation__code", flat=True))
    assert {"apex", "carrier-networks", "hostwell", "airwave-mobile"} <= received
    assert HandOff.objects.filter(status=HandOff.Status.REJECTED).exists()
    assert Ticket.objects.filter(ping_pong=True).exists() and Ticket.objects.filter(reopen_count__gt=0).exists()
    assert Ticket.objects.filter(breached=True).exists()
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CLOCK, body__endswith="breached").exists()
    assert Ticket.objects.filter(is_major=True, children__isnull=False).exists()
    assert Ticket.objects.exclude(resolution_code="").exists()
    assert Ticket.objects.filter(state="closed").count() > Ticket.objects.count() / 2
    # Queues open now in several teams, and hand-offs waiting in a supplier's inbox.
    open_teams = set(Ticket.objects.filter(state__in=OPEN_STATES).values_list("team__code", flat=True))
    assert len(open_teams) >= 3
    assert HandOff.objects.filter(status=HandOff.Status.PENDING).exists()
    # One audit entry for the whole load; the tickets raised now each have their own.
    assert AuditEntry.objects.filter(action=LOADED).count() == 1
    assert AuditEntry.objects.filter(action="ticket.created").count() == 10
    assert audit.verify().ok
    assert not seed_history("small").created


def test_tickets_raised_after_the_history_continue_its_reference_sequence(history):
    highest = max(
        int(r[3:]) for r in Ticket.objects.filter(reference__startswith="INC").values_list("reference", flat=True)
    )
    ticket = ticket_create(actor=Actor.system("test"), title="Raised after the demo")
    assert ticket.reference == f"INC{highest + 1:07d}"


def test_loaded_clocks_are_what_the_engine_computes_on_a_fresh_recompute(history):
    with_clocks = list(Ticket.objects.filter(clocks__isnull=False).distinct().order_by("reference"))
    breached = [t for t in with_clocks if t.breached]
    crossed = [t for t in with_clocks if t.crossed_suppliers and not t.breached]
    still_open = [t for t in with_clocks if t.state in OPEN_STATES]
    rng = random.Random(5)
    sample = {t.id: t for t in rng.sample(breached, 15) + rng.sample(crossed, 15) + still_open[:10]}.values()
    actor = Actor.system("test")
    for ticket in sample:
        loaded = _clocks(ticket)
        summary = (ticket.clock_percent, ticket.clock_due_at, ticket.breached)
        events = ticket.events.count()
        computed_at = TicketClock.objects.filter(ticket=ticket).values_list("computed_at", flat=True).first()
        ticket_clocks_recompute(ticket=ticket, actor=actor, now=computed_at)
        assert _clocks(ticket) == loaded, ticket.reference
        ticket.refresh_from_db()
        assert (ticket.clock_percent, ticket.clock_due_at, ticket.breached) == summary, ticket.reference
        assert ticket.events.count() == events  # no warning it had not been told already


def _clocks(ticket: Ticket) -> list[tuple[object, ...]]:
    return sorted(
        TicketClock.objects.filter(ticket=ticket).values_list(*CLOCK_FIELDS), key=lambda row: (str(row[0]), str(row[1]))
    )


def test_large_writer_marks_closed_tickets_breached_as_the_engine_does(history):
    """The large load measures closed tickets' SLA clocks in bulk; the engine must agree, ticket by ticket."""
    settings, now, rng = DeskSettings.objects.get(), timezone.now(), random.Random(9)
    cast = cast_of(settings)
    seeds = plan(now - timedelta(days=40), now - timedelta(days=10), 400, timedelta(days=12), cast, rng)
    for n, seed in enumerate(seeds):
        seed.reference = f"BLK{n:07d}"
    lives = list(tell(seeds, now, cast, rng))
    writer = history_writer(settings, now, large=True)
    assert isinstance(writer, CopyWriter)
    with writer.loading():
        for life in lives:
            writer.add(life)
    reprioritised = {life.id for life in lives if any(step.kind == "priority" for step in life.steps)}
    closed = [life for life in lives if not life.is_open and life.id not in reprioritised]
    loaded = dict(Ticket.objects.filter(id__in=[life.id for life in closed]).values_list("id", "breached"))
    engine = {}
    for life in closed:
        ticket = writer.rows.ticket(life)
        events = [writer.rows.event(ticket, step) for step in life.steps]
        engine[life.id] = any(row.breached for row, _ in writer.clocks.replay(ticket, events, [], now))
    assert len(loaded) == len(closed) > 300
    assert loaded == engine
    assert any(engine.values())
