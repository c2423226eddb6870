"""Segregation of mobile services: a device is seen by its owner, its mobile supplier, and the team and person
it is issued to (through the team's organisation); SIMs also by their network operator."""

from __future__ import annotations

from towers.core import permissions
from towers.core.roles import Role
from towers.mobile.models import (
    Accessory,
    ComplianceRule,
    Device,
    DeviceEvent,
    DeviceTask,
    LossReport,
    MdmImport,
    MobileSettings,
    SimCard,
    WipeEvidence,
)

# The owner and the mobile supplier that runs the fleet for it both administer a device.
permissions.register(
    Device,
    parties=["organisation", "supplier", "team__organisation"],
    owner=lambda device: {device.organisation_id, device.supplier_id} - {None},
)
permissions.register(DeviceEvent, parties=["device__organisation", "device__supplier"], owner="device.organisation")
# A SIM in a device is also administered by the device's mobile supplier (it moves SIMs on a swap).
permissions.register(
    SimCard,
    parties=["organisation", "operator", "device__supplier"],
    owner=lambda sim: {sim.organisation_id, sim.device.supplier_id if sim.device else None} - {None},
)
permissions.register(Accessory, parties=["organisation"], owner="organisation")
permissions.register(ComplianceRule, parties=["organisation"], owner="organisation")
permissions.register(MdmImport, parties=["organisation"], owner="organisation")
MANAGE_FLEET = "mobile.manage_fleet"
permissions.define_action(MANAGE_FLEET, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.RESOLVER])
IMPORT_FLEET = "mobile.import"
permissions.define_action(IMPORT_FLEET, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
# A device's lifecycle records follow the device: its owner and its mobile supplier.
for child in (LossReport, DeviceTask, WipeEvidence):
    permissions.register(child, parties=["device__organisation", "device__supplier"], owner="device.organisation")
permissions.register(MobileSettings, parties=["organisation"], owner="organisation")
CONFIGURE_FLEET = "mobile.configure"
permissions.define_action(CONFIGURE_FLEET, roles=[Role.ADMINISTRATOR, Role.SERVICE_MANAGER])
# The person who carries a device reports its loss themselves (the service checks it is theirs); the desk, the
# fleet's managers and the supplier's resolvers report for them.
REPORT_LOSS = "mobile.report_loss"
permissions.define_action(
    REPORT_LOSS,
    roles=[Role.REQUESTER, Role.AGENT, Role.RESOLVER, Role.TEAM_LEAD, Role.SERVICE_MANAGER, Role.ADMINISTRATOR],
)
