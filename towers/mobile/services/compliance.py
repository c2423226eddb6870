"""Holding the fleet to its compliance rules: evaluation in bulk after each import, and the rules themselves."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.mobile import compliance as pure
from towers.mobile.models import Compliance, ComplianceRule, Device, DeviceEvent, DeviceStatus
from towers.mobile.policies import MANAGE_FLEET
from towers.mobile.services.devices import only_fields
from towers.organisations.models import Organisation
from towers.servicedesk.services.tickets import ticket_create

BATCH = 500  # under SQLite's limit on bound variables
# A lost, stolen or retired device has its own process (barring, wiping, disposal); a compliance ticket is noise.
NO_TICKET_STATUSES = {DeviceStatus.LOST, DeviceStatus.STOLEN, DeviceStatus.RETIRED}
RULE_FIELDS = ["name", "kind", "platform", "value", "raises_ticket", "ticket_team", "active"]


@dataclass(frozen=True)
class ComplianceRun:
    evaluated: int
    non_compliant: int
    newly_non_compliant: int
    tickets: int


def facts_of(device: Device) -> pure.Facts:
    return pure.Facts(
        platform=device.platform,
        os_version=device.os_version or None,
        encrypted=device.encrypted,
        passcode=device.passcode,
        jailbroken=device.jailbroken,
        last_check_in=device.last_check_in,
    )


def active_rules(organisation_ids: Iterable[UUID]) -> dict[UUID, list[pure.Rule]]:
    """Each organisation's active rules as pure rules keyed by their row, in one query."""
    found: dict[UUID, list[pure.Rule]] = defaultdict(list)
    rows = ComplianceRule.objects.filter(organisation_id__in=set(organisation_ids), active=True).select_related(
        "ticket_team"
    )
    for rule in rows.order_by("name", "id"):
        found[rule.organisation_id].append(pure.Rule(rule.kind, rule.platform, rule.value, key=rule))
    return found


def devices_evaluate(*, actor: Actor, devices: Iterable[Device], now: datetime | None = None) -> ComplianceRun:
    """Evaluate `devices` against their organisations' active rules and store the outcome in bulk.

    A change of compliance is recorded in the device's history; a device that newly breaches a rule that raises
    tickets gets one ticket on that rule's team (not again while it stays non-compliant).
    """
    devices = list(devices)
    now = now or timezone.now()
    for organisation_id, supplier_id in {(d.organisation_id, d.supplier_id) for d in devices}:
        ensure_can(actor, MANAGE_FLEET, Device(organisation_id=organisation_id, supplier_id=supplier_id))
    rules = active_rules(d.organisation_id for d in devices)
    history: list[DeviceEvent] = []
    to_ticket: list[tuple[Device, ComplianceRule, list[str]]] = []
    changed: dict[UUID, dict[str, str]] = defaultdict(dict)
    non_compliant = 0
    groups: dict[tuple[str, str, bool], list[UUID]] = defaultdict(list)
    for device in devices:
        found = pure.evaluate(facts_of(device), rules.get(device.organisation_id, []), now)
        before, state = device.compliance, Compliance.NON_COMPLIANT if found else Compliance.COMPLIANT
        reasons, old_reasons = [breach.reason for breach in found], device.compliance_reasons
        device.compliance, device.compliance_reasons, device.compliance_checked_at = state, reasons, now
        non_compliant += bool(found)
        if (state, reasons) != (before, old_reasons):
            groups[(state, json.dumps(reasons), state != before)].append(device.id)
        if state == before:
            continue
        device.version, device.updated_at = device.version + 1, now
        changed[device.organisation_id][str(device.id)] = state
        history.append(
            _event(
                device, actor, now, "compliance_changed", data={"from": before, "compliance": state, "reasons": reasons}
            )
        )
        ticketing = [b.rule.key for b in found if b.rule.key.raises_ticket and b.rule.key.ticket_team_id]
        if state == Compliance.NON_COMPLIANT and ticketing and device.status not in NO_TICKET_STATUSES:
            to_ticket.append((device, ticketing[0], reasons))
    newly = sum(1 for states in changed.values() for s in states.values() if s == Compliance.NON_COMPLIANT)
    with transaction.atomic():
        _store(devices, groups, now)
        history += [_ticket(actor, device, rule, reasons, now) for device, rule, reasons in to_ticket]
        DeviceEvent.objects.bulk_create(history, batch_size=BATCH)
        run = ComplianceRun(len(devices), non_compliant, newly, len(to_ticket))
        _audit_run(actor, devices, changed, run)
    return run


def _store(devices: list[Device], groups: dict[tuple[str, str, bool], list[UUID]], now: datetime) -> None:
    """One UPDATE per distinct outcome (a handful), not per device: Django's bulk_update builds a CASE per row."""
    ids = [d.id for d in devices]
    for start in range(0, len(ids), BATCH):
        Device.objects.filter(pk__in=ids[start : start + BATCH]).update(compliance_checked_at=now)
    for (state, reasons, changed), group in groups.items():
        bump = {"version": F("version") + 1, "updated_at": now} if changed else {}
        for start in range(0, len(group), BATCH):
            rows = Device.objects.filter(pk__in=group[start : start + BATCH])
            rows.update(compliance=state, compliance_reasons=json.loads(reasons), **bump)


def _event(device: Device, actor: Actor, at: datetime, kind: str, **fields: Any) -> DeviceEvent:
    return DeviceEvent(device=device, at=at, kind=kind, actor_label=actor.label, status=device.status, **fields)


def _ticket(actor: Actor, device: Device, rule: ComplianceRule, reasons: list[str], now: datetime) -> DeviceEvent:
    """Raise the device's compliance ticket on the rule's team, linking its CI; returns the history entry."""
    lines = [f"Mobile device {device} breaches the compliance rule {rule.name!r}.", "", *(f"- {r}" for r in reasons)]
    ticket = ticket_create(
        actor=actor,
        title=f"Non-compliant mobile device {device}"[:300],
        description="\n".join(lines),
        cis=[device.ci] if device.ci is not None else [],
        team=rule.ticket_team,
        channel="monitoring",  # the MDM watching the fleet
    )
    return _event(device, actor, now, "compliance_ticket", ticket_id=ticket.id, note=ticket.reference)


def _audit_run(actor: Actor, devices: list[Device], changed: dict[UUID, dict[str, str]], run: ComplianceRun) -> None:
    """One entry per organisation (not per device, so a fleet of tens of thousands stays one transaction's work)."""
    counts: dict[UUID, int] = defaultdict(int)
    for device in devices:
        counts[device.organisation_id] += 1
    for organisation in Organisation.objects.filter(pk__in=counts).order_by("pk"):
        after = {"evaluated": counts[organisation.pk], "changed": changed.get(organisation.pk, {})}
        audit.record(actor, "mobile.compliance.evaluated", organisation, after=after)
    if devices:
        events.emit("mobile.compliance.evaluated", evaluated=run.evaluated, newly_non_compliant=run.newly_non_compliant)


def _check_rule(kind: str, value: str, platform: str, raises_ticket: bool, team_id: object) -> None:
    problems: dict[str, list[str]] = {}
    if error := pure.rule_value_error(kind, value):
        problems["kind" if kind not in pure.KINDS else "value"] = [error]
    if kind == pure.OS_FLOOR and not platform:
        problems["platform"] = ["an OS floor is for one platform: choose it"]
    if raises_ticket and team_id is None:
        problems["ticket_team"] = ["a rule that raises tickets needs the team they go to"]
    if problems:
        raise ValidationFailed(problems)


def rule_create(*, actor: Actor, organisation: Organisation, **fields: Any) -> ComplianceRule:
    """Add a rule the organisation's fleet is held to from the next evaluation."""
    rule = ComplianceRule(organisation=organisation, **fields)
    ensure_can(actor, MANAGE_FLEET, rule)
    _check_rule(rule.kind, rule.value, rule.platform, rule.raises_ticket, rule.ticket_team_id)
    validate(rule)
    with transaction.atomic():
        rule.save(force_insert=True)
        audit.record(actor, "mobile.rule.created", rule, after=audit.snapshot(rule, RULE_FIELDS))
    return rule


def rule_update(
    *, actor: Actor, rule: ComplianceRule, changes: dict[str, Any], expected_version: int | None = None
) -> ComplianceRule:
    """Change a rule (deactivating it is `changes={"active": False}`: rules are kept, not deleted)."""
    ensure_can(actor, MANAGE_FLEET, rule)
    only_fields(changes, RULE_FIELDS)
    merged = {f: changes.get(f, getattr(rule, f)) for f in ("kind", "value", "platform", "raises_ticket")}
    team = changes.get("ticket_team", rule.ticket_team)
    _check_rule(merged["kind"], merged["value"], merged["platform"], merged["raises_ticket"], team)
    with transaction.atomic():
        before, after = apply_changes(rule, changes, expected_version=expected_version)
        if after:
            audit.record(actor, "mobile.rule.updated", rule, before=before, after=after)
    return rule
