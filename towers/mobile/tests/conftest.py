import pytest

from towers.mobile.models import Device, DeviceStatus
from towers.mobile.services.devices import device_register, sim_register
from towers.mobile.tests.factories import Fleet, build_fleet, iccid, imei, route_losses
from towers.servicedesk.tests.factories import build_desk


@pytest.fixture
def fleet(estate) -> Fleet:
    """The authority's fleet, run by the integrator's mobile team."""
    return build_fleet(estate)


@pytest.fixture
def lost(fleet) -> Device:
    """An officer's registered device (with its CI) and active line, and the owner's loss routing."""
    build_desk(fleet.estate)
    route_losses(fleet)
    device = device_register(
        actor=fleet.actor,
        organisation=fleet.owner,
        support_team=fleet.team,
        imei=imei(7001),
        name="NP-7001",
        make="Samsung",
        model="Galaxy XCover6 Pro",
        person=fleet.officer,
        status=DeviceStatus.ISSUED,
    )
    sim_register(
        actor=fleet.actor, organisation=fleet.owner, iccid=iccid(7001), msisdn="+447700900123",
        operator=fleet.operator, device=device,
    )  # fmt: skip
    return device
