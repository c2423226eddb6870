"""The mobile fleet's demo, through the real services: Northshire's compliance rules, then an Intune device export
(written here, Intune's CSV shape) imported into the fleet run by Meridian's mobile team, then a few devices in
repair, lost, stolen or retired. A few hundred devices in `small`, tens of thousands in `large`.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from towers.core.actor import Actor, Channel
from towers.demo.mobile_lifecycle import seed_lifecycle
from towers.demo.mobile_losses import seed_loss_routing, seed_losses
from towers.mobile.models import Device, DeviceStatus
from towers.mobile.services.compliance import rule_create
from towers.mobile.services.devices import device_assign
from towers.mobile.services.mdm_import import mdm_import
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.selectors import actor_for

DEVICES = {"small": 300, "large": 20000}
MODELS = [  # make, model, OS, the versions seen in the fleet (newest last), share of the fleet
    ("Apple", "iPhone 15", "iOS", ["17.3", "17.5.1", "18.1"], 30),
    ("Apple", "iPhone SE (3rd generation)", "iOS", ["16.7.8", "17.4", "17.6.1"], 20),
    ("Samsung", "Galaxy XCover6 Pro", "Android", ["13", "14"], 30),
    ("Samsung", "Galaxy Tab Active4 Pro", "Android", ["13", "14"], 10),
    ("Apple", "iPad (10th generation)", "iPadOS", ["17.5", "18.0"], 10),
]
COLUMNS = [
    "Device ID", "Device name", "Enrollment date", "Last check-in", "OS", "OS version", "Serial number",
    "Manufacturer", "Model", "IMEI", "Ownership", "Encrypted", "Jailbroken", "Primary user UPN",
    "Primary user email address", "Phone number", "ICCID", "Subscriber carrier",
]  # fmt: skip


@dataclass
class MobileSeed:
    devices: int
    non_compliant: int
    losses: int = 0
    steps: int = 0


def _luhn(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


def _export(count: int, officers: list[Person], rng: random.Random, now: datetime) -> bytes:
    """An Intune device export of `count` devices, most issued to an officer."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    shares = [m[4] for m in MODELS]
    for n in range(count):
        make, model, os_name, versions, _share = rng.choices(MODELS, weights=shares)[0]
        officer = officers[n % len(officers)] if n % 10 else None  # one in ten in stock
        enrolled = now - timedelta(days=rng.randint(10, 1800))
        seen = now - timedelta(hours=rng.randint(1, 24 * (60 if n % 37 == 0 else 6)))
        writer.writerow([
            f"{n:08d}-demo-4e1b-9a7c-{rng.getrandbits(48):012x}", f"NP-{n:05d}",
            enrolled.strftime("%Y-%m-%d %H:%M:%S"), seen.strftime("%Y-%m-%d %H:%M:%S"), os_name,
            rng.choice(versions), f"DM{rng.getrandbits(40):010X}", make, model, _luhn(f"35{n:012d}"),
            "Corporate", "No" if n % 53 == 0 else "Yes", "True" if n % 211 == 0 else "False",
            officer.email if officer else "", officer.email if officer else "",
            f"+4477009{n:05d}", _luhn(f"894411{n:012d}"), "Airwave Mobile",
        ])  # fmt: skip
    return out.getvalue().encode()


def _rules(actor: Actor, authority: Organisation, team: Team) -> None:
    for name, kind, platform, value, tickets in [
        ("iOS 17.4 or later", "os_floor", "ios", "17.4", False),
        ("Android 14 or later", "os_floor", "android", "14", False),
        ("Storage encrypted", "encryption", "", "", True),
        ("Checked in within 30 days", "check_in_age", "", "30", False),
        ("Not jailbroken or rooted", "jailbreak", "", "", True),
    ]:
        rule_create(actor=actor, organisation=authority, name=name, kind=kind, platform=platform, value=value,
                    raises_ticket=tickets, ticket_team=team if tickets else None)  # fmt: skip


def seed_mobile(size: str = "small") -> MobileSeed | None:
    """The fleet, unless it is there already."""
    if Device.objects.exists():
        return None
    authority = Organisation.objects.get(code="northshire-police")
    meridian = Organisation.objects.get(code="meridian")
    mobile_team = Team.objects.get(code="mer-mobile")
    actor = actor_for(Person.objects.get(username="admin"), organisation=authority, channel=Channel.IMPORT)
    rng, now = random.Random(8), timezone.now()  # noqa: S311  (repeatable demo data, not secrets)
    officers = list(Person.objects.filter(memberships__organisation=authority).exclude(email="").order_by("username"))
    _rules(actor, authority, mobile_team)
    data = _export(DEVICES[size], officers, rng, now)
    run = mdm_import(actor=actor, organisation=authority, supplier=meridian, support_team=mobile_team, data=data,
                     filename="intune-devices.csv", dry_run=False)  # fmt: skip
    _issue_to_the_demo_officer(actor, authority)
    seed_loss_routing(actor, authority)
    losses = seed_losses(size, authority)
    steps = seed_lifecycle(size, authority)
    return MobileSeed(devices=run.created, non_compliant=run.non_compliant, losses=losses, steps=steps)


def _issue_to_the_demo_officer(actor: Actor, authority: Organisation) -> None:
    """The "officer" log-in carries a phone, so the portal's "My devices" has one to report."""
    officer = Person.objects.get(username="officer")
    if not Device.objects.filter(person=officer).exists():
        spare = Device.objects.filter(organisation=authority, status=DeviceStatus.IN_STOCK).order_by("name").first()
        if spare is not None:
            device_assign(actor=actor, device=spare, person=officer, note="Issued at the demo's start.")
