"""Desk-wide configuration: the settings row, the priority matrix and assignment routing."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from towers.cmdb.models import ConfigurationItem
from towers.contracts.models import Service
from towers.organisations.models import Organisation, Team
from towers.servicedesk.models import AssignmentRule, Category, DeskSettings, PriorityRule

# ITIL's usual matrix, used until the desk configures its own (1 is the highest impact or urgency).
DEFAULT_MATRIX = {
    (1, 1): "P1",
    (1, 2): "P2",
    (1, 3): "P3",
    (2, 1): "P2",
    (2, 2): "P3",
    (2, 3): "P4",
    (3, 1): "P3",
    (3, 2): "P4",
    (3, 3): "P4",
}
DEFAULT_RESOLUTION_CODES = [
    "fixed",
    "workaround",
    "configuration",
    "user_error",
    "no_fault_found",
    "duplicate",
    "referred_to_change",
    "known_error",
]


def desk_settings() -> DeskSettings:
    """The one settings row; made on first use with the first tower's integrator as the desk."""
    found = DeskSettings.objects.select_related("desk_organisation", "triage_team").first()
    if found is not None:
        return found
    with transaction.atomic():
        desk = Organisation.objects.filter(integrated_towers__isnull=False).order_by("name").first()
        triage = Team.objects.filter(organisation=desk).order_by("code").first() if desk else None
        desk_service = Service.objects.filter(category="service_desk", owner=desk).order_by("code").first()
        return DeskSettings.objects.create(
            desk_organisation=desk,
            triage_team=triage,
            desk_service=desk_service,
            resolution_codes=DEFAULT_RESOLUTION_CODES,
        )


def priority_for(impact: int, urgency: int) -> str:
    """The priority the configured matrix gives; the default matrix fills cells it leaves out."""
    configured = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return configured or DEFAULT_MATRIX.get((impact, urgency), "P4")


def _specificity(rule: AssignmentRule) -> int:
    return sum(bool(x) for x in (rule.ci_id, rule.ci_class, rule.service_id, rule.category_id))


def route(
    *, service: Service | None, category: Category | None, cis: Iterable[ConfigurationItem]
) -> tuple[Team | None, str]:
    """The team a ticket should go to, and why: the most specific matching rule, else the CI's support team."""
    cis = list(cis)
    ci_ids = {ci.id for ci in cis}
    classes = {ci.ci_class for ci in cis}
    matches = [
        rule
        for rule in AssignmentRule.objects.filter(is_active=True).select_related("team__organisation")
        if (rule.service_id is None or (service is not None and rule.service_id == service.id))
        and (rule.category_id is None or (category is not None and rule.category_id == category.id))
        and (rule.ci_id is None or rule.ci_id in ci_ids)
        and (not rule.ci_class or rule.ci_class in classes)
    ]
    if matches:
        best = min(matches, key=lambda r: (-_specificity(r), r.order, r.name))
        return best.team, f"assignment rule “{best.name}”"
    for ci in cis:
        if ci.support_team_id:
            return ci.support_team, f"support team of {ci.name}"
    return None, ""
