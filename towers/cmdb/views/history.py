"""A CI's history (an HTMX fragment paged like every other record's) and the CI as it was on a date.

Both come from the audit log, which records whole attribute sets: what the actor may not see (commercial
attributes, CIs beyond their reach named in a relationship) is taken out before either is shown.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from towers.cmdb import selectors
from towers.cmdb.classes import CLASSES, attributes_of
from towers.cmdb.forms import AsOfForm, attribute_label
from towers.cmdb.models import ConfigurationItem, Criticality, Environment, Lifecycle, RelationshipType
from towers.contracts import selectors as contracts
from towers.core.actor import Actor
from towers.core.models import AuditEntry
from towers.organisations import selectors as directory
from towers.organisations.views.common import request_actor, ui_view
from towers.organisations.views.history import HISTORY_PAGE, decorate

UNSEEN_CI = selectors.UNSEEN_CI
RELATIONSHIP_ACTIONS = {"ci.related": "after", "ci.unrelated": "before"}


def readable(entry: AuditEntry, hidden: set[str], visible_cis: set[str]) -> AuditEntry:
    """The entry with attributes as one row each (only those that changed), masked ones and unseen CIs left out.

    Changes only the entry in memory, for display; nothing is saved.
    """
    before, after = dict(entry.before or {}), dict(entry.after or {})
    old, new = before.pop("attributes", None) or {}, after.pop("attributes", None) or {}
    for name in sorted(set(old) | set(new)):
        if name not in hidden and old.get(name) != new.get(name):
            if name in old:
                before[f"attributes.{name}"] = old[name]
            if name in new:
                after[f"attributes.{name}"] = new[name]
    for side in (before, after):
        if side.get("source") is None:
            side.pop("source", None)  # no source means typed in by the actor the entry names
        if "target" in side and str(side["target"]) not in visible_cis:
            side["target"], side["target_name"] = "", UNSEEN_CI
    entry.before, entry.after = before or None, after or None
    return entry


@ui_view
def ci_history(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    # Fetched through its selector first: a CI the actor may not see has no visible history (404).
    ci = selectors.ci_get(actor=actor, id=pk)
    entries = selectors.ci_history(ci=ci)
    before = request.GET.get("before", "")
    if before.isdigit():
        # Keyset paging on seq: stable while new entries arrive, and cheap however long the history is.
        entries = entries.filter(seq__lt=int(before))
    chunk = list(entries[: HISTORY_PAGE + 1])
    shown = chunk[:HISTORY_PAGE]
    targets = [
        str((getattr(e, side) or {}).get("target", "")) for e in shown if (side := RELATIONSHIP_ACTIONS.get(e.action))
    ]
    visible, hidden = selectors.visible_ci_ids(actor, targets), selectors.hidden_attributes(actor, ci)
    shown = selectors.ci_history_masked(actor=actor, ci=ci, entries=shown)
    shown = decorate(readable(entry, hidden, visible) for entry in shown)
    more_url = f"{reverse('ci_history', args=[pk])}?before={shown[-1].seq}" if len(chunk) > HISTORY_PAGE else ""
    return render(
        request, "organisations/_history.html", {"entries": shown, "more_url": more_url, "first_page": not before}
    )


STATE_FIELDS = [
    ("ci_class", "Class"),
    ("name", "Name"),
    ("owner", "Owner"),
    ("support_team", "Support team"),
    ("criticality", "Criticality"),
    ("environment", "Environment"),
    ("lifecycle", "Lifecycle"),
    ("service", "Catalogue service"),
]
CHOICE_LABELS: dict[str, dict[Any, str]] = {
    "ci_class": {name: cls.label for name, cls in CLASSES.items()},
    "criticality": dict(Criticality.choices),
    "environment": dict(Environment.choices),
    "lifecycle": dict(Lifecycle.choices),
}


def _record_names(actor: Actor, state: dict[str, Any], ci: ConfigurationItem) -> dict[str, dict[str, str]]:
    """Names of the organisations, teams and services the CI pointed at then and now, among those the actor sees."""

    def ids(field: str) -> list[str]:
        return [str(value) for value in (state.get(field), getattr(ci, f"{field}_id")) if value]

    found = {
        "owner": directory.organisation_list(actor=actor).filter(pk__in=ids("owner")),
        "support_team": directory.team_list(actor=actor).filter(pk__in=ids("support_team")),
        "service": contracts.service_list(actor=actor).prefetch_related(None).filter(pk__in=ids("service")),
    }
    return {field: {str(record.pk): str(record) for record in records} for field, records in found.items()}


def state_rows(actor: Actor, state: dict[str, Any], ci: ConfigurationItem) -> list[tuple[str, str, str]]:
    """(field, then, now) for the CI's own fields, as people read them."""
    names = _record_names(actor, state, ci)

    def shown(field: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if field in names:
            return names[field].get(str(value), "one you may not see")
        return CHOICE_LABELS.get(field, {}).get(value, str(value))

    return [
        (title, shown(field, state.get(field)), shown(field, getattr(ci, f"{field}_id" if field in names else field)))
        for field, title in STATE_FIELDS
    ]


@ui_view
def ci_as_of(request: HttpRequest, pk: UUID) -> HttpResponse:
    actor = request_actor(request)
    ci = selectors.ci_get(actor=actor, id=pk)
    form = AsOfForm(request.GET or None)
    context: dict[str, Any] = {"ci": ci, "form": form, "state": None}
    if form.is_valid():
        day = form.cleaned_data["date"]
        # The end of that day in UK time: "as it was on 3 March" includes what changed on 3 March.
        when = timezone.make_aware(datetime.combine(day, time.max))
        state = selectors.ci_as_of(actor=actor, ci=ci, when=when)
        context |= {"day": day, "state": state}
        if state is not None:
            specs = attributes_of(ci.ci_class)
            visible = {r["target"] for r in state["relationships"] if r["target"]}  # unseen ones come blanked
            context |= {
                "rows": state_rows(actor, state, ci),
                "attributes": [
                    (attribute_label(name, specs.get(name)), value)
                    for name, value in state.get("attributes", {}).items()
                ],
                # (label, target id to link to, target name): a CI the actor may not see is neither.
                "relationships": [
                    (RelationshipType(r["type"]).label, r["target"], r["target_name"])
                    if r["target"] in visible
                    else (RelationshipType(r["type"]).label, "", UNSEEN_CI)
                    for r in state["relationships"]
                ],
            }
    return render(request, "cmdb/ci_as_of.html", context)
