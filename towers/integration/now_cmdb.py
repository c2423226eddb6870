"""Configuration items as ServiceNow's cmdb_ci table and its class tables (cmdb_ci_server, cmdb_ci_appl, …).

Each Towers CI class is served as the ServiceNow class that means the same; a class table lists its class and the
classes below it in Towers' tree (as ServiceNow's extended tables do, and as /api/v1's class filter does), and
`sys_class_name` tells each record's own class. A class table's columns are the common ones plus its class's
attributes under ServiceNow's names where it has one. Commercial attributes (costs) are left out: the Table API
serves operational data. Writes go through the CMDB's services; DELETE retires the CI (history is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.db.models import QuerySet

from towers.cmdb.classes import AttrSpec, attributes_of, descendants
from towers.cmdb.models import ConfigurationItem, Lifecycle
from towers.cmdb.selectors import ci_list
from towers.cmdb.services.items import ci_create, ci_update
from towers.core.actor import Actor
from towers.core.errors import ValidationFailed
from towers.integration.now_body import body_fields, level, reference, text
from towers.integration.now_columns import Column, boolean, now_time, sys_id, whole
from towers.integration.now_records import Pair, Shape, flag_pair, shape_record, time_pair
from towers.organisations.selectors import organisation_get, team_get

# Towers' CI classes and the ServiceNow class tables that stand for them.
NOW_CLASSES = {
    "ci": "cmdb_ci",
    "business_service": "cmdb_ci_service",
    "service_offering": "service_offering",
    "application": "cmdb_ci_appl",
    "application_service": "cmdb_ci_app_server",
    "database": "cmdb_ci_database",
    "cloud_tenant": "cmdb_ci_cloud_service_account",
    "server": "cmdb_ci_server",
    "virtual_machine": "cmdb_ci_vm_instance",
    "cluster": "cmdb_ci_cluster",
    "storage": "cmdb_ci_storage_device",
    "network_device": "cmdb_ci_netgear",
    "network_link": "cmdb_ci_circuit",
    "data_centre": "cmdb_ci_datacenter",
    "rack": "cmdb_ci_rack",
    "location": "cmdb_ci_site",
    "end_user_device": "cmdb_ci_computer",
    "mobile_device": "cmdb_ci_handheld_computing",
}
TOWERS_CLASSES = {now: towers for towers, now in NOW_CLASSES.items()}
ATTRIBUTE_NAMES = {"description": "short_description", "serial": "serial_number", "cpu_cores": "cpu_count",
                   "model": "model_number"}  # fmt: skip
# install_status: 1 installed, 2 on order, 3 in maintenance, 4 pending install, 7 retired.
INSTALL_STATUS = {"1": Lifecycle.LIVE, "2": Lifecycle.PLANNED, "3": Lifecycle.MAINTENANCE, "4": Lifecycle.BUILD,
                  "7": Lifecycle.RETIRED}  # fmt: skip
NOW_INSTALL = {lifecycle: code for code, lifecycle in INSTALL_STATUS.items()}
INSTALL_LABELS = {"1": "Installed", "2": "On Order", "3": "In Maintenance", "4": "Pending Install", "7": "Retired"}
CRITICALITY = {1: "1 - most critical", 2: "2 - somewhat critical", 3: "3 - less critical", 4: "4 - not critical"}
READERS: dict[str, Callable[[str], object]] = {"int": whole, "float": float, "bool": boolean}
BASE_COLUMNS: dict[str, Column] = {
    "sys_id": Column("id", sys_id),
    "name": Column("name", text=True),
    "sys_class_name": Column("ci_class", choices={now: (towers,) for now, towers in TOWERS_CLASSES.items()}),
    "company": Column("owner_id", sys_id),
    "company.name": Column("owner__name", text=True),
    "support_group": Column("support_team_id", sys_id),
    "support_group.name": Column("support_team__name", text=True),
    "install_status": Column("lifecycle", choices={code: (value,) for code, value in INSTALL_STATUS.items()}),
    "operational_status": Column(
        "lifecycle", choices={"1": (Lifecycle.LIVE,), "2": tuple(v for v in Lifecycle if v != Lifecycle.LIVE)}
    ),
    "environment": Column("environment", text=True),
    "busines_criticality": Column("criticality", lambda v: whole(v.split(" ", 1)[0])),
    "sys_created_on": Column("created_at", now_time),
    "sys_updated_on": Column("updated_at", now_time),
}
BASE_FIELDS = ("sys_id", "name", "sys_class_name", "company", "support_group", "install_status", "operational_status",
               "environment", "busines_criticality", "sys_created_on", "sys_updated_on")  # fmt: skip
UPDATABLE = ("name", "support_group", "install_status", "environment", "busines_criticality")


@cache  # a class's attributes are fixed data, read for every row of a page
def _attributes(ci_class: str) -> dict[str, tuple[str, AttrSpec]]:
    """The class's operational attributes by their ServiceNow names: {now name: (Towers name, spec)}."""
    specs = attributes_of(ci_class)
    return {ATTRIBUTE_NAMES.get(name, name): (name, spec) for name, spec in specs.items() if not spec.commercial}


def ci_columns(ci_class: str) -> dict[str, Column]:
    attributes = {
        now: Column(f"attributes__{name}", READERS.get(spec.type, str), text=spec.type == "str")
        for now, (name, spec) in _attributes(ci_class).items()
    }
    return {**BASE_COLUMNS, **attributes}


def ci_fields(ci_class: str) -> tuple[str, ...]:
    return BASE_FIELDS + tuple(_attributes(ci_class))


def ci_rows(actor: Actor, ci_class: str) -> QuerySet[ConfigurationItem]:
    return ci_list(actor=actor, ci_class=ci_class)


def _attribute_pair(value: Any, spec: AttrSpec) -> Pair:
    if value is None:
        return "", ""
    return flag_pair(bool(value)) if spec.type == "bool" else (str(value), str(value))


def ci_record(ci: ConfigurationItem, ci_class: str, shape: Shape) -> dict[str, Any]:
    install = NOW_INSTALL.get(Lifecycle(ci.lifecycle), "1")
    live = ci.lifecycle == Lifecycle.LIVE
    plain: dict[str, Pair] = {
        "sys_id": (ci.pk.hex, ci.pk.hex),
        "name": (ci.name, ci.name),
        "sys_class_name": (NOW_CLASSES[ci.ci_class], ci.get_ci_class_display()),
        "install_status": (install, INSTALL_LABELS[install]),
        "operational_status": ("1", "Operational") if live else ("2", "Non-Operational"),
        "environment": (ci.environment, ci.get_environment_display()),
        "busines_criticality": (CRITICALITY[ci.criticality], CRITICALITY[ci.criticality]),
        "sys_created_on": time_pair(ci.created_at),
        "sys_updated_on": time_pair(ci.updated_at),
    }
    for now, (name, spec) in _attributes(ci_class).items():
        plain[now] = _attribute_pair(ci.attributes.get(name), spec)
    refs = {"company": ("core_company", ci.owner), "support_group": ("sys_user_group", ci.support_team)}
    return shape_record(plain, refs, ci_fields(ci_class), shape)


def _common(actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    """The model fields a body sets (not the class's attributes)."""
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = text("name", fields["name"], required=True)
    if "support_group" in fields:
        out["support_team"] = reference(
            "support_group", fields["support_group"], lambda pk: team_get(actor=actor, id=pk)
        )
    if "install_status" in fields:
        code = text("install_status", fields["install_status"])
        if code not in INSTALL_STATUS:
            raise ValidationFailed.one("install_status", f"must be one of {', '.join(INSTALL_STATUS)}")
        out["lifecycle"] = INSTALL_STATUS[code]
    if "environment" in fields:
        out["environment"] = text("environment", fields["environment"])
    if "busines_criticality" in fields:
        out["criticality"] = level("busines_criticality", fields["busines_criticality"], most=4)
    return out


def _attribute_values(ci_class: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The class's attributes a body sets, by Towers' names; an empty value removes one."""
    names = _attributes(ci_class)
    return {names[now][0]: None if value in ("", None) else value for now, value in fields.items() if now in names}


def ci_insert(*, actor: Actor, body: Any, ci_class: str) -> ConfigurationItem:
    """Record a CI of the table's class (or, named by sys_class_name, a class below it)."""
    writable = (*UPDATABLE, "company", "sys_class_name", *_attributes(ci_class))
    fields = body_fields(body, writable, ci_fields(ci_class))
    chosen = TOWERS_CLASSES.get(text("sys_class_name", fields.get("sys_class_name")) or NOW_CLASSES[ci_class])
    if chosen is None or chosen not in descendants(ci_class):
        raise ValidationFailed.one("sys_class_name", f"must be {NOW_CLASSES[ci_class]} or a class extending it")
    owner = fields.get("company") or actor.organisation_id
    common = _common(actor, fields)
    common.pop("name", None)
    return ci_create(
        actor=actor,
        ci_class=chosen,
        name=text("name", fields.get("name"), required=True),
        attributes={k: v for k, v in _attribute_values(ci_class, fields).items() if v is not None},
        owner=reference("company", owner, lambda pk: organisation_get(actor=actor, id=pk)),
        **common,
    )


def ci_change(*, actor: Actor, ci: ConfigurationItem, body: Any, ci_class: str) -> ConfigurationItem:
    fields = body_fields(body, (*UPDATABLE, *_attributes(ci_class)), ci_fields(ci_class))
    attributes = _attribute_values(ci_class, fields)
    return ci_update(actor=actor, ci=ci, changes=_common(actor, fields), attributes=attributes or None)


def ci_retire(*, actor: Actor, ci: ConfigurationItem) -> None:
    """DELETE on a CI: retired, with its history and relationships kept."""
    ci_update(actor=actor, ci=ci, changes={"lifecycle": Lifecycle.RETIRED})
