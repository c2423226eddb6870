"""Factories for every CMDB model."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from towers.cmdb.models import AttributeRule, CIIdentifier, ConfigurationItem, DataSource, Relationship, SourceKey
from towers.organisations.tests.factories import OrganisationFactory


class ConfigurationItemFactory(DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    ci_class = "server"
    name = factory.Sequence(lambda n: f"srv-{n:05d}")
    owner = factory.SubFactory(OrganisationFactory)
    attributes = factory.LazyFunction(dict)


class RelationshipFactory(DjangoModelFactory):
    class Meta:
        model = Relationship

    source = factory.SubFactory(ConfigurationItemFactory, ci_class="application", name=factory.Sequence(str))
    target = factory.SubFactory(ConfigurationItemFactory)
    type = "runs_on"


class CIIdentifierFactory(DjangoModelFactory):
    class Meta:
        model = CIIdentifier

    ci = factory.SubFactory(ConfigurationItemFactory)
    family = "server"
    key = "serial"
    value = factory.Sequence(lambda n: f"sn-{n:06d}")


class DataSourceFactory(DjangoModelFactory):
    class Meta:
        model = DataSource

    code = factory.Sequence(lambda n: f"source-{n}")
    name = factory.Sequence(lambda n: f"Source {n}")
    organisation = factory.SubFactory(OrganisationFactory)


class SourceKeyFactory(DjangoModelFactory):
    class Meta:
        model = SourceKey

    source = factory.SubFactory(DataSourceFactory)
    native_key = factory.Sequence(lambda n: f"native-{n}")
    ci = factory.SubFactory(ConfigurationItemFactory)
    last_seen = factory.LazyFunction(timezone.now)


class AttributeRuleFactory(DjangoModelFactory):
    class Meta:
        model = AttributeRule

    ci_class = "server"
    attribute = "fqdn"
    source = factory.SubFactory(DataSourceFactory)
    priority = 1
