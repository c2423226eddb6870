"""Intake bookkeeping: quarantines kept with their reasons, counters, exactly-once evaluation, the HTTP batch route."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import path

import towers.soc.policies_intake  # noqa: F401  (registers the intake models until SocConfig.ready does)
from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.models import AuditEntry
from towers.core.roles import Role
from towers.organisations.tests.factories import ApiTokenFactory, person_with_roles
from towers.soc.intake.event import Event, Quarantined
from towers.soc.intake.http import parse_batch
from towers.soc.models.intake import EvaluatedEvent, IntakeCounter, QuarantinedEvent
from towers.soc.services.intake import detector_attach, events_accept, events_evaluate
from towers.soc.sigma.engine import Engine
from towers.soc.sigma.rules import CompileReport, compile_text
from towers.soc.stream import StreamEvent

pytestmark = pytest.mark.django_db
RULE = """
title: Evil marker
id: 11111111-2222-3333-4444-555555555555
level: high
logsource: {product: linux}
detection:
  selection: {message|contains: EVIL}
  condition: selection
"""
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def in_process(settings):
    """No stream: accepted events go to a detector that records what it was given."""
    settings.TOWERS_NATS_URL = ""
    given: list[StreamEvent] = []
    detector_attach(given.extend)
    yield given
    detector_attach(None)


def _engine() -> Engine:
    report = CompileReport()
    compile_text(RULE, report)
    return Engine(report.rules)


def _event(message: str) -> Event:
    return Event({"message": message}, "syslog", NOW, f"<13>{message}")


def test_unparseable_input_is_quarantined_with_its_reason_and_counted(estate, in_process):
    system = Actor.system("tests")
    bad = Quarantined("no <PRI> at start", b"\xffgarbage", "syslog", 7)
    result = events_accept(
        actor=system, events=[_event("a"), _event("b")], quarantined=[bad], organisation=estate.integrator
    )
    assert (result.accepted, result.quarantined) == (2, 1)
    assert [item.event.fields["message"] for item in in_process] == ["a", "b"]
    row = QuarantinedEvent.objects.get()
    assert (row.reason, bytes(row.raw), row.offset, row.organisation) == (
        "no <PRI> at start",
        b"\xffgarbage",
        7,
        estate.integrator,
    )
    events_accept(actor=system, events=[_event("c")], quarantined=[bad], organisation=estate.integrator)
    counter = IntakeCounter.objects.get(organisation=estate.integrator, source="syslog")
    assert (counter.accepted, counter.quarantined) == (3, 2)
    assert AuditEntry.objects.filter(action="soc.events.accepted").count() == 2  # one per batch, not per event


def test_events_detection_cannot_take_are_quarantined_not_lost(estate, settings):
    settings.TOWERS_NATS_URL = ""

    def broken(_items):
        raise ConnectionError("stream down")

    detector_attach(broken)
    try:
        result = events_accept(
            actor=Actor.system("tests"), events=[_event("x")], quarantined=[], organisation=estate.integrator
        )
    finally:
        detector_attach(None)
    assert (result.accepted, result.quarantined) == (0, 1)
    row = QuarantinedEvent.objects.get()
    assert "stream down" in row.reason and bytes(row.raw) == b"<13>x"
    assert IntakeCounter.objects.get().quarantined == 1


def test_submitting_events_needs_a_soc_role(estate, in_process):
    requester = person_with_roles(estate.integrator, Role.REQUESTER)
    from towers.organisations.tests.factories import actor_of

    with pytest.raises(Forbidden):
        events_accept(actor=actor_of(requester, estate.integrator), events=[_event("a")], quarantined=[],
                      organisation=estate.integrator)  # fmt: skip
    assert not in_process


def test_a_redelivered_event_is_recognised_and_not_evaluated_twice(estate):
    items = [StreamEvent(f"id-{n}", estate.integrator.pk, _event("EVIL" if n == 1 else "fine")) for n in range(3)]
    seen: list[str] = []
    first = events_evaluate(engine=_engine(), items=items, on_hits=lambda item, _rules: seen.append(item.event_id))
    again = events_evaluate(engine=_engine(), items=items[1:], on_hits=lambda item, _rules: seen.append(item.event_id))
    assert (first.evaluated, first.skipped, first.hits) == (3, 0, 1)
    assert (again.evaluated, again.skipped, again.hits) == (0, 2, 0)
    assert seen == ["id-1"]
    assert EvaluatedEvent.objects.get(event_id="id-1").hits == ["11111111-2222-3333-4444-555555555555"]


_STAND_IN: list = []


@pytest.fixture
def api_prefix(settings):
    """The router on an API of its own with the real auth and error shape, whether or not /api/v1 mounts it yet."""
    if not _STAND_IN:
        from ninja import NinjaAPI

        from towers.core.api import install_error_handlers
        from towers.organisations.auth import SessionActorAuth, TokenAuth
        from towers.soc.api_intake import router

        stand_in = NinjaAPI(auth=[TokenAuth(), SessionActorAuth()], urls_namespace="intake-test")
        install_error_handlers(stand_in)
        stand_in.add_router("", router)
        _STAND_IN.append(type("IntakeTestUrls", (), {"urlpatterns": [path("intake-test/", stand_in.urls)]}))
    settings.ROOT_URLCONF = _STAND_IN[0]
    return "/intake-test"


def _bearer(person, organisation):
    secret = f"twr_intake-{person.username}-abcdefghijklmnopqrstuvwxyz"
    ApiTokenFactory(secret=secret, person=person, organisation=organisation)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_http_batch_accepts_good_items_and_quarantines_bad_ones_with_reasons(client, estate, in_process, api_prefix):
    analyst = _bearer(person_with_roles(estate.integrator, Role.SOC_ANALYST), estate.integrator)
    body = {"events": [{"EventID": 4688, "CommandLine": "whoami"}, "not an object", {"x": {"y": 1}}]}
    response = client.post(f"{api_prefix}/events/batch", data=body, content_type="application/json", **analyst)
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["accepted"], out["quarantined"]) == (2, 1)
    assert out["reasons"] == [{"offset": 1, "reason": "item is JSON str, not an object"}]
    assert in_process[1].event.fields == {"x.y": 1}
    assert bytes(QuarantinedEvent.objects.get(organisation=estate.integrator).raw) == b'"not an object"'

    broken = client.post(f"{api_prefix}/events/batch", data="{oops", content_type="application/json", **analyst)
    assert broken.status_code == 400 and broken.json()["quarantined"] == 1
    listed = client.get(f"{api_prefix}/intake/quarantine", **analyst).json()
    assert listed["count"] == 2 and {i["raw"] for i in listed["items"]} == {'"not an object"', "{oops"}
    counters = client.get(f"{api_prefix}/intake/counters", **analyst).json()["items"]
    assert [(c["source"], c["accepted"], c["quarantined"]) for c in counters] == [("http", 2, 2)]


def test_http_batch_is_refused_without_a_soc_role(client, estate, in_process, api_prefix):
    agent = _bearer(estate.integrator_agent, estate.integrator)
    response = client.post(f"{api_prefix}/events/batch", data=[{"a": 1}], content_type="application/json", **agent)
    assert response.status_code == 403
    assert not in_process and not IntakeCounter.objects.exists()


def test_another_organisations_user_cannot_see_the_quarantine(client, estate, in_process, api_prefix):
    events_accept(actor=Actor.system("tests"), events=[], organisation=estate.applications,
                  quarantined=[Quarantined("bad", b"apps-secret", "syslog")])  # fmt: skip
    row = QuarantinedEvent.objects.get()
    network = _bearer(estate.network_admin, estate.network)
    apps = _bearer(estate.applications_admin, estate.applications)
    for url in (f"{api_prefix}/intake/quarantine", f"{api_prefix}/intake/counters"):
        foreign = client.get(url, **network)
        assert foreign.status_code == 200 and foreign.json()["count"] == 0
        assert str(row.id) not in foreign.content.decode()
    own = client.get(f"{api_prefix}/intake/quarantine", **apps).json()
    assert [i["id"] for i in own["items"]] == [str(row.id)]


def test_parse_batch_and_accept_keep_every_item_accounted_for(estate, in_process):
    results = parse_batch(json.dumps([{"a": 1}, 2, [3], {"b": 2}]))
    result = events_accept(actor=Actor.system("tests"), organisation=estate.integrator,
                           events=[r for r in results if isinstance(r, Event)],
                           quarantined=[r for r in results if isinstance(r, Quarantined)])  # fmt: skip
    assert result.accepted + result.quarantined == 4
    assert sorted(QuarantinedEvent.objects.values_list("offset", flat=True)) == [1, 2]


def test_hits_of_a_rule_the_soc_runs_raise_alerts_and_other_hits_are_only_recorded(estate):
    from towers.soc.models import Alert
    from towers.soc.services.intake import alert_hits
    from towers.soc.tests.factories import detection_rule

    rule_id = "11111111-2222-3333-4444-555555555555"
    detection_rule(estate.integrator, rule_id=rule_id)
    ours = StreamEvent("ours", estate.integrator.pk, _event("EVIL here"))
    theirs = StreamEvent("theirs", estate.applications.pk, _event("EVIL there"))  # this SOC has not taken the rule on
    done = events_evaluate(engine=_engine(), items=[ours, theirs], on_hits=alert_hits(Actor.system("tests")))
    assert done.hits == 2
    alert = Alert.objects.get()
    assert alert.organisation == estate.integrator
    assert EvaluatedEvent.objects.get(event_id="theirs").hits == [rule_id]
