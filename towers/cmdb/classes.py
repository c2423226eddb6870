"""The CI class hierarchy: each class's own attributes and how a CI of it is identified. Pure data.

Classes form a tree (a database is an application-tier component, a virtual machine a kind of
server...). A class inherits its parent's attributes and identification rules unless it names its
own. Identification follows ServiceNow's idea: ordered keys tried in turn (serial, asset tag, FQDN,
cloud id), and dependent identification where a CI is only unique next to another (an application
instance on the server it runs on).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AttrType = Literal["str", "int", "float", "bool", "date"]


@dataclass(frozen=True)
class AttrSpec:
    type: AttrType = "str"
    label: str = ""
    choices: tuple[str, ...] = ()
    # Commercial attributes (costs, licence terms) follow the commercial visibility rules.
    commercial: bool = False


@dataclass(frozen=True)
class IdentifierRule:
    """One way to recognise a CI: these attribute values together, optionally next to a related CI."""

    keys: tuple[str, ...]
    # Dependent identification: the CI is unique only together with the CI it has this relationship to.
    depends_on: str | None = None


@dataclass(frozen=True)
class CIClass:
    name: str
    label: str
    parent: str | None
    attributes: dict[str, AttrSpec] = field(default_factory=dict)
    identification: tuple[IdentifierRule, ...] = ()
    layer: Literal["service", "application", "infrastructure", "facility", "device"] = "infrastructure"


TEXT, NUMBER, DECIMAL = AttrSpec("str"), AttrSpec("int"), AttrSpec("float")
COST = AttrSpec("float", "Annual cost (£)", commercial=True)

CLASSES: dict[str, CIClass] = {
    c.name: c
    for c in [
        CIClass(
            "ci",
            "Configuration item",
            None,
            {"description": TEXT, "asset_tag": TEXT},
            (IdentifierRule(("asset_tag",)),),
        ),
        # The service layer
        CIClass(
            "business_service",
            "Business service",
            "ci",
            {"users": AttrSpec("int", "People served"), "service_owner": TEXT, "annual_cost": COST},
            (IdentifierRule(("name",)),),
            "service",
        ),
        CIClass(
            "service_offering",
            "Service offering",
            "business_service",
            {"hours": TEXT},
            (IdentifierRule(("name",)),),
            "service",
        ),
        CIClass(
            "application",
            "Application",
            "ci",
            {"vendor": TEXT, "version": TEXT, "licence_cost": AttrSpec("float", "Licence cost (£)", commercial=True)},
            (IdentifierRule(("name",)),),
            "application",
        ),
        CIClass(
            "application_service",
            "Application service (instance)",
            "application",
            {"url": TEXT, "port": NUMBER},
            (IdentifierRule(("url",)), IdentifierRule(("name",), depends_on="runs_on")),
            "application",
        ),
        CIClass(
            "database",
            "Database",
            "application_service",
            {"engine": TEXT, "size_gb": DECIMAL},
            (IdentifierRule(("name",), depends_on="runs_on"),),
            "application",
        ),
        CIClass(
            "cloud_tenant",
            "Cloud / SaaS tenant",
            "ci",
            {"provider": TEXT, "tenant_id": TEXT, "annual_cost": COST},
            (IdentifierRule(("tenant_id",)), IdentifierRule(("name",))),
            "application",
        ),
        # Infrastructure
        CIClass(
            "server",
            "Server",
            "ci",
            {"serial": TEXT, "fqdn": TEXT, "os": TEXT, "cpu_cores": NUMBER, "ram_gb": DECIMAL},
            (IdentifierRule(("serial",)), IdentifierRule(("asset_tag",)), IdentifierRule(("fqdn",))),
        ),
        CIClass(
            "virtual_machine",
            "Virtual machine",
            "server",
            {"cloud_id": TEXT, "hypervisor": TEXT},
            (IdentifierRule(("cloud_id",)), IdentifierRule(("fqdn",))),
        ),
        CIClass("cluster", "Cluster", "ci", {"technology": TEXT}, (IdentifierRule(("name",)),)),
        CIClass(
            "storage",
            "Storage",
            "ci",
            {"serial": TEXT, "capacity_tb": DECIMAL},
            (IdentifierRule(("serial",)), IdentifierRule(("name",))),
        ),
        CIClass(
            "network_device",
            "Network device",
            "ci",
            {"serial": TEXT, "ip_address": TEXT, "model": TEXT},
            (IdentifierRule(("serial",)), IdentifierRule(("ip_address",))),
        ),
        CIClass(
            "network_link",
            "Network link",
            "ci",
            {"circuit_id": TEXT, "bandwidth_mbps": NUMBER},
            (IdentifierRule(("circuit_id",)),),
        ),
        # Facilities
        CIClass(
            "data_centre",
            "Data centre",
            "ci",
            {"address": TEXT, "tier": NUMBER},
            (IdentifierRule(("name",)),),
            "facility",
        ),
        CIClass(
            "rack",
            "Rack",
            "ci",
            {"row": TEXT, "units": NUMBER},
            (IdentifierRule(("name",), depends_on="hosted_in"),),
            "facility",
        ),
        CIClass(
            "location",
            "Location",
            "ci",
            {"address": TEXT, "postcode": TEXT, "staff": AttrSpec("int", "People based")},
            (IdentifierRule(("name",)),),
            "facility",
        ),
        # Devices
        CIClass(
            "end_user_device",
            "End-user device",
            "ci",
            {"serial": TEXT, "model": TEXT, "assigned_to": TEXT},
            (IdentifierRule(("serial",)), IdentifierRule(("asset_tag",))),
            "device",
        ),
        CIClass(
            "mobile_device",
            "Mobile device",
            "end_user_device",
            {"imei": TEXT, "msisdn": TEXT},
            (IdentifierRule(("imei",)), IdentifierRule(("serial",))),
            "device",
        ),
    ]
}


def lineage(name: str) -> list[CIClass]:
    """The class and its ancestors, nearest first."""
    chain, current = [], CLASSES.get(name)
    if current is None:
        raise ValueError(f"unknown CI class {name!r}; classes are: {', '.join(sorted(CLASSES))}")
    while current is not None:
        chain.append(current)
        current = CLASSES.get(current.parent) if current.parent else None
    return chain


def attributes_of(name: str) -> dict[str, AttrSpec]:
    """Every attribute a CI of this class may carry, inherited ones included."""
    merged: dict[str, AttrSpec] = {}
    for cls in reversed(lineage(name)):
        merged.update(cls.attributes)
    return merged


def identification_of(name: str) -> tuple[IdentifierRule, ...]:
    """The nearest class's identification rules, tried in order."""
    return next(cls.identification for cls in lineage(name) if cls.identification)


def descendants(name: str) -> set[str]:
    """The class and every class below it (for "list all servers", virtual machines included)."""
    found = {name}
    changed = True
    while changed:
        changed = False
        for cls in CLASSES.values():
            if cls.parent in found and cls.name not in found:
                found.add(cls.name)
                changed = True
    return found


def coerce(name: str, attribute: str, value: object) -> object:
    """`value` as the attribute's type, or ValueError naming the attribute."""
    spec = attributes_of(name).get(attribute)
    if spec is None:
        raise ValueError(f"{attribute}: not an attribute of {CLASSES[name].label}")
    if value is None or value == "":
        return None
    try:
        if spec.type == "int":
            return int(str(value))
        if spec.type == "float":
            return float(str(value))
        if spec.type == "bool":
            return str(value).strip().lower() in {"1", "true", "yes", "y"}
    except ValueError:
        raise ValueError(f"{attribute}: {value!r} is not a {spec.type}") from None
    text = str(value).strip()
    if spec.choices and text not in spec.choices:
        raise ValueError(f"{attribute}: {text!r} is not one of {', '.join(spec.choices)}")
    return text
