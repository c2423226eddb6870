"""What the shell's top bar and navigation need on every page, computed only if a template uses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from towers.core.actor import Actor
from towers.core.roles import Role
from towers.organisations.models import Person
from towers.organisations.selectors import person_organisations
from towers.organisations.views.audit import may_read_audit
from towers.organisations.views.common import request_actor
from towers.servicedesk.access import is_requester_only
from towers.servicedesk.selectors_mail import MAIL_READERS

# Who deals with commercial records, and so with who may see them.
WEBHOOK_ROLES = (Role.ADMINISTRATOR, Role.SERVICE_MANAGER)  # who manages the organisation's subscriptions
COMMERCIAL_ROLES = (Role.ADMINISTRATOR, Role.CONTRACT_MANAGER, Role.SERVICE_MANAGER, Role.AUDITOR)
# Who manages the mobile fleet (mobile.manage_fleet) or reads it (auditors); the list shows only what they may see.
FLEET_ROLES = (Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.RESOLVER, Role.AUDITOR)
TRANSITION_ROLES = (Role.ADMINISTRATOR, Role.SERVICE_MANAGER, Role.AUDITOR)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def nav_items(actor: Actor, path: str) -> list[NavItem]:
    """The sections this actor's roles open, the one holding `path` marked current."""
    member = actor.organisation_id is not None
    requester = member and is_requester_only(actor)
    worker = member and not requester
    # The authority sees everything; an integrator's operational scope spans the towers it integrates.
    integrator = worker and (actor.scope.everything or len(actor.scope.operational) > 1)
    soc = member and actor.has_role(Role.SOC_ANALYST, Role.AUDITOR, Role.ADMINISTRATOR)
    sections = [
        ("Home", "home", True),
        ("My tickets", "portal_home", requester or (member and Role.REQUESTER in actor.roles)),
        # Everyone may carry a device, and reports its loss here.
        ("My devices", "portal_devices", member),
        ("Queues", "ticket_queue", worker),
        ("Hand-offs", "handoff_list", worker),
        ("Crossed suppliers", "crossed_list", integrator),
        ("Major incidents", "major_board", worker),
        ("Problems", "problem_list", worker),
        ("Changes", "change_list", worker),
        ("Request something", "request_catalogue", member),
        ("Approvals", "approval_inbox", member and not requester),
        ("Received mail", "inbound_mail", integrator and actor.has_role(*MAIL_READERS)),
        ("Alerts", "soc_alert_queue", soc),
        ("ATT&CK", "soc_attack", soc),
        ("Security cases", "soc_case_list", soc),
        ("Detection rules", "soc_rule_list", soc),
        ("Threat intel", "soc_indicator_list", soc),
        ("Organisations", "organisation_list", member),
        ("Teams", "team_list", member),
        ("People", "person_list", member),
        ("Contracts", "contract_list", member and actor.has_role(*COMMERCIAL_ROLES)),
        ("Catalogue", "service_list", member),
        ("CMDB", "ci_list", member),
        ("Mobile", "mobile_device_list", member and actor.has_role(*FLEET_ROLES)),
        # Each organisation reads its own monthly pack; the authority and integrators read every one.
        ("Service reviews", "review_index", member and not requester),
        # Moving services between suppliers is run by the authority and the integrators (auditors read it).
        ("Transitions", "transition_list", integrator and actor.has_role(*TRANSITION_ROLES)),
        ("Audit", "audit_list", may_read_audit(actor)),
        ("Commercial access", "commercial_grant_list", member and actor.has_role(*COMMERCIAL_ROLES)),
        ("Imports", "import_start", actor.has_role(Role.ADMINISTRATOR) and not actor.read_only),
        ("Webhooks", "integration_webhook_messages", member and actor.has_role(*WEBHOOK_ROLES)),
        ("API tokens", "token_list", member),
    ]
    items = []
    for label, name, shown in sections:
        if shown:
            url = reverse(name)
            items.append(NavItem(label, url, path == url if url == "/" else path.startswith(url)))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated or not hasattr(request, "actor"):
        return {}
    person = request.user
    assert isinstance(person, Person)
    actor = request_actor(request)
    return {
        "acting": actor,
        "nav": SimpleLazyObject(lambda: nav_items(actor, request.path)),
        "my_organisations": SimpleLazyObject(lambda: person_organisations(person)),
        "my_roles": ", ".join(sorted(Role(role).label for role in actor.roles)),
    }
