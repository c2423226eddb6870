"""Threat intelligence: indicators of compromise imported from STIX 2.1 bundles and TAXII 2.1 collections."""

from django.db import models

from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class Indicator(TowersModel):
    """A STIX indicator as one SOC holds it: `type`/`value` is its first observable, `observables` all of them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    stix_id = models.CharField(max_length=120)
    name = models.CharField(max_length=300)
    pattern = models.TextField()
    type = models.CharField(max_length=20)
    value = models.CharField(max_length=2000)
    observables = models.JSONField(default=list, blank=True, help_text='[["ip", "203.0.113.7"], ...]')
    labels = models.JSONField(default=list, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="The file name or the TAXII collection URL.")
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "stix_id"], name="one_indicator_per_soc")]

    def __str__(self) -> str:
        return f"{self.name} ({self.type} {self.value[:100]})"
