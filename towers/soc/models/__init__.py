from towers.soc.models.alerts import Alert, AlertStatus, DetectionRule, RuleKind, Severity, Suppression
from towers.soc.models.cases import (
    OPEN_CASE_STATUSES,
    CaseClock,
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
from towers.soc.models.correlations import CorrelationMatch
from towers.soc.models.intake import EvaluatedEvent, IntakeCounter, QuarantinedEvent
from towers.soc.models.intel import Indicator

__all__ = [
    "OPEN_CASE_STATUSES",
    "Alert",
    "AlertStatus",
    "CaseClock",
    "CaseEvent",
    "CaseNote",
    "CaseStatus",
    "CaseTask",
    "CorrelationMatch",
    "DetectionRule",
    "EvaluatedEvent",
    "Indicator",
    "IntakeCounter",
    "Observable",
    "ObservableType",
    "Pap",
    "QuarantinedEvent",
    "RuleKind",
    "SecurityCase",
    "Severity",
    "Suppression",
    "Tlp",
]
