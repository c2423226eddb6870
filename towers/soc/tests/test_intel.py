import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.errors import Forbidden, NotFound, ValidationFailed
from towers.core.models import AuditEntry
from towers.organisations.tests.factories import actor_of, person_with_roles
from towers.soc.models import Indicator
from towers.soc.services.intel import indicators_import, intel_alerts, intel_match, taxii_fetch
from towers.soc.stix import Matcher, Unsupported, compile_pattern, parse_bundle
from towers.soc.tests.factories import MD5, SHA256, sysmon_event

SYSTEM = Actor.system("intel")


def indicator(n: int, pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "name": f"IOC {n}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "indicator_types": ["malicious-activity"],
        "confidence": 80,
    } | extra


def bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"type": "bundle", "id": "bundle--1", "objects": list(objects)}


FEED = bundle(
    indicator(1, "[ipv4-addr:value = '203.0.113.7']"),
    indicator(2, "[domain-name:value = 'Evil.Example.com' OR url:value = 'https://evil.example.com/a?b=1']"),
    indicator(3, f"[file:hashes.'SHA-256' = '{SHA256.upper()}']"),
    indicator(4, "[email-addr:value IN ('a@bad.test', 'b@bad.test')]"),
    indicator(5, "[process:name = 'evil.exe']"),
    indicator(6, "[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '5.6.7.8']"),
    indicator(7, "rule x { condition: true }", pattern_type="yara"),
    {"type": "malware", "id": "malware--1", "name": "not an indicator"},
)


# ---- patterns


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ipv4-addr:value = '10.0.0.1']", [("ip", "10.0.0.1")]),
        ("[ipv6-addr:value = '2001:DB8::1']", [("ip", "2001:db8::1")]),
        (
            "[domain-name:value = 'a.test' OR domain-name:value = 'b.test']",
            [("domain", "a.test"), ("domain", "b.test")],
        ),
        ("[url:value = 'http://x.test/Path OR it']", [("url", "http://x.test/Path OR it")]),
        (f"[file:hashes.MD5 = '{MD5}' AND file:hashes.'SHA-1' = '{'d' * 40}']", [("hash", MD5), ("hash", "d" * 40)]),
        ("[email-addr:value IN ('a@x.test','b@x.test')]", [("email", "a@x.test"), ("email", "b@x.test")]),
        (r"[url:value = 'http://x.test/it\'s']", [("url", "http://x.test/it's")]),
        ("[ipv4-addr:value = '1.1.1.1'] OR [domain-name:value = 'a]b']", [("ip", "1.1.1.1"), ("domain", "a]b")]),
    ],
)
def test_supported_patterns_compile_to_observables(pattern, expected):
    assert compile_pattern(pattern) == expected


@pytest.mark.parametrize(
    "pattern",
    [
        "[process:name = 'evil.exe']",
        "[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '5.6.7.8']",
        "[ipv4-addr:value = '1.2.3.4'] WITHIN 5 SECONDS",
        "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[domain-name:value LIKE '%.evil.test']",
        "ipv4-addr:value = '1.2.3.4'",
        "[ipv4-addr:value = '1.2.3.4'",
        "[]",
    ],
)
def test_other_patterns_are_unsupported(pattern):
    with pytest.raises(Unsupported):
        compile_pattern(pattern)


def test_a_bundle_yields_its_indicators_and_counts_the_unsupported_with_reasons():
    indicators, unsupported = parse_bundle(FEED)
    assert [i.name for i in indicators] == ["IOC 1", "IOC 2", "IOC 3", "IOC 4"]
    assert indicators[0].labels == ["malicious-activity"] and indicators[0].confidence == 80
    assert [u[0][-1] for u in unsupported] == ["5", "6", "7"]
    assert "process:name" in unsupported[0][1] and "yara" in unsupported[2][1]


def test_the_matcher_looks_up_ips_domains_urls_emails_and_sysmon_hashes():
    indicators, _ = parse_bundle(FEED)
    matcher = Matcher((k, v, i.name) for i in indicators for k, v in i.observables)
    assert matcher.match({"DestinationIp": "203.0.113.7"}) == ["IOC 1"]
    assert matcher.match({"QueryName": "evil.example.com."}) == ["IOC 2"]
    assert matcher.match({"url": "https://evil.example.com/a?b=1", "src": "203.0.113.7"}) == ["IOC 1", "IOC 2"]
    assert matcher.match(sysmon_event()) == ["IOC 3"]
    assert matcher.match({"Sender": "B@bad.test"}) == ["IOC 4"]
    assert matcher.match({"DestinationIp": "203.0.113.8", "Image": "203.0.113.7"}) == []


# ---- import and match


def test_import_creates_then_updates_and_is_audited(soc):
    report = indicators_import(actor=soc.actor, organisation=soc.organisation, bundle=FEED, source="feed.json")
    assert (report.created, report.updated, len(report.unsupported)) == (4, 0, 3)
    ioc = Indicator.objects.get(stix_id__endswith="000000000002")
    assert (ioc.type, ioc.value, ioc.source) == ("domain", "evil.example.com", "feed.json")
    assert ioc.observables == [["domain", "evil.example.com"], ["url", "https://evil.example.com/a?b=1"]]
    entry = AuditEntry.objects.get(action="soc.indicators.imported")
    assert entry.after["created"] == 4 and entry.after["unsupported"] == 3

    changed = bundle(indicator(1, "[ipv4-addr:value = '203.0.113.9']"), indicator(3, f"[file:hashes.MD5 = '{MD5}']"))
    again = indicators_import(actor=soc.actor, organisation=soc.organisation, bundle=changed, source="feed.json")
    assert (again.created, again.updated) == (0, 2)
    assert Indicator.objects.get(stix_id__endswith="000000000001").value == "203.0.113.9"
    assert AuditEntry.objects.filter(action="soc.indicators.imported").count() == 2


def test_import_is_for_the_socs_own_organisation(soc, estate):
    outsider = actor_of(person_with_roles(estate.applications, "soc_analyst", username="apps.soc"), estate.applications)
    with pytest.raises((Forbidden, NotFound)):
        indicators_import(actor=outsider, organisation=soc.organisation, bundle=FEED, source="x")
    with pytest.raises(ValidationFailed):
        indicators_import(actor=soc.actor, organisation=soc.organisation, bundle={"objects": "nope"}, source="x")


def test_intel_match_pairs_valid_indicators_with_the_events_that_name_them(soc):
    expired = indicator(8, "[ipv4-addr:value = '198.51.100.1']", valid_until="2026-01-02T00:00:00Z")
    future = indicator(
        9, "[ipv4-addr:value = '198.51.100.2']", valid_from=(timezone.now() + timedelta(days=1)).isoformat()
    )
    indicators_import(
        actor=SYSTEM, organisation=soc.organisation, bundle=bundle(*FEED["objects"], expired, future), source="f"
    )
    events = [
        sysmon_event(),
        {"SourceIp": "10.0.0.1", "DestinationIp": "203.0.113.7"},
        {"SourceIp": "198.51.100.1", "DestinationIp": "198.51.100.2"},
    ]
    hits = intel_match(events, organisation=soc.organisation)
    assert [(i.name, events.index(e)) for i, e in hits] == [("IOC 3", 0), ("IOC 1", 1)]
    assert intel_match(events, organisation=soc.organisation, matcher=Matcher([])) == []


# ---- TAXII 2.1 over a real socket


class Taxii(BaseHTTPRequestHandler):
    pages: dict[str, dict[str, Any]] = {
        "": {"more": True, "next": "p2", "objects": FEED["objects"][:3]},
        "p2": {"more": False, "objects": FEED["objects"][3:]},
    }
    seen: list[tuple[str, str, str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        Taxii.seen.append((url.path, self.headers.get("Accept", ""), self.headers.get("Authorization", "")))
        if url.path == "/taxii2/":
            body: dict[str, Any] = {"title": "Test", "api_roots": [f"http://{self.headers['Host']}/api1/"]}
        elif url.path == "/api1/collections/":
            body = {"collections": [{"id": "c1", "title": "IOCs", "can_read": True, "can_write": False}]}
        elif url.path == "/api1/collections/c1/objects/":
            body = Taxii.pages[query.get("next", [""])[0]]
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/taxii+json;version=2.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def taxii_server() -> Iterator[str]:
    Taxii.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Taxii)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_taxii_fetch_follows_pages_and_imports(soc, taxii_server):
    report = taxii_fetch(
        actor=soc.actor,
        organisation=soc.organisation,
        url=f"{taxii_server}/api1/",
        collection_id="c1",
        username="u",
        password="p",
    )
    assert (report.created, len(report.unsupported)) == (4, 3)
    assert [s[0] for s in Taxii.seen] == ["/api1/collections/c1/objects/"] * 2
    assert all(s[1] == "application/taxii+json;version=2.1" and s[2].startswith("Basic ") for s in Taxii.seen)
    assert Indicator.objects.get(stix_id__endswith="000000000001").source.endswith("/api1/collections/c1/objects/")


def test_taxii_failures_are_validation_errors(soc, taxii_server):
    with pytest.raises(ValidationFailed):
        taxii_fetch(actor=soc.actor, organisation=soc.organisation, url=f"{taxii_server}/nope/", collection_id="c1")


def test_the_command_imports_files_and_fetches_taxii(soc, taxii_server, tmp_path, capsys):
    code = soc.organisation.code
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(FEED))
    call_command("soc_intel", "import", str(path), "--organisation", soc.organisation.code)
    assert "4 created, 0 updated, 0 unchanged, 3 unsupported" in capsys.readouterr().out
    call_command(
        "soc_intel", "taxii", f"{taxii_server}/api1", "--collection", "c1", "--organisation", soc.organisation.code
    )
    assert "0 created, 4 updated, 0 unchanged" in capsys.readouterr().out  # the source is now the collection
    call_command("soc_intel", "taxii", f"{taxii_server}/api1", "--collection", "c1", "--organisation", code)
    assert "0 created, 0 updated, 4 unchanged" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("soc_intel", "import", str(tmp_path / "missing.json"), "--organisation", code)


def test_intel_alerts_raise_alerts_of_the_socs_intel_rule(soc):
    indicators_import(actor=SYSTEM, organisation=soc.organisation, bundle=FEED, source="f")
    events = [{"Computer": "ws-0042", "IpAddress": "::ffff:203.0.113.7"}, {"Computer": "ws-0042", "IpAddress": "-"}]
    alerts = intel_alerts(actor=SYSTEM, organisation=soc.organisation, events=events)
    assert len(alerts) == 1 and alerts[0].rule.rule_id == "towers-intel-match"
    assert alerts[0].events[0]["IntelIndicator"] == "IOC 1"
    assert intel_alerts(actor=SYSTEM, organisation=soc.organisation, events=events[1:]) == []


def test_detection_batches_raise_intel_alerts_for_events_naming_an_indicator(soc):
    from towers.soc.intake.event import Event
    from towers.soc.models import Alert
    from towers.soc.services.intake import StreamEvent, events_evaluate, intel_hits
    from towers.soc.sigma.engine import Engine

    indicators_import(actor=soc.actor, organisation=soc.organisation, bundle=FEED, source="feed.json")
    now = timezone.now()
    naming = Event({"QueryName": "evil.example.com", "Computer": "ws-01"}, "jsonl", now, "{}")
    innocent = Event({"QueryName": "intranet.force.local", "Computer": "ws-01"}, "jsonl", now, "{}")
    items = [StreamEvent("dns-1", soc.organisation.pk, naming), StreamEvent("dns-2", soc.organisation.pk, innocent)]
    events_evaluate(engine=Engine([]), items=items, on_batch=intel_hits(Actor.system("tests")))
    alert = Alert.objects.get(organisation=soc.organisation)
    assert alert.rule.rule_id == "towers-intel-match" and alert.events[0]["QueryName"] == "evil.example.com"
    # A redelivered batch is recognised as evaluated: no second alert, no second count.
    events_evaluate(engine=Engine([]), items=items, on_batch=intel_hits(Actor.system("tests")))
    assert Alert.objects.get(pk=alert.pk).count == 1
