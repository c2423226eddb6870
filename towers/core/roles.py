"""The roles a person can hold in an organisation (DESIGN.md, "Who uses it")."""

from django.db import models


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Service desk agent"
    RESOLVER = "resolver", "Resolver"
    TEAM_LEAD = "team_lead", "Team lead"
    SERVICE_MANAGER = "service_manager", "Service manager"
    CONTRACT_MANAGER = "contract_manager", "Contract manager"
    SOC_ANALYST = "soc_analyst", "SOC analyst"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"
