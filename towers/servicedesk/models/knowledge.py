"""Knowledge articles: published ones for requesters, internal ones for agents and resolvers."""

from django.db import models

from towers.contracts.models import Service
from towers.core.models import TowersModel
from towers.organisations.models import Organisation


class Article(TowersModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone (requesters too)"
        INTERNAL = "internal", "Agents and resolvers"

    number = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.EVERYONE)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="articles")
    problem = models.ForeignKey(
        "servicedesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    author = models.CharField(max_length=200)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
