"""Threat intelligence: STIX 2.1 indicators imported from bundles or fetched from TAXII 2.1, matched against events."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from towers.core import audit
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.organisations.models import Organisation
from towers.soc.models import Alert, DetectionRule, Indicator, Severity
from towers.soc.services.alerts import alert_raise
from towers.soc.stix import Matcher, parse_bundle, parse_time

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
TAXII_MAX_PAGES = 1000
INTEL_RULE_ID = "towers-intel-match"
_matchers: dict[Any, tuple[float, Matcher]] = {}
MATCHER_TTL = 60.0  # seconds an intake worker reuses one SOC's index before reloading its indicators


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unsupported: list[tuple[str, str]] = field(default_factory=list)  # (STIX id, reason)

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.unsupported.extend(other.unsupported)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unsupported": len(self.unsupported),
        }


def indicators_import(
    *, actor: Actor, organisation: Organisation, bundle: Mapping[str, Any], source: str
) -> ImportReport:
    """Create or update the SOC's indicators from a STIX 2.1 bundle; one audit entry for the whole import."""
    ensure_can(actor, "soc.tune", Indicator(organisation=organisation))
    try:
        parsed, unsupported = parse_bundle(bundle)
    except ValueError as exc:
        raise ValidationFailed({"bundle": [str(exc)]}, str(exc)) from exc
    report = ImportReport(unsupported=unsupported)
    with transaction.atomic():
        existing = {
            i.stix_id: i
            for i in Indicator.objects.filter(organisation=organisation, stix_id__in=[p.stix_id for p in parsed])
        }
        for item in parsed:
            kind, value = item.observables[0]
            values: dict[str, Any] = {
                "name": item.name,
                "pattern": item.pattern,
                "type": kind,
                "value": value[:2000],
                "observables": [list(o) for o in item.observables],
                "labels": item.labels,
                "valid_from": parse_time(item.valid_from),
                "valid_until": parse_time(item.valid_until),
                "confidence": item.confidence,
                "source": source[:500],
            }
            current = existing.get(item.stix_id)
            if current is None:
                existing[item.stix_id] = Indicator.objects.create(
                    organisation=organisation, stix_id=item.stix_id, **values
                )
                report.created += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                current.save()
                report.updated += 1
            else:
                report.unchanged += 1
        audit.record(
            actor,
            "soc.indicators.imported",
            organisation,
            after=report.as_dict() | {"source": source, "unsupported_ids": [u[0] for u in unsupported][:100]},
        )
        transaction.on_commit(lambda: _matchers.pop(organisation.pk, None))
    return report


def _page_objects(response: httpx.Response) -> tuple[list[Any], bool, str | None]:
    response.raise_for_status()
    envelope = response.json()
    return list(envelope.get("objects") or []), bool(envelope.get("more")), envelope.get("next")


def taxii_fetch(
    *,
    actor: Actor,
    organisation: Organisation,
    url: str,
    collection_id: str,
    username: str | None = None,
    password: str | None = None,
    added_after: datetime | None = None,
    timeout: float = 30.0,
) -> ImportReport:
    """Fetch a TAXII 2.1 collection's objects (all pages) from the API root `url`, then import them."""
    ensure_can(actor, "soc.tune", Indicator(organisation=organisation))
    endpoint = f"{url.rstrip('/')}/collections/{collection_id}/objects/"
    auth = httpx.BasicAuth(username, password or "") if username else None
    params: dict[str, str] = {}
    if added_after is not None:
        params["added_after"] = added_after.isoformat().replace("+00:00", "Z")
    objects: list[Any] = []
    try:
        with httpx.Client(
            auth=auth, timeout=timeout, headers={"Accept": TAXII_MEDIA_TYPE}, follow_redirects=True
        ) as client:
            for _ in range(TAXII_MAX_PAGES):
                page, more, next_ = _page_objects(client.get(endpoint, params=params))
                objects.extend(page)
                if not more or not next_:
                    break
                params["next"] = str(next_)
    except (httpx.HTTPError, ValueError) as exc:
        message = f"TAXII fetch from {endpoint} failed: {exc}"
        raise ValidationFailed({"url": [message]}, message) from exc
    bundle = {"type": "bundle", "objects": objects}
    return indicators_import(actor=actor, organisation=organisation, bundle=bundle, source=endpoint)


def active_indicators(organisation: Organisation | None = None, now: datetime | None = None) -> list[Indicator]:
    now = now or timezone.now()
    query = Indicator.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now)).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    )
    if organisation is not None:
        query = query.filter(organisation=organisation)
    return list(query)


def matcher_for(indicators: Iterable[Indicator]) -> Matcher:
    return Matcher((str(kind), str(value), i) for i in indicators for kind, value in (i.observables or []))


def matcher_cached(organisation_id: Any, ttl: float = MATCHER_TTL) -> Matcher:
    """The index of a SOC's valid indicators, rebuilt at most every `ttl` seconds (per process)."""
    now = time.monotonic()
    cached = _matchers.get(organisation_id)
    if cached is None or now - cached[0] > ttl:
        indicators = Indicator.objects.filter(organisation_id=organisation_id)
        cached = (now, matcher_for(i for i in indicators if _valid(i, timezone.now())))
        _matchers[organisation_id] = cached
    return cached[1]


def _valid(indicator: Indicator, now: datetime) -> bool:
    return (indicator.valid_from is None or indicator.valid_from <= now) and (
        indicator.valid_until is None or indicator.valid_until > now
    )


def intel_match(
    events: Iterable[Mapping[str, Any]],
    *,
    organisation: Organisation | None = None,
    matcher: Matcher | None = None,
) -> list[tuple[Indicator, Mapping[str, Any]]]:
    """(indicator, event) for every currently valid indicator whose observable appears in an event.

    Pass a `matcher` (`matcher_cached(organisation_id)` in intake) to reuse one index across batches.
    """
    matcher = matcher if matcher is not None else matcher_for(active_indicators(organisation))
    if not len(matcher):
        return []
    return [(indicator, event) for event in events for indicator in matcher.match(event)]


def intel_alerts(*, actor: Actor, organisation: Organisation, events: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """Raise (or count on) an alert of the SOC's "Threat intelligence match" rule for each event naming an indicator.

    For intake: `intel_alerts(actor=actor, organisation=organisation, events=[e.fields for e in events])`.
    """
    hits = intel_match(events, matcher=matcher_cached(organisation.pk))
    if not hits:
        return []
    rule, _ = DetectionRule.objects.get_or_create(
        organisation=organisation,
        rule_id=INTEL_RULE_ID,
        defaults={"title": "Threat intelligence match", "level": Severity.HIGH, "tags": ["intel"]},
    )
    alerts = []
    for indicator, event in hits:
        enriched = dict(event) | {"IntelIndicator": indicator.name, "IntelStixId": indicator.stix_id}
        alert = alert_raise(actor=actor, rule=rule, events=[enriched])
        if alert is not None:
            alerts.append(alert)
    return alerts
