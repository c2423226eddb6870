"""Test data for supplier integrations."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from towers.integration.models_partners import PartnerIntegration, PartnerMessage, TicketBond
from towers.organisations.tests.factories import OrganisationFactory


class PartnerIntegrationFactory(DjangoModelFactory):
    class Meta:
        model = PartnerIntegration

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Partner tool {n}")
    base_url = "http://127.0.0.1:9/tmf-api/troubleTicket/v5"
    auth_token = factory.Sequence(lambda n: f"twr_partner_token_{n}")


class TicketBondFactory(DjangoModelFactory):
    class Meta:
        model = TicketBond

    integration = factory.SubFactory(PartnerIntegrationFactory)


class PartnerMessageFactory(DjangoModelFactory):
    class Meta:
        model = PartnerMessage

    integration = factory.SubFactory(PartnerIntegrationFactory)
    direction = "out"
    operation = "update"
    payload = factory.LazyFunction(dict)


def foreign_partner(estate: object) -> PartnerIntegration:
    """The applications supplier's integration (one per test): another supplier may neither see nor manage it."""
    organisation = estate.applications  # type: ignore[attr-defined]
    found = PartnerIntegration.objects.filter(organisation=organisation, name="Apps tool").first()
    return found or PartnerIntegrationFactory(organisation=organisation, name="Apps tool")
