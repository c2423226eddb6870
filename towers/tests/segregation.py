"""What the route walkers need to know: for each resource named in a URL, an object the attacker must not reach.

The attacker is an administrator of the network third party; every object below belongs to the
applications supplier, which the attacker is not party to. A new route whose URL names a resource
missing here makes the walkers fail until one is added, so no route escapes the check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Model

from towers.cmdb.services.items import ci_create
from towers.cmdb.tests.factories import ConfigurationItemFactory, RelationshipFactory
from towers.contracts.tests.factories import CalendarFactory, ContractFactory, ServiceFactory, ServiceLevelFactory
from towers.core.actor import Actor
from towers.integration.models_partners import FieldMapping, StateMapping
from towers.integration.tests.factories import WebhookMessageFactory, WebhookSubscriptionFactory
from towers.integration.tests.factories_partners import PartnerMessageFactory, foreign_partner
from towers.mobile.models import LossReport, MdmImport, MobileSettings
from towers.mobile.tests.factories import ComplianceRuleFactory, DeviceFactory, SimCardFactory
from towers.organisations.tests.factories import (
    ApiTokenFactory,
    CommercialGrantFactory,
    Estate,
    TeamMembershipFactory,
)
from towers.reporting.services.exit_pack import exit_pack_build, exit_pack_create
from towers.servicedesk.models import Article, Attachment, InboundMail, SavedView
from towers.servicedesk.tests.catalogue_factories import foreign_item, foreign_major, foreign_request
from towers.servicedesk.tests.factories import foreign_ticket
from towers.servicedesk.tests.factories_changes import foreign_change, foreign_incident, foreign_problem
from towers.sla.tests.factories import CreditRunFactory, DeliveryAssessmentFactory
from towers.soc.models import Indicator
from towers.soc.models.intake import QuarantinedEvent
from towers.soc.tests.factories import foreign_soc_object

FOREIGN_OBJECTS: dict[str, Callable[[Estate], Model]] = {
    "organisations": lambda e: e.applications,
    "towers": lambda e: e.applications_tower,
    "teams": lambda e: e.applications_team,
    "people": lambda e: e.applications_admin,
    "memberships": lambda e: e.applications_admin.memberships.get(),
    "members": lambda e: TeamMembershipFactory(team=e.applications_team, person=e.applications_admin),
    "tokens": lambda e: ApiTokenFactory(person=e.applications_admin, organisation=e.applications),
    "contracts": lambda e: _contract_with_ledger(e),
    "services": lambda e: ServiceFactory(owner=e.applications),
    "calendars": lambda e: CalendarFactory(owner=e.applications),
    "service-levels": lambda e: ServiceLevelFactory(
        service=ServiceFactory(owner=e.applications), customer=e.authority, calendar=CalendarFactory(owner=e.authority)
    ),
    # Created through the service, so that it has the history its as-of and history routes read.
    "configuration-items": lambda e: ci_create(
        actor=Actor.system("tests"), ci_class="application", name="apps-only", owner=e.applications
    ),
    "relationships": lambda e: RelationshipFactory(
        source=ConfigurationItemFactory(owner=e.applications, ci_class="application", name="apps-app"),
        target=ConfigurationItemFactory(owner=e.applications, name="apps-server"),
    ),
    # Commercial: the applications supplier's own grant, about itself, is nobody else's business.
    "commercial-grants": lambda e: CommercialGrantFactory(grantee=e.applications, supplier=e.integrator),
    "tickets": foreign_ticket,
    # An id no other row in a test has, so that finding it in a response means the row leaked.
    "inbound-mail": lambda e: InboundMail.objects.create(
        id=987654321,
        organisation=e.applications,
        via="smtp",
        sender="x@apps.test",
        subject="apps-only",
        outcome="ignored",
        raw=b"",
    ),
    "handoffs": lambda e: foreign_ticket(e).handoffs.get(),
    # A row only: the walker must be refused before any file would be opened.
    "attachments": lambda e: Attachment.objects.create(
        ticket=foreign_ticket(e),
        filename="apps.txt",
        content_type="text/plain",
        size=9,
        sha256="0" * 64,
        file="attachments/apps.txt",
        uploaded_by="tests",
    ),
    # A draft: published articles are for everyone, but a draft only for its own organisation.
    "articles": lambda e: Article.objects.create(
        number="KB9999001", title="Apps draft", body="Not yet", organisation=e.applications, author="apps.admin"
    ),
    "saved-views": lambda e: SavedView.objects.create(
        person=e.applications_admin, name="Apps P1s", filters={"priorities": "P1"}
    ),
    "changes": foreign_change,
    "approvals": lambda e: foreign_change(e).approvals.get(),
    "problems": foreign_problem,
    "incidents": foreign_incident,
    "catalog-items": foreign_item,
    # Pages name items by code: the walker's id matches none (the item pages' own tests probe by code).
    "catalogue": foreign_item,
    "requests": foreign_request,
    "request-approvals": lambda e: foreign_request(e).approvals.get(),
    "major-incidents": foreign_major,
    # A SOC run by the applications supplier: the network third party is party to none of it.
    "alerts": lambda e: foreign_soc_object(e, "alert"),
    "security-cases": lambda e: foreign_soc_object(e, "case"),
    "detection-rules": lambda e: foreign_soc_object(e, "rule"),
    # A task on that SOC's case (the one "security-cases" made, when made first: a second would join it).
    "tasks": lambda e: (
        QuarantinedEvent._meta.apps.get_model("soc", "SecurityCase").objects.filter(organisation=e.applications).first()
        or foreign_soc_object(e, "case")
    ).tasks.create(title="apps-only"),
    "indicators": lambda e: Indicator.objects.create(
        organisation=e.applications, stix_id="indicator--apps", name="apps-only", pattern="[x]", type="ip", value="1"
    ),
    # Listed by GET /intake/quarantine: another SOC's unparseable input must not show in the attacker's list.
    "intake-quarantine": lambda e: QuarantinedEvent.objects.create(
        organisation=e.applications, source="syslog", reason="apps-only", raw=b"apps-only"
    ),
    # The applications supplier's webhook and a dead message of it: another organisation may not list or replay it.
    "webhook-subscriptions": lambda e: WebhookSubscriptionFactory(organisation=e.applications),
    "webhook-messages": lambda e: WebhookMessageFactory(
        id=987654322, subscription=WebhookSubscriptionFactory(organisation=e.applications), status="dead"
    ),
    # The applications supplier's own tool bonded over TMF621: its mappings and message log are its and the
    # integrator's, never another supplier's (ids no other row has, so a leak shows in a list).
    "partner-integrations": foreign_partner,
    "field-mappings": lambda e: FieldMapping.objects.create(
        id=987654324, integration=foreign_partner(e), ours="title", theirs="name"
    ),
    "state-mappings": lambda e: StateMapping.objects.create(
        id=987654325, integration=foreign_partner(e), ours="pending", theirs="held"
    ),
    "partner-messages": lambda e: PartnerMessageFactory(
        id=987654323, integration=foreign_partner(e), status="dead", ticket=foreign_ticket(e)
    ),
    # An MDM import run of the applications supplier's own fleet: its report names devices and their users.
    "imports": lambda e: MdmImport.objects.create(
        organisation=e.applications, filename="apps-only.csv", source_format="intune-csv", started_by="apps"
    ),
    # The applications supplier's own phones and rules (a device's page names its user and its SIMs' numbers).
    "devices": lambda e: DeviceFactory(organisation=e.applications, name="apps-only"),
    "compliance-rules": lambda e: ComplianceRuleFactory(organisation=e.applications, name="apps-only"),
    # /mobile/settings/{organisation}: the applications supplier's own fleet settings, addressed by its id.
    "settings": lambda e: MobileSettings.objects.create(organisation=e.applications, loss_impact=1).organisation,
    "sims": lambda e: SimCardFactory(organisation=e.applications, msisdn="+447700900999"),
    # A loss of the applications supplier's own phone: it names the person and the incident it raised.
    "losses": lambda e: LossReport.objects.create(
        device=DeviceFactory(organisation=e.applications, name="apps-lost"),
        kind="lost",
        status_before="issued",
        reported_by="apps",
    ),
    # The applications supplier's exit pack, asked for by the authority and built (it holds the supplier's credits),
    # so that its owner's GET of the download answers 200 and the walker's refusal means something.
    "exit-packs": lambda e: exit_pack_build(
        exit_pack_create(actor=Actor.system("tests"), supplier=e.applications, queue=False)
    ),
}
# Body fields that refer to a resource by id.
FIELD_RESOURCES = {
    "organisation": "organisations",
    "grantee": "organisations",
    "supplier": "organisations",
    "tower": "towers",
    "team": "teams",
    "person": "people",
    "membership": "memberships",
    "owner": "organisations",
    "provider": "organisations",
    "customer": "organisations",
    "service": "services",
    "contract": "contracts",
    "calendar": "calendars",
    "service_level": "service-levels",
    "target": "configuration-items",
    "cis": "configuration-items",
    "offering": "services",
    "support_team": "teams",
    # An owner's mobile settings name the teams and services a loss's steps go to.
    "wipe_team": "teams",
    "logistics_team": "teams",
    "repair_team": "teams",
    "line_teams": "teams",
    "incident_service": "services",
    "wipe_service": "services",
    "line_service": "services",
    "lifecycle_service": "services",
    "security_organisation": "organisations",
    "assignee": "people",
    "requester": "people",
    "incident": "incidents",
    "approvers": "people",
    "catalog_item": "catalog-items",
    "manager": "people",
    "device": "devices",
    # A swap's replacement and the devices a refresh is raised for (the lifecycle's routes name them in bodies).
    "replacement": "devices",
    "devices": "devices",
    "operator": "organisations",
    "ticket_team": "teams",
}
# Path parameters that are values, not object ids: what to put in them.
PATH_VALUES = {"period": "2026-03-01", "index": "0", "month": "2026-03"}  # index: a detection rule's first exception
# Routes the walker's owner (the applications supplier) may not read either, by design: its probe would be wrong.
# The whole estate's pack and its clocks: no supplier reads them (test_drilldown covers a supplier's own clocks).
OWNER_REFUSED = {
    f"/api/v1/reviews/{{month}}{records}" for records in ("", "/clocks", "/handoffs", "/changes", "/security-cases")
}


def _contract_with_ledger(estate: Estate) -> Model:
    """A contract with a March 2026 credits run and delivery assessment, so every contract route has data."""
    contract = ContractFactory(supplier=estate.applications)
    CreditRunFactory(contract=contract, period=date(2026, 3, 1))
    DeliveryAssessmentFactory(contract=contract, period=date(2026, 3, 1))
    return contract


class ForeignObjects:
    """Builds each foreign object once per test, on first use."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self._built: dict[str, Model] = {}

    def for_resource(self, resource: str, route: str) -> Model:
        if resource not in FOREIGN_OBJECTS:
            raise AssertionError(
                f"{route}: no foreign object is registered for the resource {resource!r}. Add one to "
                "FOREIGN_OBJECTS in towers/tests/segregation.py so this route's segregation is tested."
            )
        if resource not in self._built:
            self._built[resource] = FOREIGN_OBJECTS[resource](self.estate)
        return self._built[resource]

    def all_ids(self) -> dict[str, str]:
        return {name: str(self.for_resource(name, "list check").pk) for name in FOREIGN_OBJECTS}


def resource_before(segments: list[str], index: int) -> str:
    """The resource a path parameter identifies: the literal segment just before it."""
    for segment in reversed(segments[:index]):
        if segment and not segment.startswith(("{", "<")):
            return segment
    return ""


def sample_body(schema: dict[str, Any], components: dict[str, Any], uuid_for: Callable[[str], str]) -> Any:
    """A value that satisfies `schema`, so that validation cannot be what stops a probe."""
    if "$ref" in schema:
        return sample_body(components[schema["$ref"].rsplit("/", 1)[-1]], components, uuid_for)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return sample_body(options[0], components, uuid_for) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: (
                uuid_for(name)
                if prop.get("format") == "uuid"
                else [uuid_for(name)]
                if prop.get("items", {}).get("format") == "uuid"
                else sample_body(prop, components, uuid_for)
            )
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", []) or prop.get("format") == "uuid"
        }
    if kind == "array" and "prefixItems" in schema:
        return [sample_body(item, components, uuid_for) for item in schema["prefixItems"]]
    if kind == "array":
        return [sample_body(schema.get("items", {}), components, uuid_for)]
    if kind in {"integer", "number"}:
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    formats = {"date-time": "2099-01-01T00:00:00Z", "date": "2099-01-01", "time": "08:00:00", "duration": "PT1H"}
    if schema.get("format") in formats:
        return formats[schema["format"]]
    if schema.get("format") == "uuid":
        return uuid_for("")
    return "probe"


# Supplier transitions (towers/transition): the applications supplier's service moving to a newcomer. The
# network third party is party to neither side; the outgoing supplier itself may read it (the walker's owner check).
def _foreign_transition(estate: Estate) -> Model:
    from django.utils import timezone

    from towers.organisations.tests.factories import OrganisationFactory
    from towers.transition.models import Transition

    incoming = OrganisationFactory(code="apps-next", name="Next Apps", tower=estate.applications_tower)
    transition = Transition.objects.create(
        name="apps-only", outgoing=estate.applications, incoming=incoming, effective_at=timezone.now()
    )
    transition.services.add(ServiceFactory(owner=estate.applications))
    return transition


FOREIGN_OBJECTS["transitions"] = _foreign_transition
FIELD_RESOURCES.update({"outgoing": "organisations", "incoming": "organisations"})


# Service review packs (towers/reporting): /reviews/<month>/<supplier>/ names the applications supplier's own pack.
FOREIGN_OBJECTS["reviews"] = lambda e: e.applications


def _foreign_subscription(estate: Estate) -> Model:
    """The applications admin's monthly pack by email: whom it goes to and which pack."""
    from towers.reporting.models import PackSubscription

    return PackSubscription.objects.create(
        person=estate.applications_admin, organisation=estate.applications, supplier=estate.applications,
        formats=["pdf"],
    )  # fmt: skip


FOREIGN_OBJECTS["review-subscriptions"] = FOREIGN_OBJECTS["subscriptions"] = _foreign_subscription
