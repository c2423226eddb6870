"""Segregation of measurement: results follow their service level; credits and scores are commercial."""

from towers.core import permissions
from towers.core.actor import Sensitivity
from towers.core.roles import Role
from towers.sla.models import ClockMeasurement, CreditLine, CreditRun, DeliveryAssessment, ServiceLevelResult


def _authority_only(_obj: object) -> tuple[()]:
    return ()


COMMERCIAL = Sensitivity.COMMERCIAL
permissions.register(
    ClockMeasurement, parties=["service_level__provider", "service_level__customer"], owner="service_level.customer"
)
permissions.register(
    ServiceLevelResult, parties=["service_level__provider", "service_level__customer"], owner="service_level.customer"
)
permissions.register(CreditRun, parties=["supplier"], owner=_authority_only, sensitivity=COMMERCIAL)
permissions.register(CreditLine, parties=["run__supplier"], owner=_authority_only, sensitivity=COMMERCIAL)
permissions.register(DeliveryAssessment, parties=["supplier"], owner=_authority_only, sensitivity=COMMERCIAL)

permissions.define_action("results.record", roles=[Role.CONTRACT_MANAGER, Role.SERVICE_MANAGER, Role.ADMINISTRATOR])
permissions.define_action("credits.calculate", roles=[Role.CONTRACT_MANAGER, Role.ADMINISTRATOR])
