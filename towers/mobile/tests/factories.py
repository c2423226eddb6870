"""Test data for mobile services: the integrator runs the authority's fleet (its mobile team), the network
operator provides the lines; devices, SIMs, accessories and rules with valid IMEIs and ICCIDs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from towers.core.actor import Actor
from towers.core.roles import Role
from towers.mobile.models import Accessory, ComplianceRule, Device, DeviceStatus, MobileSettings, Platform, SimCard
from towers.mobile.services.devices import luhn_digit
from towers.organisations.models import Organisation, Person, Team
from towers.organisations.tests.factories import (
    Estate,
    OrganisationFactory,
    TeamFactory,
    TeamMembershipFactory,
    actor_of,
    person_with_roles,
)


def imei(n: int) -> str:
    """A valid IMEI: 14 digits and their Luhn check digit."""
    body = f"35{n:012d}"
    return body + luhn_digit(body)


def iccid(n: int) -> str:
    """A valid 19-digit ICCID (89 44 = telecoms, UK)."""
    body = f"8944{n:014d}"
    return body + luhn_digit(body)


class DeviceFactory(DjangoModelFactory):
    class Meta:
        model = Device

    organisation = factory.SubFactory(OrganisationFactory)
    imei = factory.Sequence(imei)
    serial = factory.Sequence(lambda n: f"SN{n:08d}")
    name = factory.Sequence(lambda n: f"PHONE-{n:05d}")
    make = "Apple"
    model = "iPhone 15"
    platform = Platform.IOS
    os_version = "17.5"
    status = DeviceStatus.IN_STOCK
    encrypted = True
    passcode = True
    jailbroken = False
    last_check_in = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class SimCardFactory(DjangoModelFactory):
    class Meta:
        model = SimCard

    organisation = factory.SubFactory(OrganisationFactory)
    iccid = factory.Sequence(iccid)
    msisdn = factory.Sequence(lambda n: f"+4477{n:08d}")
    tariff = "Airwave data 10GB"


class AccessoryFactory(DjangoModelFactory):
    class Meta:
        model = Accessory

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "Rugged case"
    serial = factory.Sequence(lambda n: f"AC{n:06d}")


class ComplianceRuleFactory(DjangoModelFactory):
    class Meta:
        model = ComplianceRule

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = ComplianceRule.Kind.ENCRYPTION


@dataclass
class Fleet:
    """The authority's fleet, run by the integrator's mobile team; the network operator provides the lines."""

    estate: Estate
    owner: Organisation
    supplier: Organisation
    team: Team
    manager: Person
    officer: Person
    operator: Organisation

    @property
    def actor(self) -> Actor:
        """The owner's administrator (the authority's)."""
        return actor_of(self.estate.authority_admin, self.owner)

    @property
    def supplier_actor(self) -> Actor:
        """The mobile supplier's service manager."""
        return actor_of(self.manager, self.supplier)

    def device(self, **kwargs: Any) -> Device:
        return DeviceFactory(**({"organisation": self.owner, "supplier": self.supplier} | kwargs))

    def sim(self, **kwargs: Any) -> SimCard:
        return SimCardFactory(**({"organisation": self.owner, "operator": self.operator} | kwargs))

    def rule(self, **kwargs: Any) -> ComplianceRule:
        return ComplianceRuleFactory(**({"organisation": self.owner} | kwargs))


def build_fleet(estate: Estate) -> Fleet:
    team = TeamFactory(organisation=estate.integrator, code="mobile", name="Mobile services")
    manager = person_with_roles(estate.integrator, Role.SERVICE_MANAGER, username="mobile.manager")
    TeamMembershipFactory(team=team, person=manager)
    officer = person_with_roles(estate.authority, Role.REQUESTER, username="pc.officer")
    return Fleet(estate, estate.authority, estate.integrator, team, manager, officer, estate.network)


def route_losses(fleet: Fleet, *, soc: bool = True) -> MobileSettings:
    """The owner's mobile settings as a real fleet has them: wipes to the mobile team on a 24x7 one-hour level,
    lines barred by the network operator's team, a SOC for devices holding police data."""
    from towers.contracts.tests.factories import CalendarFactory, ServiceFactory, ServiceLevelFactory

    always = CalendarFactory(owner=fleet.owner, code="always", name="24x7", always_open=True, bank_holidays=False)
    wipe = ServiceFactory(code="mobile-wipe", name="Mobile remote wipe", owner=fleet.supplier)
    ServiceLevelFactory(
        code="wipe-1h",
        name="Wipe within one hour",
        service=wipe,
        provider=fleet.supplier,
        customer=fleet.owner,
        priority="P2",
        target=timedelta(hours=1),
        calendar=always,
        pause_states=[],
    )
    settings = MobileSettings.objects.create(
        organisation=fleet.owner,
        incident_service=ServiceFactory(code="mobile", name="Mobile services", owner=fleet.supplier),
        wipe_team=fleet.team,
        wipe_service=wipe,
        line_service=ServiceFactory(code="mobile-lines", name="Mobile lines", owner=fleet.operator),
        logistics_team=fleet.team,
        repair_team=fleet.team,
        security_organisation=fleet.supplier if soc else None,
    )
    settings.line_teams.set([fleet.estate.network_team])
    return settings
