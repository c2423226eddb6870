"""Segregation of mobile services: a device is seen by its owner, its mobile supplier, and the team and person
it is issued to (through the team's organisation); SIMs also by their network operator."""

from __future__ import annotations

from towers.core import permissions
from towers.core.roles import Role
from towers.mobile.models import Accessory, ComplianceRule, Device, DeviceEvent, MdmImport, SimCard

# The owner and the mobile supplier that runs the fleet for it both administer a device.
permissions.register(
    Device,
    parties=["organisation", "supplier", "team__organisation"],
    owner=lambda device: {device.organisation_id, device.supplier_id} - {None},
)
permissions.register(DeviceEvent, parties=["device__organisation", "device__supplier"], owner="device.organisation")
permissions.register(SimCard, parties=["organisation", "operator", "device__supplier"], owner="organisation")
permissions.register(Accessory, parties=["organisation"], owner="organisation")
permissions.register(ComplianceRule, parties=["organisation"], owner="organisation")
permissions.register(MdmImport, parties=["organisation"], owner="organisation")
MANAGE_FLEET = "mobile.manage_fleet"
permissions.define_action(MANAGE_FLEET, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.RESOLVER])
IMPORT_FLEET = "mobile.import"
permissions.define_action(IMPORT_FLEET, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
