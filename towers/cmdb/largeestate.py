"""A large police estate bulk-loaded for benchmarks and the large demo: a million CIs, three million relationships.

This is a loader, not a way to record CIs: it writes rows straight into the CMDB tables (PostgreSQL COPY,
bulk_create elsewhere) and writes no audit entries or events, which is what lets it load the estate in
minutes rather than days. It runs once per database: the data source "large-estate" marks the load.

The shape follows the demo CMDB (towers.demo.cmdb): data centres contain racks; clusters, hosts, storage and
the core network are hosted in racks; VMs are hosted in clusters and backed up to the other data centre;
databases and application services run on VMs; applications use application services and databases;
offerings use applications and business services use offerings; police stations connect to WAN links and
contain switches, wireless access points, computers and phones; phones are managed by device management.
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from towers.cmdb.identification import family, identifier_values
from towers.cmdb.models import CIIdentifier, ConfigurationItem, DataSource, Relationship
from towers.contracts.models import Service, ServiceOffering
from towers.organisations.models import Organisation, OrganisationKind, Team

MARKER = "large-estate"


def _table(text: str) -> list[list[str]]:
    """Rows of "a:b|c:d" data: twenty families on six lines instead of twenty."""
    return [row.split(":") for row in text.split("|")]


BATCH = 10_000
Progress = Callable[[int, int], None]
PerCentre = list[list[uuid.UUID]]  # one list per data centre
# The demo's organisations, made if missing: code -> name, kind.
ORGANISATIONS = {
    "northshire-police": ("Northshire Police", OrganisationKind.AUTHORITY),
    "meridian": ("Meridian Infrastructure Services", OrganisationKind.SUPPLIER),
    "apex": ("Apex Applications Ltd", OrganisationKind.SUPPLIER),
    "hostwell": ("Hostwell Data Centres", OrganisationKind.THIRD_PARTY),
    "carrier-networks": ("Carrier Networks plc", OrganisationKind.THIRD_PARTY),
    "airwave-mobile": ("Airwave Mobile Operator", OrganisationKind.THIRD_PARTY),
    "sentinel": ("Sentinel SOC Tooling", OrganisationKind.THIRD_PARTY),
}
# Who owns and supports each part of the estate: role -> organisation, the demo's team (made if missing), and
# the demo catalogue's service and offering that the role's business services and offerings stand for.
ROLES = {
    "force": ("northshire-police", "np-ict", "Force ICT client team", "", ""),
    "facilities": ("hostwell", "hw-facilities", "Data centre facilities", "", ""),
    "hosting": ("meridian", "mer-hosting", "Hosting and platforms", "", ""),
    "end_user": ("meridian", "mer-end-user", "End-user services", "end-user", "desktop"),
    "mobile": ("meridian", "mer-mobile", "Mobile services", "mobile", "devices"),
    "crime": ("apex", "apex-crime", "Crime and intelligence systems", "application-support", "crime"),
    "erp": ("apex", "apex-erp", "ERP and HR systems", "application-support", "erp"),
    "web": ("apex", "apex-web", "Web and digital", "application-support", "crime"),
    "network": ("carrier-networks", "cn-noc", "Network operations centre", "", ""),
    "lines": ("airwave-mobile", "aw-lines", "Lines and SIM management", "", ""),
    "security": ("sentinel", "sen-platform", "SIEM platform support", "soc", "siem"),
}
# Application families (name, role, people served by each of its business services), and the shared
# application services, one instance in each data centre, that applications and devices lean on.
FAMILIES = [
    (name, role, int(users))
    for name, role, users in _table(
        "Custody:crime:4000|Crime recording:crime:9000|Command and control:crime:1200|Intelligence:crime:2500|"
        "Case preparation:crime:3000|Digital evidence:crime:5000|ANPR:crime:800|Body-worn video:crime:7000|"
        "Firearms licensing:crime:150|Property and exhibits:crime:1500|Public contact:web:2000|"
        "Force website:web:300|HR and payroll:erp:11000|Finance and procurement:erp:600|"
        "Duty management:erp:11000|Fleet:erp:300|Learning:erp:11000|Email and collaboration:end_user:11000|"
        "Mobile working:mobile:7000|Security monitoring:security:60"
    )
]
PLATFORM = _table(
    "Directory:end_user|Identity provider:end_user|Endpoint protection:security|Print:end_user|VPN:end_user|"
    "Device management:mobile|Integration hub:web|Messaging:end_user|Log collection:security|"
    "Software distribution:end_user|Mobile working gateway:mobile|Time service:hosting"
)
PHONE_SERVICES = ("Identity provider", "Endpoint protection", "Mobile working gateway")
AREAS = ["North", "South", "East", "West", "City", "Coast", "Valley", "Moor", "Central", "Airport", "Port", "Rural"]
TOWNS = ["Northgate", "Riverside", "Castle Hill", "Westfield", "Harbour", "Eastbrook", "Millbank", "Kingsway"]
SITES = ["police station", "custody suite", "neighbourhood office", "response base", "headquarters"]


class EstateExists(RuntimeError):
    """The large estate is loaded already (or a load was interrupted): it loads once per database."""


def loaded() -> DataSource | None:
    """The marker of a load in this database, if any."""
    return DataSource.objects.filter(code=MARKER).first()


def generate(
    *, cis: int = 1_000_000, relationships_per_ci: float = 3.0, seed: int = 2026, progress: Progress | None = None
) -> dict[str, Any]:
    """Load an estate of `cis` CIs and about `cis * relationships_per_ci` relationships; return what was written."""
    marker = loaded()
    if marker is not None:
        raise EstateExists(
            f"The large estate is already in this database ({marker.name}). It is a one-off bulk load: "
            "start from an empty database to load it again."
        )
    started = time.perf_counter()
    loader = _Loader(cis, relationships_per_ci, seed, progress)
    # Written first, so that an interrupted load is noticed rather than loaded twice.
    marker = DataSource.objects.create(
        code=MARKER, name="Large estate (loading did not finish)", organisation_id=loader.owners["hosting"][0]
    )
    loader.run()
    written = loader.writer.written
    marker.name = f"Large estate: {written['cis']:,} CIs, {written['relationships']:,} relationships"
    marker.save(update_fields=["name"])
    with connection.cursor() as cursor:  # fresh statistics, or the planner prices the tables as empty
        for model in (ConfigurationItem, Relationship, CIIdentifier):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {**written, "seconds": round(time.perf_counter() - started, 1), "method": loader.writer.method}


def _owners() -> dict[str, tuple[uuid.UUID, uuid.UUID]]:
    """Organisation and team ids per role, creating the minimal ones a bare database lacks."""
    owners = {}
    for role, (org_code, team_code, team_name, _service, _offering) in ROLES.items():
        name, kind = ORGANISATIONS[org_code]
        organisation = Organisation.objects.filter(code=org_code).first() or Organisation.objects.create(
            code=org_code, name=name, kind=kind
        )
        team = Team.objects.filter(code=team_code).first() or Team.objects.create(
            organisation=organisation, code=team_code, name=team_name
        )
        owners[role] = (organisation.id, team.id)
    return owners


class _Writer:
    """Buffers rows per table and writes them in batches, CIs before the rows that refer to them."""

    # Rows are tuples in the order of the model's fields (an added field fails loudly in zip(strict=True)).
    TABLES: dict[str, type[Model]] = {
        "cis": ConfigurationItem,
        "relationships": Relationship,
        "identifiers": CIIdentifier,
    }

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in self.TABLES}
        self.written: Counter[str] = Counter()
        self.progress, self.total = progress, total
        # Measured at 100,000 CIs on PostgreSQL 15: COPY 15 s, bulk_create 33 s.
        self.method = "copy" if connection.vendor == "postgresql" else "bulk_create"

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        rows = self.rows[table]
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for name, model in self.TABLES.items():
            rows = self.rows[name]
            if not rows:
                continue
            columns = [f.attname for f in model._meta.concrete_fields if not f.auto_created]
            if self.method == "copy":
                _copy(model, columns, rows)
            else:
                model._default_manager.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
            self.written[name] += len(rows)
            rows.clear()
        if self.progress:
            self.progress(self.written["cis"] + self.written["relationships"], self.total)


def _copy(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    json_columns = {i for i, c in enumerate(columns) if c in {"attributes", "provenance"}}
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if i in json_columns else v for i, v in enumerate(row)])


def _per_centre() -> PerCentre:
    return [[], []]


class _Loader:
    """Generates the estate layer by layer, keeping only the ids later layers link to (devices are streamed)."""

    def __init__(self, size: int, ratio: float, seed: int, progress: Progress | None) -> None:
        self.size, self.target = size, math.ceil(size * ratio)
        self.rng, self.now = random.Random(seed), timezone.now()  # noqa: S311  (repeatable data, not secrets)
        self.owners = _owners()
        self.services = dict(Service.objects.values_list("code", "id"))
        self.offerings = dict(ServiceOffering.objects.values_list("code", "id"))
        self.writer = _Writer(progress, total=size + self.target)
        self.made = self.linked = self.serial = 0
        self.families: dict[str, str] = {}

    def share(self, fraction: float, minimum: int = 1) -> int:
        return max(minimum, round(self.size * fraction))

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def kit(self, model: str) -> dict[str, Any]:
        """Attributes of a network device: unique serial and an address clear of the small demo's 10.x."""
        self.serial += 1
        n = self.serial
        address = f"172.{16 + (n >> 16) % 16}.{(n >> 8) & 255}.{n & 255}"
        return {"serial": f"LEFDO{n:07d}", "ip_address": address, "model": model}

    def ci(
        self, ci_class: str, name: str, role: str, attributes: dict[str, Any], criticality: int = 3, **extra: Any
    ) -> uuid.UUID:
        pk, (owner, team) = self.new_id(), self.owners[role]
        fields = (ci_class, name, owner, team, criticality, extra.get("environment", "production"), "live", attributes)
        self.writer.add("cis", (pk, self.now, self.now, 1, *fields, {}, extra.get("service"), extra.get("offering")))
        family_name = self.families.setdefault(ci_class, family(ci_class))
        for key, value in identifier_values(ci_class, name, attributes, extra.get("related")):
            self.writer.add("identifiers", (pk, family_name, key, value))
        self.made += 1
        return pk

    def rel(self, source: uuid.UUID, type: str, target: uuid.UUID) -> None:
        self.writer.add("relationships", (self.new_id(), self.now, self.now, 1, source, target, type))
        self.linked += 1

    def rels(self, source: uuid.UUID, type: str, targets: Sequence[uuid.UUID], low: int, high: int) -> None:
        """Links to between `low` and `high` distinct targets chosen at random."""
        for target in self.rng.sample(targets, min(len(targets), self.rng.randint(low, high))):
            self.rel(source, type, target)

    def run(self) -> None:
        self.facilities()
        self.platforms()
        self.applications()
        self.service_layer()
        self.network()
        self.devices()
        self.writer.flush()

    def facilities(self) -> None:
        names = ["DC North", "DC South"]  # the small demo's data centres, used if they are there
        found = dict(ConfigurationItem.objects.filter(ci_class="data_centre", name__in=names).values_list("name", "id"))
        self.dcs = [found.get(n) or self.ci("data_centre", n, "facilities", {"tier": 3}, 1) for n in names]
        self.racks, self.sans, self.backups, self.core, self.distribution = (_per_centre() for _ in range(5))
        for d, (dc, dc_name) in enumerate(zip(self.dcs, names, strict=True)):
            for n in range(self.share(0.0002, 4)):
                self.racks[d].append(self.ci("rack", f"{dc_name} rack {'ABCDEFGH'[n % 8]}{n:03d}", "facilities", {}, 2))
                self.rel(dc, "contains", self.racks[d][-1])
            for kind, pool in (("SAN", self.sans[d]), ("backup", self.backups[d])):
                for n in range(self.share(0.00005)):
                    serial = f"LE{kind[:3].upper()}{d}{n:05d}"
                    pool.append(self.ci("storage", f"{dc_name} {kind} {n:02d}", "hosting", {"serial": serial}, 1))
                    self.rel(pool[-1], "hosted_in", self.rng.choice(self.racks[d]))
            for pool, kind, count in ((self.core[d], "core", 4), (self.distribution[d], "dist", self.share(2e-5, 2))):
                for n in range(count):
                    pool.append(self.ci("network_device", f"{kind}-{'ns'[d]}{n:02d}", "network", self.kit(kind), 1))
                    self.rel(pool[-1], "hosted_in", self.rng.choice(self.racks[d]))
                    if kind == "dist":
                        self.rels(pool[-1], "connects_to", self.core[d], 2, 2)

    def platforms(self) -> None:
        self.clusters, self.vms = _per_centre(), _per_centre()
        self.hosts: list[uuid.UUID] = []
        for d in range(2):
            for n in range(self.share(0.00004)):
                cluster = self.ci("cluster", f"DC{d + 1} cluster {n:02d}", "hosting", {"technology": "vSphere 8"}, 1)
                self.clusters[d].append(cluster)
                self.rels(cluster, "hosted_in", self.racks[d], 4, 4)
                self.rels(cluster, "depends_on", self.sans[d], 2, 2)
                self.rels(cluster, "connects_to", self.distribution[d], 2, 2)
            for n in range(self.share(0.004)):
                name = f"esx-{d}{n:05d}"
                attributes = {"serial": f"LECZ{d}{n:06d}", "fqdn": f"{name}.infra.force.local", "cpu_cores": 64}
                host = self.ci("server", name, "hosting", attributes, 2)
                self.rel(host, "hosted_in", self.rng.choice(self.racks[d]))
                if n % 10 == 0:  # one in ten hosts is a physical database server
                    self.hosts.append(host)
            for n in range(self.share(0.06)):
                name = f"vm-{d}{n:06d}"
                environment = self.rng.choices(["production", "test", "development"], [85, 10, 5])[0]
                attributes = {"cloud_id": f"vm-{d}{n:07d}", "fqdn": f"{name}.force.local", "os": "RHEL 9"}
                self.vms[d].append(self.ci("virtual_machine", name, "hosting", attributes, 3, environment=environment))
                self.rel(self.vms[d][-1], "hosted_in", self.rng.choice(self.clusters[d]))
                self.rel(self.vms[d][-1], "backed_up_by", self.rng.choice(self.backups[1 - d]))

    def database(self, name: str, role: str) -> uuid.UUID:
        d = self.rng.randrange(2)
        server = self.rng.choice(self.hosts) if self.rng.random() < 0.1 else self.rng.choice(self.vms[d])
        attributes = {"engine": self.rng.choice(["Oracle 19c", "SQL Server 2022", "PostgreSQL 16"]), "size_gb": 200}
        db = self.ci("database", name, role, attributes, 2, related={"runs_on": server})
        self.rel(db, "runs_on", server)
        self.rel(db, "backed_up_by", self.rng.choice(self.backups[1 - d]))
        return db

    def app_service(self, name: str, role: str, databases: Sequence[uuid.UUID], instances: int = 3) -> uuid.UUID:
        """A service running on one to `instances` VMs of one data centre."""
        url = f"https://{name.lower().replace(' ', '-').replace('(', '').replace(')', '')}.apps.force.local"
        service = self.ci("application_service", name, role, {"url": url, "port": 443}, 2)
        self.rels(service, "runs_on", self.vms[self.rng.randrange(2)], 1, instances)
        self.rels(service, "depends_on", databases, 1, 3)
        return service

    def applications(self) -> None:
        self.platform: dict[str, list[uuid.UUID]] = {}
        for name, role in PLATFORM:
            database = self.database(f"{name.upper().replace(' ', '')}DB", role)
            self.platform[name] = [self.app_service(f"{name} ({dc})", role, [database], 1) for dc in ("north", "south")]
        shared = [s for pair in self.platform.values() for s in pair]
        per_family = len(FAMILIES)
        self.apps: list[list[uuid.UUID]] = []
        for f, (family_name, role, _users) in enumerate(FAMILIES):
            code = family_name[:4].upper().replace(" ", "")
            databases = [self.database(f"{code}DB{n:05d}", role) for n in range(self.share(0.04 / per_family))]
            services = []
            for n in range(self.share(0.04 / per_family)):
                services.append(self.app_service(f"{family_name} service {n:05d}", role, databases))
                self.rels(services[-1], "depends_on", shared, 0, 1)
            self.apps.append([])
            for n in range(self.share(0.004 / per_family)):
                kind = ("core", "portal", "reporting", "mobile", "integration", "archive")[(n + f) % 6]
                app = self.ci("application", f"{family_name} {kind} {n:04d}", role, {"version": "2026.1"}, 2)
                self.rels(app, "depends_on", services, 5, 15)
                self.rels(app, "depends_on", databases, 0, 3)
                self.rels(app, "depends_on", self.platform["Identity provider"], 0, 1)
                self.apps[-1].append(app)

    def service_layer(self) -> None:
        offerings: list[list[uuid.UUID]] = []
        for (family_name, role, users), apps in zip(FAMILIES, self.apps, strict=True):
            service_code, offering_code = ROLES[role][3:]
            links = {"service": self.services.get(service_code), "offering": self.offerings.get(offering_code)}
            offerings.append([])
            for n in range(self.share(0.0009 / len(FAMILIES))):
                attributes = {"users": self.rng.randint(users // 10, users), "hours": "24x7"}
                offerings[-1].append(
                    self.ci("service_offering", f"{family_name} offering {n:03d}", role, attributes, 2, **links)
                )
                self.rels(offerings[-1][-1], "depends_on", apps, 3, 8)
        combinations = len(FAMILIES) * len(AREAS)
        for n in range(self.share(0.0003, len(FAMILIES))):
            family_name, role, users = FAMILIES[n % len(FAMILIES)]
            area = AREAS[(n // len(FAMILIES)) % len(AREAS)] + (f" {n // combinations + 1}" if n >= combinations else "")
            attributes = {"users": max(1, users // 4), "service_owner": f"Head of {family_name}"}
            catalogue = self.services.get(ROLES[role][3])
            service = self.ci(
                "business_service", f"{family_name} — {area}", "force", attributes, 1 + n % 2, service=catalogue
            )
            self.rels(service, "depends_on", offerings[n % len(FAMILIES)], 1, 3)

    def network(self) -> None:
        wan = []
        for n in range(self.share(0.002)):
            attributes = {"circuit_id": f"CNL-{n:07d}", "bandwidth_mbps": self.rng.choice([100, 1000, 10000])}
            wan.append(self.ci("network_link", f"WAN circuit {n:05d}", "network", attributes, 2))
            self.rel(wan[-1], "depends_on", self.rng.choice(self.core[n % 2]))
        self.gateways = []
        for n in range(20):
            attributes = {"circuit_id": f"AWM-{n:04d}", "bandwidth_mbps": 10000}
            self.gateways.append(self.ci("network_link", f"Mobile data gateway {n:02d}", "lines", attributes, 1))
            self.rel(self.gateways[-1], "depends_on", self.rng.choice(self.core[n % 2]))
        # Staff per site fall from a few big headquarters to many small neighbourhood offices.
        self.locations: list[tuple[uuid.UUID, int, list[uuid.UUID]]] = []
        for n in range(self.share(0.0008, 5)):
            site, staff = SITES[0 if n % 5 else (n // 5) % len(SITES)], int(2000 / (1 + n % 97) ** 0.8) + 10
            attributes = {"postcode": f"NS{n % 99 + 1} {n % 9 + 1}AA", "staff": staff}
            location = self.ci("location", f"{TOWNS[n % len(TOWNS)]} {site} {n:04d}", "force", attributes, 2)
            links = [wan[(n * 3 + k) % len(wan)] for k in range(1 + (n % 5 > 0) + (n % 3 == 0))]
            for link in links:
                self.rel(location, "connects_to", link)
            self.locations.append((location, staff, links))
        self.switches: list[tuple[list[uuid.UUID], list[uuid.UUID]]] = []  # each location's switches and access points
        count = len(self.locations)
        for (location, _staff, links), switches, points in zip(
            self.locations, self.spread(self.share(0.02, count)), self.spread(self.share(0.01, count)), strict=True
        ):
            self.switches.append(([], []))
            for k in range(switches + points):
                kind = "access" if k < switches else "wireless"
                name = f"{'as' if k < switches else 'ap'}-{len(self.switches):04d}-{k:03d}"
                device = self.ci("network_device", name, "network", self.kit(kind), 3)
                self.rel(location, "contains", device)
                upstream = self.rng.choice(links) if k < switches else self.rng.choice(self.switches[-1][0])
                self.rel(device, "connects_to", upstream)
                self.switches[-1][k >= switches].append(device)

    def spread(self, total: int) -> list[int]:
        """`total` (no fewer than the locations) shared among the locations by staff, at least one each."""
        weights = [staff for _location, staff, _links in self.locations]
        shares = [max(1, total * w // sum(weights)) for w in weights]
        shares[0] += total - sum(shares)
        return shares

    def devices(self) -> None:
        """Phones and computers, streamed: each site's devices are written and forgotten."""
        phones = self.share(0.2, len(self.locations))
        computers = max(len(self.locations), self.size - self.made - phones)
        # Desktops link twice, laptops (three in five) three times, also to an access point, phones three times;
        # the platform services devices use make up the relationships asked for.
        laptops = computers // 5 * 3 + min(computers % 5, 3)
        extra = max(0, self.target - self.linked - 3 * phones - 2 * computers - laptops) / (phones + computers)
        desk = [s for name, role in PLATFORM if role in {"end_user", "security"} for s in self.platform[name]]
        mobile = [s for name in PHONE_SERVICES for s in self.platform[name]]
        owed, n, computer = 0.5, 0, 0
        for (location, _staff, _links), (switches, points), (site_phones, site_computers) in zip(
            self.locations, self.switches, zip(self.spread(phones), self.spread(computers), strict=True), strict=True
        ):
            for is_phone in [True] * site_phones + [False] * site_computers:
                n += 1
                if is_phone:
                    attributes = {"imei": f"86{n:013d}", "msisdn": f"07{n:09d}", "model": "Galaxy XCover"}
                    device = self.ci("mobile_device", f"MOB-{n:07d}", "mobile", attributes, 4)
                    self.rel(device, "connects_to", self.rng.choice(self.gateways))
                    self.rel(device, "depends_on", self.rng.choice(self.platform["Device management"]))
                else:
                    laptop, computer = computer % 5 < 3, computer + 1
                    attributes = {"serial": f"LE5CG{n:08d}", "model": "EliteBook 840" if laptop else "ProDesk 400"}
                    device = self.ci("end_user_device", f"PC-{n:07d}", "end_user", attributes, 4)
                    self.rel(device, "connects_to", self.rng.choice(switches))
                    if laptop:
                        self.rel(device, "connects_to", self.rng.choice(points))
                self.rel(location, "contains", device)
                owed += extra
                for service in self.rng.sample(mobile if is_phone else desk, min(int(owed), 2)):
                    self.rel(device, "depends_on", service)
                    owed -= 1
