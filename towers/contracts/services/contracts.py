"""Writes for contracts and their charges (the authority's contract managers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from towers.contracts.models import Contract, ContractCharge
from towers.core import audit, events
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.core.permissions import ensure_can
from towers.core.records import apply_changes, validate
from towers.organisations.models import Organisation, OrganisationKind, Tower

CONTRACT_FIELDS = [
    "reference",
    "title",
    "supplier",
    "tower",
    "starts_on",
    "ends_on",
    "service_period",
    "period_charge",
    "credit_regime",
    "credit_cap_percent",
    "point_value",
    "point_value_is_percent",
    "delivery_kpis",
    "eligibility_rules",
]


def _check(contract: Contract) -> None:
    if contract.ends_on <= contract.starts_on:
        raise ValidationFailed.one("ends_on", "must be after starts_on")
    if contract.supplier.kind == OrganisationKind.AUTHORITY:
        raise ValidationFailed.one("supplier", "the authority does not contract with itself")
    if contract.credit_regime == "msc" and contract.point_value is None:
        raise ValidationFailed.one("point_value", "an MSC regime needs the value of a service point")


def contract_create(
    *,
    actor: Actor,
    reference: str,
    title: str,
    supplier: Organisation,
    starts_on: date,
    ends_on: date,
    period_charge: Decimal,
    tower: Tower | None = None,
    **terms: Any,
) -> Contract:
    """Record a supplier's contract: its term, charges per period and credit regime."""
    contract = Contract(
        reference=reference,
        title=title,
        supplier=supplier,
        tower=tower,
        starts_on=starts_on,
        ends_on=ends_on,
        period_charge=period_charge,
        **terms,
    )
    ensure_can(actor, "contract.manage", contract)
    validate(contract)
    _check(contract)
    with transaction.atomic():
        contract.save()
        audit.record(actor, "contract.created", contract, after=audit.snapshot(contract, CONTRACT_FIELDS))
        events.emit("contracts.contract.created", key=str(contract.id), contract_id=str(contract.id))
    return contract


def contract_update(
    *, actor: Actor, contract: Contract, changes: dict[str, Any], expected_version: int | None = None
) -> Contract:
    ensure_can(actor, "contract.manage", contract)
    unknown = set(changes) - set(CONTRACT_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["cannot be changed here"] for name in sorted(unknown)})
    with transaction.atomic():
        before, after = apply_changes(contract, changes, expected_version=expected_version)
        if before:
            validate(contract)
            _check(contract)
            audit.record(actor, "contract.updated", contract, before=before, after=after)
            events.emit("contracts.contract.updated", key=str(contract.id), contract_id=str(contract.id))
    return contract


def contract_set_charge(*, actor: Actor, contract: Contract, period: date, amount: Decimal) -> ContractCharge:
    """Set one period's charges where they differ from the contract's usual charge."""
    ensure_can(actor, "contract.manage", contract)
    if period.day != 1:
        raise ValidationFailed.one("period", "must be the first day of a month")
    if amount < 0:
        raise ValidationFailed.one("amount", "cannot be negative")
    with transaction.atomic():
        charge, created = ContractCharge.objects.get_or_create(
            contract=contract, period=period, defaults={"amount": amount}
        )
        before = None if created else {"amount": charge.amount}
        if not created:
            charge.amount = amount
            charge.save(update_fields=["amount", "updated_at"])
        audit.record(actor, "contract.charge_set", contract, before=before, after={"period": period, "amount": amount})
    return charge


def period_charges(contract: Contract, period: date) -> Decimal:
    """The charges of `period`: its own, or the contract's usual charge."""
    override = contract.charges.filter(period=period).values_list("amount", flat=True).first()
    return override if override is not None else contract.period_charge
