"""Onboard a supplier from a plan: its organisation, teams, contracts, service levels and integrations.

Everything is created through the owning apps' services in one transaction; a dry run runs exactly that and
rolls it back, so it reports what would be created and everything wrong, each problem under its plan field
("teams[1].code").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_duration

from towers.contracts.models import Calendar, Contract, Service
from towers.contracts.services.catalogue import service_level_create
from towers.contracts.services.contracts import contract_create
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.integration.services.partner_admin import partner_integration_create
from towers.organisations.models import Organisation, Team, Tower
from towers.organisations.services.organisations import organisation_create, team_create

SECTIONS = ("organisation", "teams", "contracts", "service_levels", "integrations")


@dataclass
class OnboardReport:
    dry_run: bool
    created: list[dict[str, str]] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, where: str, message: str) -> None:
        self.problems.setdefault(where, []).append(message)

    def as_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "ok": self.ok, "created": self.created, "problems": self.problems}


class _RollBack(Exception):
    pass


class _Plan:
    """Reads the plan's values, noting each missing or malformed one under its field path."""

    def __init__(self, report: OnboardReport) -> None:
        self.report = report

    def text(self, item: dict[str, Any], where: str, name: str, *, required: bool = True) -> str:
        value = item.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            self.report.problem(f"{where}.{name}", "is required" if not value else "must be text")
            return ""
        return value.strip()

    def parsed(self, item: dict[str, Any], where: str, name: str, parse: Callable[[str], Any], what: str) -> Any:
        raw = item.get(name)
        try:
            value = parse(str(raw)) if raw is not None else None
        except (ValueError, InvalidOperation):
            value = None
        if value is None:
            self.report.problem(f"{where}.{name}", f"must be {what}" if raw is not None else "is required")
        return value

    def lookup(self, model: type[Any], where: str, name: str, value: Any, **lookup: Any) -> Any:
        found = model.objects.filter(**lookup).first()
        if found is None:
            self.report.problem(f"{where}.{name}", f"no {model._meta.verbose_name} {value!r}")
        return found


def _items(plan: _Plan, section: str, items: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """(field path, item) for each item of a section; an item that is not an object is a problem."""
    found = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            found.append((f"{section}[{i}]", item))
        else:
            plan.report.problem(f"{section}[{i}]", "must be an object")
    return found


def _teams(actor: Actor, plan: _Plan, org: Organisation, items: list[Any]) -> None:
    for where, item in _items(plan, "teams", items):
        code, name = plan.text(item, where, "code"), plan.text(item, where, "name")
        email, description = item.get("email") or "", item.get("description") or ""
        _create(
            plan,
            where,
            "team",
            team_create,
            actor=actor,
            organisation=org,
            code=code,
            name=name,
            email=email,
            description=description,
        )


CONTRACT_TERMS = ("credit_regime", "credit_cap_percent", "point_value", "point_value_is_percent", "delivery_kpis")


def _contracts(actor: Actor, plan: _Plan, org: Organisation, tower: Tower | None, items: list[Any]) -> None:
    for where, item in _items(plan, "contracts", items):
        starts = plan.parsed(item, where, "starts_on", date.fromisoformat, "a date (YYYY-MM-DD)")
        ends = plan.parsed(item, where, "ends_on", date.fromisoformat, "a date (YYYY-MM-DD)")
        charge = plan.parsed(item, where, "period_charge", Decimal, "a number")
        reference, title = plan.text(item, where, "reference"), plan.text(item, where, "title")
        if None in (starts, ends, charge):
            continue
        terms = {k: item[k] for k in CONTRACT_TERMS if k in item}
        _create(
            plan,
            where,
            "contract",
            contract_create,
            actor=actor,
            reference=reference,
            title=title,
            supplier=org,
            starts_on=starts,
            ends_on=ends,
            period_charge=charge,
            tower=tower,
            **terms,
        )


def _level_terms(plan: _Plan, where: str, item: dict[str, Any]) -> dict[str, Any] | None:
    """The optional terms of a service level, resolved; None when one of them is wrong (already reported)."""
    terms: dict[str, Any] = {
        k: item[k] for k in ("priority", "pause_states", "higher_is_better", "point_bands") if k in item
    }
    if "target" in item:
        terms["target"] = plan.parsed(item, where, "target", parse_duration, "a duration such as 8:00:00 or P1D")
    if item.get("calendar"):
        terms["calendar"] = plan.lookup(Calendar, where, "calendar", item["calendar"], code=item["calendar"])
    if item.get("threshold") is not None:
        terms["threshold"] = plan.parsed(item, where, "threshold", Decimal, "a percentage")
    if item.get("contract"):
        terms["contract"] = plan.lookup(Contract, where, "contract", item["contract"], reference=item["contract"])
    return None if None in terms.values() else terms


def _service_levels(actor: Actor, plan: _Plan, org: Organisation, items: list[Any]) -> None:
    for where, item in _items(plan, "service_levels", items):
        service_code, customer_code = plan.text(item, where, "service"), plan.text(item, where, "customer")
        service = plan.lookup(Service, where, "service", service_code, code=service_code) if service_code else None
        customer = (
            plan.lookup(Organisation, where, "customer", customer_code, code=customer_code) if customer_code else None
        )
        measure = plan.parsed(item, where, "performance_measure", Decimal, "a percentage")
        terms = _level_terms(plan, where, item)
        code, name = plan.text(item, where, "code"), plan.text(item, where, "name")
        kind, metric = plan.text(item, where, "kind"), plan.text(item, where, "metric")
        if service is None or customer is None or measure is None or terms is None:
            continue
        _create(
            plan,
            where,
            "service level",
            service_level_create,
            actor=actor,
            code=code,
            name=name,
            kind=kind,
            service=service,
            provider=org,
            customer=customer,
            metric=metric,
            performance_measure=measure,
            **terms,
        )


def _integrations(actor: Actor, plan: _Plan, org: Organisation, items: list[Any]) -> None:
    for where, item in _items(plan, "integrations", items):
        codes = item.get("teams") or []
        teams = list(Team.objects.filter(organisation=org, code__in=codes))
        if missing := sorted(set(codes) - {t.code for t in teams}):
            plan.report.problem(f"{where}.teams", f"not teams of the new organisation: {', '.join(missing)}")
            continue
        name, base_url = plan.text(item, where, "name"), plan.text(item, where, "base_url")
        _create(
            plan,
            where,
            "partner integration",
            partner_integration_create,
            actor=actor,
            organisation=org,
            name=name,
            base_url=base_url,
            auth_token=item.get("auth_token") or "",
            teams=teams,
        )


def _create(plan: _Plan, where: str, label: str, create: Callable[..., Any], /, **arguments: Any) -> Any:
    """Create one item in a savepoint; what its service refuses is reported under the item's fields."""
    if any(k.startswith(f"{where}.") for k in plan.report.problems):
        return None  # a field of this item is malformed: already reported
    try:
        with transaction.atomic():
            obj = create(**arguments)
    except ValidationFailed as exc:
        for name, messages in exc.fields.items():
            for message in messages:
                plan.report.problem(f"{where}.{name}", message)
        return None
    plan.report.created.append({"kind": label, "where": where, "id": str(obj.pk), "name": str(obj)})
    return obj


def _check_shape(plan: dict[str, Any], report: OnboardReport) -> bool:
    if not isinstance(plan, dict):
        report.problem("plan", "must be an object with organisation, teams, contracts, service_levels, integrations")
        return False
    for name in set(plan) - set(SECTIONS):
        report.problem(name, f"is not part of a plan (expected {', '.join(SECTIONS)})")
    if not isinstance(plan.get("organisation"), dict):
        report.problem("organisation", "is required: {code, name, kind, tower}")
    for name in SECTIONS[1:]:
        if not isinstance(plan.get(name, []), list):
            report.problem(name, "must be a list")
    return report.ok


def supplier_onboard(*, actor: Actor, plan: dict[str, Any], dry_run: bool) -> OnboardReport:
    """Create a new supplier and everything it brings, or (dry run) report what would be created and what is wrong.

    Applying a plan with any problem creates nothing and raises ValidationFailed naming every field.
    """
    report = OnboardReport(dry_run=dry_run)
    if not _check_shape(plan, report):
        if dry_run:
            return report
        raise ValidationFailed(report.problems, "The plan is not valid; nothing was created.")
    reader = _Plan(report)
    data = plan["organisation"]
    tower = None
    if data.get("tower"):
        tower = reader.lookup(Tower, "organisation", "tower", data["tower"], code=data["tower"])
    try:
        with transaction.atomic():
            code, name = reader.text(data, "organisation", "code"), reader.text(data, "organisation", "name")
            org = _create(
                reader,
                "organisation",
                "organisation",
                organisation_create,
                actor=actor,
                code=code,
                name=name,
                kind=data.get("kind") or "supplier",
                tower=tower,
                email=data.get("email") or "",
            )
            if org is not None:
                _teams(actor, reader, org, plan.get("teams", []))
                _contracts(actor, reader, org, tower, plan.get("contracts", []))
                _service_levels(actor, reader, org, plan.get("service_levels", []))
                _integrations(actor, reader, org, plan.get("integrations", []))
            if dry_run or not report.ok:
                raise _RollBack
    except _RollBack:
        pass
    if not dry_run and not report.ok:
        raise ValidationFailed(report.problems, "The plan is not valid; nothing was created.")
    return report
