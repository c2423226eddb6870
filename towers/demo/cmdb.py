"""The demo CMDB: two data centres, their racks, hosts, clusters and virtual machines, the force's applications and
databases, the business services they support, the network out to police stations, and the tools that report them.

Written through the CMDB services, so every CI has its history; the large estate for benchmarks is bulk-loaded
separately (towers.cmdb.largeestate).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from towers.cmdb.models import ConfigurationItem
from towers.cmdb.services.items import ci_create, relationship_create
from towers.cmdb.services.sources import attribute_rule_set, source_create
from towers.contracts.models import Service, ServiceOffering
from towers.core.actor import Actor
from towers.organisations.models import Organisation, Team

BUSINESS_SERVICES = [
    # name, users, applications (name, vendor, database), catalogue offering code
    ("Custody", 4000, [("Custody suite", "Northgate", "CUSTODYDB")], "crime"),
    ("Crime recording", 9000, [("Crime records", "Niche", "CRIMEDB"), ("Case files", "Niche", "CASEDB")], "crime"),
    ("Command and control", 1200, [("Command and control", "Capita", "STORMDB")], "crime"),
    ("Intelligence", 2500, [("Intelligence hub", "Niche", "INTELDB")], "crime"),
    ("HR and payroll", 11000, [("ERP", "Oracle", "ERPDB")], "erp"),
]
STATIONS = [
    "Northgate",
    "Riverside",
    "Castle Hill",
    "Westfield",
    "Harbour",
    "Eastbrook",
    "Millbank",
    "Kingsway",
    "Parkside",
    "Southmoor",
    "Highcross",
    "Abbey Road",
]


class _Builder:
    """Creates CIs and relationships through the services, remembering them by name."""

    def __init__(self, actor: Actor, organisations: dict[str, Organisation], teams: dict[str, Team]) -> None:
        self.actor, self.organisations, self.teams = actor, organisations, teams
        self.cis: dict[str, ConfigurationItem] = {}

    def ci(self, ci_class: str, name: str, owner: str, team: str | None = None, **fields: Any) -> ConfigurationItem:
        attributes = fields.pop("attributes", {})
        self.cis[name] = ci_create(
            actor=self.actor,
            ci_class=ci_class,
            name=name,
            owner=self.organisations[owner],
            support_team=self.teams.get(team or ""),
            attributes=attributes,
            source="demo",
            **fields,
        )
        return self.cis[name]

    def link(self, source: str, type: str, target: str) -> None:
        relationship_create(
            actor=self.actor, source=self.cis[source], target=self.cis[target], type=type, origin="demo"
        )


def seed_cmdb(actor: Actor, organisations: dict[str, Organisation], teams: dict[str, Team]) -> int:
    """Build the small estate; return how many CIs it holds."""
    b = _Builder(actor, organisations, teams)
    _facilities(b)
    _platforms(b)
    _applications(b)
    _network(b)
    _sources(b.actor, organisations)
    return len(b.cis)


def _facilities(b: _Builder) -> None:
    for dc, tier in (("DC North", 3), ("DC South", 3)):
        b.ci("data_centre", dc, "hostwell", "hw-facilities", criticality=1, attributes={"tier": tier})
        for rack in range(1, 4):
            name = f"{dc} rack {rack}"
            b.ci("rack", name, "hostwell", "hw-facilities", attributes={"units": 42, "row": "A"})
            b.link(dc, "contains", name)
        b.ci(
            "storage",
            f"{dc} SAN",
            "meridian",
            "mer-hosting",
            criticality=1,
            attributes={"serial": f"SAN-{dc[-5:].strip().upper()}-01", "capacity_tb": 400},
        )
        b.link(f"{dc} SAN", "hosted_in", f"{dc} rack 3")


def _platforms(b: _Builder) -> None:
    for dc in ("DC North", "DC South"):
        cluster = f"{dc} VMware cluster"
        b.ci("cluster", cluster, "meridian", "mer-hosting", criticality=1, attributes={"technology": "vSphere 8"})
        b.link(cluster, "depends_on", f"{dc} SAN")
        for n in range(1, 5):
            host = f"esx-{dc[3].lower()}{n:02d}"
            b.ci(
                "server",
                host,
                "meridian",
                "mer-hosting",
                criticality=2,
                attributes={
                    "serial": f"CZ{dc[3]}{n:04d}",
                    "fqdn": f"{host}.infra.force.local",
                    "cpu_cores": 64,
                    "ram_gb": 1024,
                },
            )
            b.link(host, "hosted_in", f"{dc} rack {1 + n % 2}")
            b.link(cluster, "depends_on", host)


def _applications(b: _Builder) -> None:
    vm = 0
    for service, users, apps, offering_code in BUSINESS_SERVICES:
        offering = ServiceOffering.objects.filter(code=offering_code).first()
        b.ci(
            "business_service",
            service,
            "northshire-police",
            "np-ict",
            criticality=1,
            service=Service.objects.filter(code="application-support").first(),
            attributes={"users": users, "service_owner": "Head of " + service},
        )
        offering_ci = f"{offering.name if offering else offering_code} (offering)"
        if offering_ci not in b.cis:
            b.ci(
                "service_offering",
                offering_ci,
                "apex",
                "apex-crime" if offering_code == "crime" else "apex-erp",
                criticality=1,
                offering=offering,
            )
        b.link(service, "depends_on", offering_ci)
        for app, vendor, database in apps:
            team = "apex-erp" if offering_code == "erp" else "apex-crime"
            b.ci("application", app, "apex", team, criticality=1, attributes={"vendor": vendor, "version": "2026.1"})
            b.link(offering_ci, "depends_on", app)
            for role, dc in (("app", "DC North"), ("db", "DC North"), ("dr", "DC South")):
                vm += 1
                name = f"vm-{app.lower().replace(' ', '')[:10]}-{role}"
                b.ci(
                    "virtual_machine",
                    name,
                    "meridian",
                    "mer-hosting",
                    attributes={
                        "cloud_id": f"vm-{vm:04d}",
                        "fqdn": f"{name}.force.local",
                        "os": "RHEL 9",
                        "cpu_cores": 8,
                    },
                )
                b.link(name, "hosted_in", f"{dc} VMware cluster")
            b.ci("database", database, "apex", team, criticality=1, attributes={"engine": "Oracle 19c", "size_gb": 800})
            b.link(database, "runs_on", f"vm-{app.lower().replace(' ', '')[:10]}-db")
            b.link(database, "backed_up_by", "DC South SAN")
            b.link(app, "depends_on", database)
            b.link(app, "runs_on", f"vm-{app.lower().replace(' ', '')[:10]}-app")
    b.ci(
        "cloud_tenant",
        "Microsoft 365",
        "meridian",
        "mer-end-user",
        criticality=1,
        attributes={"provider": "Microsoft", "tenant_id": "force.onmicrosoft.com"},
    )
    b.ci(
        "application",
        "Email and collaboration",
        "meridian",
        "mer-end-user",
        criticality=1,
        attributes={"vendor": "Microsoft", "version": "Exchange Online"},
    )
    b.link("Email and collaboration", "depends_on", "Microsoft 365")
    b.ci(
        "business_service",
        "Email and collaboration services",
        "northshire-police",
        "np-ict",
        criticality=2,
        service=Service.objects.filter(code="end-user").first(),
        attributes={"users": 11000},
    )
    b.link("Email and collaboration services", "depends_on", "Email and collaboration")


def _network(b: _Builder) -> None:
    for dc in ("DC North", "DC South"):
        switch = f"core-sw-{dc[3].lower()}"
        b.ci(
            "network_device",
            switch,
            "carrier-networks",
            "cn-noc",
            criticality=1,
            attributes={"serial": f"FDO{dc[3]}0001", "ip_address": f"10.{1 if dc == 'DC North' else 2}.0.1"},
        )
        b.link(switch, "hosted_in", f"{dc} rack 1")
    for n, station in enumerate(STATIONS, start=1):
        link, location = f"WAN {station}", f"{station} police station"
        b.ci(
            "network_link",
            link,
            "carrier-networks",
            "cn-noc",
            attributes={"circuit_id": f"CN-{n:05d}", "bandwidth_mbps": 1000},
        )
        b.link(link, "depends_on", "core-sw-n" if n % 3 else "core-sw-s")
        b.ci(
            "location",
            location,
            "northshire-police",
            "np-ict",
            attributes={"staff": 150 + 40 * n, "postcode": f"NS{n} 1AA"},
        )
        b.link(location, "connects_to", link)
        device = f"LT-{n:04d}"
        b.ci(
            "end_user_device",
            device,
            "meridian",
            "mer-end-user",
            attributes={"serial": f"5CG{n:06d}", "model": "EliteBook 840"},
        )
        b.link(location, "contains", device)
        phone = f"MOB-{n:04d}"
        b.ci(
            "mobile_device",
            phone,
            "meridian",
            "mer-mobile",
            attributes={"imei": f"35{n:013d}", "model": "Galaxy XCover"},
        )
        b.link(phone, "connects_to", link)


def _sources(actor: Actor, organisations: dict[str, Organisation]) -> None:
    """The tools that report CIs, and who is the authority for which attribute."""
    sources = {
        code: source_create(actor=actor, code=code, name=name, organisation=organisations[org], priority=priority)
        for code, name, org, priority in [
            ("meridian-discovery", "Meridian discovery", "meridian", 10),
            ("hostwell-dcim", "Hostwell DCIM", "hostwell", 20),
            ("apex-cmdb", "Apex application register", "apex", 30),
            ("intune", "Microsoft Intune", "meridian", 40),
        ]
    }
    month = timedelta(days=30)
    for ci_class, attribute, source, priority, stale in [
        ("server", "serial", "hostwell-dcim", 1, None),
        ("server", "serial", "meridian-discovery", 2, None),
        ("server", "fqdn", "meridian-discovery", 1, month),
        ("server", "os", "meridian-discovery", 1, month),
        ("application", "version", "apex-cmdb", 1, month),
        ("application", "vendor", "apex-cmdb", 1, None),
        ("mobile_device", "imei", "intune", 1, None),
    ]:
        attribute_rule_set(
            actor=actor,
            ci_class=ci_class,
            attribute=attribute,
            source=sources[source],
            priority=priority,
            stale_after=stale,
        )
