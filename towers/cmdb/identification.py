"""Identification keys: turning a CI's attributes (and, for dependent rules, a related CI) into lookup keys.

Keys are unique within a class family (the class's root below "ci"), so a server and a virtual machine
with one FQDN are the same thing reported twice, while an application and a database may share a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from towers.cmdb.classes import CLASSES, IdentifierRule, identification_of, lineage


def family(ci_class: str) -> str:
    """The ancestor just below the root "ci" (itself for top-level classes)."""
    chain = lineage(ci_class)
    return chain[-2].name if len(chain) > 1 else chain[0].name


def rule_key(rule: IdentifierRule) -> str:
    return "+".join(rule.keys) + (f"@{rule.depends_on}" if rule.depends_on else "")


def identifier_values(
    ci_class: str, name: str, attributes: Mapping[str, object], related: Mapping[str, UUID] | None = None
) -> list[tuple[str, str]]:
    """(key, value) for each identification rule of the class that the given values satisfy, in rule order.

    `related` maps a relationship type to the id of the CI it points at, for dependent rules.
    """
    values = {**attributes, "name": name}
    keys = []
    for rule in identification_of(ci_class):
        parts = [values.get(k) for k in rule.keys]
        if any(p is None or p == "" for p in parts):
            continue
        value = "|".join(str(p).strip().lower() for p in parts)
        if rule.depends_on:
            anchor = (related or {}).get(rule.depends_on)
            if anchor is None:
                continue
            value = f"{value}@{anchor}"
        keys.append((rule_key(rule), value))
    return keys


assert all(identification_of(name) for name in CLASSES), "every class needs an identification rule"
