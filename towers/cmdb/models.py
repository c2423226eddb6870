"""What exists and what depends on what: configuration items, their relationships, sources and authority rules."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from towers.cmdb.classes import CLASSES
from towers.contracts.models import Service, ServiceOffering
from towers.core.models import TowersModel
from towers.organisations.models import Organisation, Team

CLASS_CHOICES = [(c.name, c.label) for c in CLASSES.values()]


class Criticality(models.IntegerChoices):
    CRITICAL = 1, "1 — critical"
    HIGH = 2, "2 — high"
    MEDIUM = 3, "3 — medium"
    LOW = 4, "4 — low"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    DISASTER_RECOVERY = "dr", "Disaster recovery"
    TEST = "test", "Test"
    DEVELOPMENT = "development", "Development"


class Lifecycle(models.TextChoices):
    PLANNED = "planned", "Planned"
    BUILD = "build", "In build"
    LIVE = "live", "Live"
    MAINTENANCE = "maintenance", "In maintenance"
    RETIRED = "retired", "Retired"


class ConfigurationItem(TowersModel):
    """One thing in the estate. Class-specific attributes live in `attributes`, checked against the class."""

    ci_class = models.CharField(max_length=40, choices=CLASS_CHOICES, db_index=True)
    name = models.CharField(max_length=200, db_index=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="owned_cis")
    support_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="supported_cis"
    )
    criticality = models.PositiveSmallIntegerField(choices=Criticality.choices, default=Criticality.MEDIUM)
    environment = models.CharField(max_length=20, choices=Environment.choices, default=Environment.PRODUCTION)
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.LIVE)
    attributes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Which source last wrote each attribute, and when: {"fqdn": {"source": "intune", "at": "…"}}.
    provenance = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The service layer resolves to the contracts: a business service is a catalogue service, an offering an offering.
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="cis")
    offering = models.ForeignKey(ServiceOffering, null=True, blank=True, on_delete=models.SET_NULL, related_name="cis")

    class Meta:
        ordering = ["ci_class", "name"]
        indexes = [models.Index(fields=["owner", "ci_class"]), models.Index(fields=["support_team"])]
        verbose_name = "configuration item"

    def __str__(self) -> str:
        return self.name


class RelationshipType(models.TextChoices):
    DEPENDS_ON = "depends_on", "depends on"
    RUNS_ON = "runs_on", "runs on"
    HOSTED_IN = "hosted_in", "hosted in"
    CONNECTS_TO = "connects_to", "connects to"
    CONTAINS = "contains", "contains"
    BACKED_UP_BY = "backed_up_by", "backed up by"


# Which way an outage travels along a relationship "source –type→ target":
#   "up":   the target failing impacts the source (an app that runs on a server goes down with it);
#   "down": the source failing impacts the target (a data centre that contains a rack takes it down).
IMPACT_DIRECTION = {
    RelationshipType.DEPENDS_ON: "up",
    RelationshipType.RUNS_ON: "up",
    RelationshipType.HOSTED_IN: "up",
    RelationshipType.CONNECTS_TO: "up",
    RelationshipType.CONTAINS: "down",
    RelationshipType.BACKED_UP_BY: "up",
}
# An outage of what a CI is backed up by leaves it at risk rather than down.
AT_RISK_ONLY = {RelationshipType.BACKED_UP_BY}
INVERSE_LABELS = {
    RelationshipType.DEPENDS_ON: "used by",
    RelationshipType.RUNS_ON: "runs",
    RelationshipType.HOSTED_IN: "hosts",
    RelationshipType.CONNECTS_TO: "connected from",
    RelationshipType.CONTAINS: "contained in",
    RelationshipType.BACKED_UP_BY: "backs up",
}


class Relationship(TowersModel):
    """A typed, directed link: "crime-app runs on srv-01"."""

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="incoming")
    type = models.CharField(max_length=20, choices=RelationshipType.choices)

    class Meta:
        ordering = ["source", "type"]
        indexes = [models.Index(fields=["target", "type"])]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], name="one_relationship_of_a_type"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="no_self_relationship"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_type_display()} {self.target}"


class CIIdentifier(models.Model):
    """An identification key of a CI ("serial=ABC123"), indexed so import can recognise it in one lookup."""

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="identifiers")
    family = models.CharField(max_length=40, help_text="The root class below `ci` the key is unique within.")
    key = models.CharField(max_length=200, help_text="The rule's attribute names, e.g. 'serial' or 'name@runs_on'.")
    value = models.CharField(max_length=400)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "key", "value"], name="one_ci_per_identifier")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class DataSource(TowersModel):
    """A tool that reports CIs (a supplier's discovery, an MDM console, a spreadsheet), run by one organisation."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="data_sources")
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower wins where no attribute rule says.")

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name


class SourceKey(models.Model):
    """The CI's key in a source's own system, so the next import from it finds the CI directly."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="keys")
    native_key = models.CharField(max_length=300)
    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="source_keys")
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "native_key"], name="one_ci_per_native_key")]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.native_key}"


class AttributeRule(TowersModel):
    """Which source may write an attribute of a class, in which priority, and when its value counts as stale."""

    ci_class = models.CharField(max_length=40, choices=CLASS_CHOICES)
    attribute = models.CharField(max_length=60)
    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="rules")
    priority = models.PositiveSmallIntegerField(help_text="1 is the most authoritative.")
    stale_after = models.DurationField(null=True, blank=True, help_text="After this, lower priorities may write.")

    class Meta:
        ordering = ["ci_class", "attribute", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["ci_class", "attribute", "source"], name="one_rule_per_source_attribute")
        ]

    def __str__(self) -> str:
        return f"{self.ci_class}.{self.attribute}: {self.source} ({self.priority})"
