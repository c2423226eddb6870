from towers.soc.models.alerts import Alert, AlertStatus, DetectionRule, Severity, Suppression
from towers.soc.models.cases import (
    OPEN_CASE_STATUSES,
    CaseEvent,
    CaseNote,
    CaseStatus,
    CaseTask,
    Observable,
    ObservableType,
    Pap,
    SecurityCase,
    Tlp,
)
from towers.soc.models.intake import EvaluatedEvent, IntakeCounter, QuarantinedEvent
from towers.soc.models.intel import Indicator

__all__ = [
    "OPEN_CASE_STATUSES",
    "Alert",
    "AlertStatus",
    "CaseEvent",
    "CaseNote",
    "CaseStatus",
    "CaseTask",
    "DetectionRule",
    "EvaluatedEvent",
    "Indicator",
    "IntakeCounter",
    "Observable",
    "ObservableType",
    "Pap",
    "QuarantinedEvent",
    "SecurityCase",
    "Severity",
    "Suppression",
    "Tlp",
]
