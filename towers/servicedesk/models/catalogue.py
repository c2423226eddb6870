"""The request catalogue: what requesters can ask for, the form they fill in, approvals and fulfilment tasks."""

from django.db import models

from towers.contracts.models import Service
from towers.core.models import TowersModel


class CatalogItem(TowersModel):
    """E.g. "New mobile phone": a typed form, the approvals it needs and the tasks that fulfil it.

    form: [{"name", "label", "type": text|number|choice|date|bool|person, "required", "choices"}]
    approvals: ["line_manager", "budget_holder", …] in order.
    tasks: [{"title", "team": team id, "after": index of the task it waits for (optional)}].
    """

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="catalog_items")
    category = models.ForeignKey("servicedesk.Category", null=True, blank=True, on_delete=models.PROTECT)
    form = models.JSONField(default=list, blank=True)
    approvals = models.JSONField(default=list, blank=True)
    tasks = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
