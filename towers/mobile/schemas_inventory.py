"""API shapes of the fleet's smaller parts: a SIM moved between devices, accessories."""

from uuid import UUID

from ninja import Field, Schema

from towers.mobile.schemas_fleet import DevicePersonRef


class SimAttachIn(Schema):
    device: UUID | None = Field(None, description="The device to put the SIM in; null takes it out.")


class AccessoryListOut(Schema):
    id: UUID
    organisation: UUID = Field(alias="organisation_id")
    kind: str
    serial: str
    status: str
    device: UUID | None = Field(None, alias="device_id")
    person: DevicePersonRef | None
    version: int


class AccessoryIn(Schema):
    organisation: UUID
    kind: str = Field(..., min_length=1, max_length=60)
    serial: str = Field("", max_length=60)
    device: UUID | None = None
    person: UUID | None = None
    status: str = "in_stock"
