from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from towers.contracts.tests.factories import ServiceLevelFactory, office_hours_calendar
from towers.core.errors import ValidationFailed
from towers.organisations.tests.factories import actor_of
from towers.sla.clock import EventKind, TimelineEvent
from towers.sla.services.clocks import attainment_compute, clock_record

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(day, hour, month=3):
    return datetime(2026, month, day, hour, tzinfo=LONDON)


def _level(estate):
    calendar = office_hours_calendar(estate.authority)  # Mon–Fri 08:00–18:00 from 2020
    return ServiceLevelFactory(
        code="app-p2",
        provider=estate.applications,
        customer=estate.authority,
        calendar=calendar,
        priority="P2",
        target=timedelta(hours=8),
        pause_states=["pending_requester"],
    )


def _ticket(ref, created, resolved, level, estate, pause=None):
    events = [TimelineEvent(created, EventKind.CREATED, priority="P2", organisation="apps")]
    if pause:
        events += [
            TimelineEvent(pause[0], EventKind.STATE, state="pending_requester"),
            TimelineEvent(pause[1], EventKind.STATE, state="in_progress"),
        ]
    if resolved:
        events.append(TimelineEvent(resolved, EventKind.RESOLVED))
    return clock_record(
        actor=actor_of(estate.authority_admin), level=level, record_ref=ref, timeline=events, now=at(31, 20)
    )


def test_a_record_is_measured_by_the_engine_and_its_pauses_kept(estate):
    level = _level(estate)
    # Fri 6 Mar 16:00 → Mon 9 Mar 14:00: Fri 16–18 = 2h, Mon 08–14 = 6h; paused Mon 10–11 → 7h ≤ 8h: met.
    measurement = _ticket("INC1", at(6, 16), at(9, 14), level, estate, pause=(at(9, 10), at(9, 11)))
    assert measurement.elapsed_seconds == 7 * 3600 and not measurement.breached
    assert len(measurement.pauses) == 1


def test_attainment_counts_each_record_in_the_month_its_outcome_became_known(estate):
    level = _level(estate)
    _ticket("MET", at(2, 9), at(2, 15), level, estate)  # 6h: met, resolved in March
    _ticket("LATE", at(2, 9), at(4, 9), level, estate)  # Mon 9–18 = 9h > 8h: breached Tue 3 Mar 08:00... resolved 4 Mar
    _ticket("OPEN-BREACHED", at(30, 9), None, level, estate)  # Mon 30 09–18 = 9h by the 30th: breached in March
    _ticket("OPEN-FINE", at(31, 14), None, level, estate)  # 4h so far: not yet measured
    _ticket("FEB", at(2, 9, month=2), at(2, 12, month=2), level, estate)  # resolved in February
    result = attainment_compute(actor=actor_of(estate.authority_admin), level=level, period=date(2026, 3, 1))
    # Measured in March: MET, LATE, OPEN-BREACHED = 3; met: 1 → 33.333%.
    assert (result.measured, result.met, result.actual) == (3, 1, Decimal("33.333"))
    assert set(result.evidence["breached_records"]) == {"LATE", "OPEN-BREACHED"}


def test_a_month_with_nothing_measured_says_so(estate):
    level = _level(estate)
    with pytest.raises(ValidationFailed, match="April 2026"):
        attainment_compute(actor=actor_of(estate.authority_admin), level=level, period=date(2026, 4, 1))
