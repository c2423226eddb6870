"""The request catalogue: what requesters can ask for, the form they fill in, approvals and fulfilment tasks."""

from django.db import models

from towers.contracts.models import Service
from towers.core.models import TowersModel
from towers.organisations.models import Team


class CatalogItem(TowersModel):
    """E.g. "New mobile phone": a typed form, the approvals it needs and the tasks that fulfil it.

    form: questions, as towers.servicedesk.forms_schema describes them.
    approvals: in order, each "line_manager" (a person question named line_manager, else the requester's
        team lead) or {"role", "person": username} or {"role", "field": a person question's name}.
    tasks: [{"title", "team": team id, "after": index of the task it waits for, "description", "fields":
        the answers its team sees (all when left out)}].
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


class FulfilmentStep(models.Model):
    """One task of a request's fulfilment plan, copied from its catalogue item when the request was submitted.

    Copied so that editing an item changes the requests raised after it, never those already in flight.
    The step's task is raised when the request is approved, or when the step it waits for is resolved.
    """

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey("servicedesk.Ticket", on_delete=models.CASCADE, related_name="fulfilment_steps")
    index = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    after = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The index of the step it waits for.")
    answer_fields = models.JSONField(default=list, blank=True, help_text="Answers its task shows; empty for all.")
    task = models.OneToOneField(
        "servicedesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="fulfilment_step"
    )
    skipped = models.BooleanField(default=False, help_text="The step it waits for was cancelled.")

    class Meta:
        ordering = ["request", "index"]
        constraints = [models.UniqueConstraint(fields=["request", "index"], name="one_step_per_index")]

    def __str__(self) -> str:
        return f"step {self.index + 1}: {self.title}"
