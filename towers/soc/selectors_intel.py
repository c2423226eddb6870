"""Reads of the SOC's threat intelligence, restricted to what the actor may see, with their hits counted in SQL.

A hit is an alert of the SOC's "Threat intelligence match" rule whose kept events name the indicator: intel
alerts are fingerprinted by entity, not by indicator, so the indicator's STIX id in the events is the link.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from towers.core.actor import Actor
from towers.core.errors import Forbidden
from towers.core.permissions import get_visible, visible_to
from towers.organisations.models import Organisation
from towers.soc.models import Alert, Indicator
from towers.soc.services.intel import INTEL_RULE_ID

INDICATOR_TYPES = ("ip", "domain", "url", "email", "hash")
RELATED_ALERTS_SHOWN = 50


def _alerts_naming(stix_id: str | OuterRef) -> QuerySet[Alert]:
    """The SOC's intel alerts whose events name the STIX id (the JSON read as text, so any database can look)."""
    return (
        Alert.objects.filter(rule__rule_id=INTEL_RULE_ID)
        .annotate(events_text=Cast("events", TextField()))
        .filter(events_text__contains=stix_id)
    )


def _hits() -> Coalesce:
    naming = (
        _alerts_naming(OuterRef("stix_id"))
        .filter(organisation=OuterRef("organisation"))
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(naming, output_field=IntegerField()), Value(0))


def _active(now: datetime) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=now)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    )


def indicator_list(
    *,
    actor: Actor,
    type: str = "",
    source: str = "",
    active: bool | None = None,
    search: str = "",
    now: datetime | None = None,
) -> QuerySet[Indicator]:
    """The indicators the actor may see, each with `hits` (one query for a page, whatever its size)."""
    qs = visible_to(actor, Indicator.objects).annotate(hits=_hits())
    if type:
        qs = qs.filter(type=type)
    if source:
        qs = qs.filter(source=source)
    if active is not None:
        condition = _active(now or timezone.now())
        qs = qs.filter(condition) if active else qs.exclude(condition)
    if search:
        text = search.strip()
        qs = qs.filter(
            Q(name__icontains=text) | Q(value__icontains=text) | Q(pattern__icontains=text) | Q(stix_id__iexact=text)
        )
    return qs.order_by("name", "id")


def indicator_sources(*, actor: Actor) -> list[str]:
    """The distinct sources of the indicators the actor may see, for the filter."""
    rows = visible_to(actor, Indicator.objects).exclude(source="").order_by("source").values_list("source", flat=True)
    return list(rows.distinct())


def indicator_get(*, actor: Actor, id: UUID | str) -> Indicator:
    return get_visible(actor, Indicator.objects.annotate(hits=_hits()), pk=id)


def indicator_alerts(*, actor: Actor, indicator: Indicator) -> list[Alert]:
    """The most recent alerts that name the indicator (those the actor may see)."""
    qs = (
        visible_to(actor, _alerts_naming(indicator.stix_id))
        .filter(organisation=indicator.organisation_id)
        .select_related("rule", "ci", "case")
        .order_by("-last_seen", "id")
    )
    return list(qs[:RELATED_ALERTS_SHOWN])


def intel_organisation(*, actor: Actor) -> Organisation:
    """The SOC an actor imports intelligence for: the organisation they act for."""
    if actor.organisation_id is None:
        raise Forbidden("Importing intelligence needs an organisation to act for.")
    return get_visible(actor, Organisation.objects, pk=actor.organisation_id)
