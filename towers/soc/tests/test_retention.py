from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from towers.core.errors import Forbidden
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of
from towers.soc import tasks
from towers.soc.models import EvaluatedEvent
from towers.soc.services.retention import evaluated_events_prune, evaluated_retention

pytestmark = pytest.mark.django_db


def _evaluated(organisation, prefix, count, age):
    at = timezone.now() - age
    EvaluatedEvent.objects.bulk_create(
        EvaluatedEvent(
            event_id=f"{prefix}-{n}", organisation=organisation, source="http", worker="w:1", evaluated_at=at
        )
        for n in range(count)
    )


def test_markers_older_than_the_window_go_and_newer_ones_stay(estate):
    _evaluated(estate.integrator, "old", 5, timedelta(days=8))
    _evaluated(estate.applications, "apps-old", 2, timedelta(days=30))
    _evaluated(estate.integrator, "new", 3, timedelta(days=6))
    assert evaluated_events_prune(older_than=timedelta(days=7)) == 7
    assert sorted(EvaluatedEvent.objects.values_list("event_id", flat=True)) == ["new-0", "new-1", "new-2"]


def test_pruning_deletes_in_chunks_each_audited_with_its_count(estate):
    _evaluated(estate.integrator, "old", 7, timedelta(days=10))
    with CaptureQueriesContext(connection) as queries:
        assert evaluated_events_prune(older_than=timedelta(days=7), chunk=3) == 7
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "soc_evaluatedevent"')]
    assert len(deletes) == 3  # 3 + 3 + 1
    entries = AuditEntry.objects.filter(action="soc.evaluated_events.pruned").order_by("seq")
    assert [e.after["deleted"] for e in entries] == [3, 3, 1]
    assert {e.object_id for e in entries} == {str(estate.integrator.pk)}
    assert entries[0].actor_label == "system:soc-retention"


def test_nothing_to_prune_writes_nothing(estate):
    _evaluated(estate.integrator, "new", 2, timedelta(hours=1))
    assert evaluated_events_prune(older_than=timedelta(days=7)) == 0
    assert not AuditEntry.objects.filter(action="soc.evaluated_events.pruned").exists()


def test_the_retention_is_seven_days_unless_set(settings):
    assert evaluated_retention() == timedelta(days=7)
    settings.TOWERS_SOC_EVALUATED_RETENTION_DAYS = 2
    assert evaluated_retention() == timedelta(days=2)


def test_the_daily_task_prunes_with_the_configured_retention(estate, settings, monkeypatch):
    monkeypatch.setattr(tasks.schedule, "again", lambda task: None)  # no next run booked in a unit test
    settings.TOWERS_SOC_EVALUATED_RETENTION_DAYS = 1
    _evaluated(estate.integrator, "two-days", 2, timedelta(days=2))
    _evaluated(estate.integrator, "fresh", 1, timedelta(hours=2))
    assert tasks.prune_evaluated_events.call() == 2
    assert list(EvaluatedEvent.objects.values_list("event_id", flat=True)) == ["fresh-0"]
    assert tasks.schedule._periodic[tasks.prune_evaluated_events.module_path][1] == 24 * 3600


def test_a_read_only_actor_cannot_prune(estate):
    _evaluated(estate.integrator, "old", 1, timedelta(days=9))
    with pytest.raises(Forbidden):
        evaluated_events_prune(older_than=timedelta(days=7), actor=actor_of(estate.auditor))
    assert EvaluatedEvent.objects.count() == 1
