"""API shapes of the fleet: devices, SIMs, compliance rules."""

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from towers.mobile.selectors import DeviceFilters
from towers.organisations.schemas import Ref


class DeviceQuery(Schema):
    status: str = ""
    platform: str = ""
    model: str = ""
    compliance: str = ""
    team: UUID | None = None
    person: UUID | None = None
    q: str = Field("", description="Searches IMEI, serial, device name and SIM number.")

    def to_filters(self) -> DeviceFilters:
        return DeviceFilters(**self.dict())


class DevicePersonRef(Schema):
    id: UUID
    username: str
    name: str = Field("", alias="get_full_name")


class SimOut(Schema):
    id: UUID
    iccid: str
    msisdn: str
    tariff: str
    status: str
    operator: Ref | None
    device: UUID | None = Field(None, alias="device_id")
    version: int


class AccessoryOut(Schema):
    id: UUID
    kind: str
    serial: str
    status: str


class DeviceEventOut(Schema):
    at: datetime
    kind: str
    actor_label: str
    status: str
    note: str
    ticket_id: UUID | None
    data: dict[str, Any]


class DeviceOut(Schema):
    id: UUID
    organisation: Ref
    supplier: Ref | None
    ci: UUID | None = Field(None, alias="ci_id")
    imei: str
    serial: str
    mdm_id: str
    name: str
    make: str
    model: str
    platform: str
    os_version: str
    ownership: str
    status: str
    person: DevicePersonRef | None
    team: Ref | None
    holds_police_data: bool
    encrypted: bool | None
    passcode: bool | None
    jailbroken: bool | None
    last_check_in: datetime | None
    compliance: str
    compliance_reasons: list[str]
    compliance_checked_at: datetime | None
    version: int
    updated_at: datetime


class DeviceDetailOut(DeviceOut):
    sims: list[SimOut] = Field(..., alias="sims.all")
    accessories: list[AccessoryOut] = Field(..., alias="accessories.all")
    events: list[DeviceEventOut] = Field(..., alias="events.all")


class DeviceFields(Schema):
    serial: str = Field("", max_length=60)
    name: str = Field("", max_length=200)
    make: str = Field("", max_length=100)
    model: str = Field("", max_length=100)
    platform: str = "other"
    os_version: str = Field("", max_length=40)
    ownership: str = "corporate"
    holds_police_data: bool = True
    purchased_on: date | None = None
    end_of_support: date | None = None


class DeviceIn(DeviceFields):
    organisation: UUID
    imei: str = ""
    support_team: UUID | None = Field(None, description="The mobile supplier's team that supports it.")


class DevicePatch(Schema):
    imei: str | None = None
    serial: str | None = Field(None, max_length=60)
    name: str | None = Field(None, max_length=200)
    make: str | None = Field(None, max_length=100)
    model: str | None = Field(None, max_length=100)
    platform: str | None = None
    os_version: str | None = Field(None, max_length=40)
    ownership: str | None = None
    status: str | None = None
    holds_police_data: bool | None = None
    purchased_on: date | None = None
    end_of_support: date | None = None


class DeviceAssignIn(Schema):
    person: UUID | None = None
    team: UUID | None = None
    note: str = ""


class SimIn(Schema):
    organisation: UUID
    iccid: str
    msisdn: str = Field("", max_length=20)
    tariff: str = Field("", max_length=100)
    operator: UUID | None = None
    device: UUID | None = None


class ComplianceRuleOut(Schema):
    id: UUID
    organisation: Ref
    name: str
    kind: str
    platform: str
    value: str
    raises_ticket: bool
    ticket_team: Ref | None
    active: bool
    version: int


class ComplianceRuleIn(Schema):
    organisation: UUID
    name: str = Field(..., min_length=1, max_length=200)
    kind: str
    platform: str = ""
    value: str = Field("", max_length=40)
    raises_ticket: bool = False
    ticket_team: UUID | None = None


class ComplianceRulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    platform: str | None = None
    value: str | None = Field(None, max_length=40)
    raises_ticket: bool | None = None
    ticket_team: UUID | None = None
    active: bool | None = None
